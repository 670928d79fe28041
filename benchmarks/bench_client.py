"""Reading a run back: ``Client().get_pipeline(p).last_run`` and loading one output,
in a framework home holding 10,000 runs.

The home is ``store_fill``'s (shared with ``bench_steps``) plus one real run of the seed
pipeline (``scripts/seed_framework.py``). Each sample is a fresh process
(``scripts/client_last_run.py``) that imports the client and numpy untimed, then times
fetching the last run and loading its ``X_train`` output (a verified 0.7 MB array):
target ≤ 50 ms. The same process then loads the trained model — shown for information:
the first model load in a process imports the estimator's scikit-learn modules.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from benchmarks._common import PY, SCRIPTS, child_env, filled_home, median, repeats, row


def run() -> list[dict[str, Any]]:
    from benchmarks.bench_steps import LENGTH

    home, summary = filled_home(LENGTH)
    env = child_env(home)
    subprocess.run([PY, str(SCRIPTS / "seed_framework.py"), "off"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    samples = []
    for _ in range(repeats(5) + 1):  # the first one warms the page cache, untimed
        done = subprocess.run([PY, str(SCRIPTS / "client_last_run.py")], env=env, check=True,
                              capture_output=True, text=True)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    samples = samples[1:]
    fetch = median([s["fetch"] for s in samples])
    model = median([s["model"] for s in samples])
    history = f"{summary['runs']:,} runs"
    return [
        row(f"Client().get_pipeline(p).last_run + load X_train, store of {history}",
            f"{fetch * 1000:.1f} ms", "<= 50 ms", fetch <= 0.050),
        row("  then loading the SVC model (the first load imports its scikit-learn modules)",
            f"{model * 1000:.0f} ms", "-", None),
    ]
