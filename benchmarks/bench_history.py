"""Run history over 10,000 runs, on TinyDB and on PostgreSQL side by side: listing with
``--where``/``--columns``, deleting 1,000 runs, and gc afterwards.

The TinyDB home is ``store_fill``'s (shared with ``bench_steps`` and ``bench_client``; this
module runs after them, because it deletes). The PostgreSQL store is a throwaway cluster
(``tests/postgres_cluster.py``, durability at the server's defaults) holding the same history
(``pg_fill``: the seed pipeline run for real, then copies and the history pipelines) in a
home whose stack keeps its metadata there. Rows, for each backend:

* ``framework runs list --where … --sort … --columns …`` as a whole process (spawn to exit,
  warm: median of the rounds after an untimed one, both backends interleaved), a filter and
  sort that read every run's listing row: target ≤ 0.5 s. The same without ``--sort``
  (newest first, stops at 50).
* The same listing inside one process, warm (``scripts/history_list.py``): the listing's own
  cost, without starting Python and importing the framework and the store's driver (for
  PostgreSQL, SQLAlchemy and psycopg: a fixed cost of every command that opens the store).
* ``Client().delete_runs`` of 1,000 runs (``scripts/history_delete.py``): target ≤ 2 s.
* gc afterwards frees exactly the bytes only those runs referenced (computed from every
  run's records beforehand; their files are created sparse at the recorded sizes).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from typing import Any

from benchmarks._common import (
    PY,
    QUICK,
    SCRIPTS,
    child_env,
    filled_home,
    fmt_s,
    interleaved,
    median,
    pg_home,
    postgres_missing,
    repeats,
    row,
    temp_dir,
)

WHERE, COLUMNS = "params.C>100 and metrics.trainer.accuracy>=0.95", "name,status,params.C,metrics.trainer.accuracy"
SORT = "-metrics.trainer.accuracy"
LIST = [PY, "-m", "framework", "runs", "list", "--where", WHERE, "--columns", COLUMNS]
#: Runs in the PostgreSQL history: ``pg_fill`` puts 999 copies of the seed run first, so even
#: quick mode needs more than 1,000 for the history pipelines the deletion takes runs from.
PG_RUNS = 1_300 if QUICK else 10_000


@contextlib.contextmanager
def _postgres_history() -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """A home on a fresh PostgreSQL cluster holding a history of `PG_RUNS` runs: (env, summary)."""
    from benchmarks import pg_fill
    from tests.postgres_cluster import start_cluster

    cluster = start_cluster(fast=False)
    try:
        url = f"{cluster.create_database('bench')}&schema=history"
        with temp_dir("bench-history-pg-") as home:
            env = pg_home(home, url)
            subprocess.run([PY, str(SCRIPTS / "seed_framework.py"), "off"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            yield env, pg_fill.fill(url, PG_RUNS)
    finally:
        cluster.stop()


def _in_process(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([PY, str(SCRIPTS / "history_list.py"), WHERE, COLUMNS, SORT], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _delete(env: dict[str, str], count: int) -> dict[str, Any]:
    done = subprocess.run([PY, str(SCRIPTS / "history_delete.py"), str(count)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rows(prefix: str, history: str, times: dict[str, list[float]], inner: dict[str, Any], count: int,
          deleted: dict[str, Any], beside: str = "") -> list[dict[str, Any]]:
    sorted_s, newest_s = median(times["sorted"]), median(times["newest"])
    return [
        row(f"{prefix}runs list --where ... --sort ... --columns ..., whole process, store of {history}",
            fmt_s(sorted_s), "<= 500 ms", sorted_s <= 0.5,
            detail=f"every run's listing row read, filtered, sorted{beside}"),
        row(f"  {prefix}same without --sort (newest first, first 50)", fmt_s(newest_s), "-", None),
        row(f"  {prefix}same listing inside one process, warm", fmt_s(inner["sorted"]), "-", None,
            detail=f"without --sort {fmt_s(inner['newest'])}; {inner['matching']:,} runs match"),
        row(f"{prefix}delete {count:,} runs (one transaction), store of {history}", fmt_s(deleted["delete"]),
            "<= 2 s", deleted["delete"] <= 2.0, detail=f"{deleted['left']:,} runs left"),
        row(f"{prefix}gc afterwards frees exactly the bytes only they referenced",
            f"{deleted['freed']:,} B", f"== {deleted['expected']:,} B", deleted["freed"] == deleted["expected"],
            detail=f"{deleted['shared']} artifacts shared with kept runs (cached steps) kept"),
    ]


def run() -> list[dict[str, Any]]:
    from benchmarks.bench_steps import LENGTH

    home, summary = filled_home(LENGTH)
    env = child_env(home)
    count = 100 if QUICK else 1000
    history = f"{summary['runs']:,} runs"
    missing = postgres_missing()
    if missing is not None:
        times = interleaved({"sorted": ([*LIST, "--sort", SORT], env), "newest": (LIST, env)}, repeats(5))
        skipped = row("PostgreSQL: run history", "skipped", "-", None, detail=missing)
        return [*_rows("", history, times, _in_process(env), count, _delete(env, count)), skipped]
    with _postgres_history() as (pg_env, pg_summary):
        times = interleaved({"sorted": ([*LIST, "--sort", SORT], env), "newest": (LIST, env),
                             "pg-sorted": ([*LIST, "--sort", SORT], pg_env), "pg-newest": (LIST, pg_env)},
                            repeats(5))
        inner, pg_inner = _in_process(env), _in_process(pg_env)
        deleted, pg_deleted = _delete(env, count), _delete(pg_env, count)
    pg_times = {"sorted": times.pop("pg-sorted"), "newest": times.pop("pg-newest")}
    pg_history = f"{pg_summary['runs']:,} runs"
    return [*_rows("", history, times, inner, count, deleted),
            *_rows("PostgreSQL: ", pg_history, pg_times, pg_inner, count, pg_deleted,
                   beside=f"; TinyDB {fmt_s(median(times['sorted']))}")]
