"""The seed's digits pipeline as a user runs it: one whole ``python`` process per run.

Three commands, interleaved round by round after a warm-up round:

* plain: ``scripts/seed_plain.py`` — load digits, split, train the SVC; nothing persisted;
* cache off: ``scripts/seed_framework.py off`` — ``examples/first_pipeline.py``'s steps and
  pipeline, run with ``enable_cache=False`` into its own framework home (every run
  executes both steps and persists every output and record);
* cached: ``scripts/seed_framework.py on`` in another home that one untimed run filled,
  so both steps are cache hits (their artifacts are verified, not loaded);
* plain + saving: ``scripts/seed_plain_persist.py`` — plain, then the outputs written in
  the same formats with the usual tools (``np.save`` ×4, ``skops.io.dump``): the same work
  *including* persistence, as a user would write it by hand.

Targets: cache off ≤ 1.15× plain, cached ≤ 1.1× plain. The third row shows why the
framework can beat hand-written persistence: ``import skops.io`` imports every
scikit-learn module, and the framework writes the same skops file without it
(``framework/artifacts/materializers/skops_format.py``).
"""

from __future__ import annotations

import subprocess
from typing import Any

from benchmarks._common import PY, SCRIPTS, child_env, fmt_s, interleaved, median, ratio_row, repeats, temp_dir


def commands(home_off: str, home_on: str, out: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    return {
        "plain": ([PY, str(SCRIPTS / "seed_plain.py")], child_env()),
        "persist": ([PY, str(SCRIPTS / "seed_plain_persist.py")], child_env(BENCH_OUT=out)),
        "off": ([PY, str(SCRIPTS / "seed_framework.py"), "off"], child_env(home_off)),
        "on": ([PY, str(SCRIPTS / "seed_framework.py"), "on"], child_env(home_on)),
    }


def run() -> list[dict[str, Any]]:
    with temp_dir("bench-seed-off-") as home_off, temp_dir("bench-seed-on-") as home_on, \
            temp_dir("bench-seed-out-") as out:
        subprocess.run([PY, str(SCRIPTS / "seed_framework.py"), "on"], env=child_env(home_on),
                       check=True, stdout=subprocess.DEVNULL)
        times = interleaved(commands(str(home_off), str(home_on), str(out)), rounds=repeats(5))
    plain, persist, off, on = (median(times[k]) for k in ("plain", "persist", "off", "on"))
    return [
        ratio_row("seed digits pipeline, whole process, cache off vs plain Python", off / plain, 1.15,
                  f"{fmt_s(off)} vs {fmt_s(plain)}"),
        ratio_row("seed digits pipeline, whole process, cached re-run vs plain Python", on / plain, 1.1,
                  f"{fmt_s(on)} vs {fmt_s(plain)}"),
        ratio_row("  cache off vs plain Python that also saves the outputs (np.save, skops)", off / persist,
                  1.15, f"{fmt_s(off)} vs {fmt_s(persist)}"),
    ]
