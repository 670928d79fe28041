"""Import cost: ``import framework.steps, framework.pipelines`` against the libraries a
pipeline script imports anyway.

Both sides are whole ``python -c`` processes, interleaved:

* baseline: ``import numpy; from pydantic import BaseModel`` — numpy because every
  pipeline of the seed's kind imports it, pydantic's ``BaseModel`` because the framework's
  parameters are pydantic models (``import pydantic`` alone is lazy and would understate
  it);
* framework: ``import numpy; import framework.steps, framework.pipelines`` — the same
  script with the framework instead of pydantic.

Target: framework ≤ 1.3× baseline, and none of pandas, scikit-learn, pyarrow or dask
imported (checked in the same child process).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from benchmarks._common import PY, child_env, fmt_s, interleaved, median, ratio_row, repeats, row

HEAVY = ("pandas", "sklearn", "pyarrow", "dask", "distributed", "skops", "fsspec")
BASELINE = "import numpy; from pydantic import BaseModel"
FRAMEWORK = "import numpy; import framework.steps, framework.pipelines"


def run() -> list[dict[str, Any]]:
    env = child_env()
    times = interleaved({"empty": ([PY, "-c", "pass"], env),
                         "baseline": ([PY, "-c", BASELINE], env),
                         "framework": ([PY, "-c", FRAMEWORK], env)}, rounds=repeats(9))
    empty, base, fw = (median(times[k]) for k in ("empty", "baseline", "framework"))
    probe = subprocess.run(
        [PY, "-c", f"{FRAMEWORK}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"],
        env=env, capture_output=True, text=True, check=True)
    heavy = json.loads(probe.stdout)
    return [
        ratio_row("import framework.steps, framework.pipelines (+numpy) vs numpy + pydantic",
                  fw / base, 1.3, f"{fmt_s(fw)} vs {fmt_s(base)}; bare interpreter {fmt_s(empty)}"),
        row("heavy libraries imported by it (pandas, sklearn, pyarrow, dask, skops, fsspec)",
            ", ".join(heavy) or "none", "none", not heavy),
    ]
