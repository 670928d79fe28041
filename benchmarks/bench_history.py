"""Run history over 10,000 runs: listing with ``--where``/``--columns``, deleting 1,000
runs, and gc afterwards.

The home is ``store_fill``'s (shared with ``bench_steps`` and ``bench_client``; this module
runs after them, because it deletes). Rows:

* ``framework runs list --where … --sort … --columns …`` as a whole process (spawn to exit,
  warm: median of the rounds after an untimed one), a filter and sort that read every run's
  listing row: target ≤ 0.5 s. The same without ``--sort`` (newest first, stops at 50).
* ``Client().delete_runs`` of 1,000 runs (scripts/history_delete.py): target ≤ 2 s.
* gc afterwards frees exactly the bytes only those runs referenced (computed from every
  run's records beforehand; their files are created sparse at the recorded sizes).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from benchmarks._common import PY, QUICK, SCRIPTS, child_env, filled_home, fmt_s, interleaved, median, repeats, row

WHERE = ["--where", "params.C>100 and metrics.trainer.accuracy>=0.95", "--columns",
         "name,status,params.C,metrics.trainer.accuracy"]


def run() -> list[dict[str, Any]]:
    from benchmarks.bench_steps import LENGTH

    home, summary = filled_home(LENGTH)
    env = child_env(home)
    framework = [PY, "-m", "framework", "runs", "list"]
    times = interleaved({"sorted": ([*framework, *WHERE, "--sort", "-metrics.trainer.accuracy"], env),
                         "newest": ([*framework, *WHERE], env)}, repeats(5))
    sorted_s, newest_s = median(times["sorted"]), median(times["newest"])
    count = 100 if QUICK else 1000
    done = subprocess.run([PY, str(SCRIPTS / "history_delete.py"), str(count)], env=env, check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    history = f"{summary['runs']:,} runs"
    return [
        row(f"runs list --where ... --sort ... --columns ..., whole process, store of {history}", fmt_s(sorted_s),
            "<= 500 ms", sorted_s <= 0.5, detail="every run's listing row read, filtered, sorted"),
        row("  same without --sort (newest first, first 50)", fmt_s(newest_s), "-", None),
        row(f"delete {count:,} runs (one transaction), store of {history}", fmt_s(result["delete"]), "<= 2 s",
            result["delete"] <= 2.0, detail=f"{result['left']:,} runs left"),
        row("gc afterwards frees exactly the bytes only they referenced",
            f"{result['freed']:,} B", f"== {result['expected']:,} B", result["freed"] == result["expected"],
            detail=f"{result['shared']} artifacts shared with kept runs (cached steps) kept"),
    ]
