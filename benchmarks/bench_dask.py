"""Dask orchestrator vs the sequential local orchestrator, side by side in one process.

    python -m benchmarks.bench_dask [--repeat N]

* speed-up: 8 independent steps of about 1 s of single-threaded numpy work each (BLAS held
  to one thread with threadpoolctl), on a 2-worker ``LocalCluster`` (1 thread each, worker
  processes) vs one after another on the local orchestrator. Target: >= 1.7x.
* scheduling overhead per step on Dask: trivial steps, (wall time of the run - sum of the
  time spent inside the steps) / number of steps. It includes everything the framework
  does per step besides the step body (cache key, two metadata records in the launcher,
  writing the step's one output artifact on the worker), not only Dask's round trip; the
  same figure for the local orchestrator is shown for comparison.
  Target: <= 20 ms.

`run()` returns the rows (measure, value, target, ok) for ``make bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time
from typing import Any, Iterator

import numpy as np

from framework import stacks
from framework.pipelines.new import pipeline
from framework.steps import step

N_HEAVY = 8
N_TRIVIAL = 40
MATRIX = 256


def _work(reps: int) -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        a = np.random.default_rng(reps).random((MATRIX, MATRIX))
        b = np.empty_like(a)
        for _ in range(reps):  # in place: no allocation (Dask workers tune malloc for memory, not speed)
            np.matmul(a, a, out=b)
            b *= 1.0 / MATRIX
            np.tanh(b, out=a)
    return float(a.sum())


@step(enable_cache=False)
def crunch(reps: int, seed: int = 0) -> float:
    """About one second of numpy work, single-threaded."""
    return _work(reps) + seed


@step(enable_cache=False)
def trivial(i: int) -> float:
    """Next to nothing; returns the time spent inside (its one output is written as usual)."""
    start = time.perf_counter()
    sum(range(i))
    return time.perf_counter() - start


@pipeline(enable_cache=False)
def heavy(reps: int = 10):
    for i in range(N_HEAVY):
        crunch(reps=reps, seed=i, id=f"crunch_{i}")


@pipeline(enable_cache=False)
def light():
    for i in range(N_TRIVIAL):
        trivial(i=i, id=f"trivial_{i}")


def calibrate(target_seconds: float = 1.0) -> int:
    """How many matrix products take about ``target_seconds`` here."""
    _work(2)
    start = time.perf_counter()
    _work(20)
    per_rep = (time.perf_counter() - start) / 20
    return max(1, round(target_seconds / per_rep))


@contextlib.contextmanager
def _home() -> Iterator[stacks.Stack]:
    saved = os.environ.get("FRAMEWORK_HOME")
    logger = logging.getLogger("framework")
    level = logger.level
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as home:
        os.environ["FRAMEWORK_HOME"] = home
        logger.setLevel(logging.WARNING)
        try:
            yield stacks.default_stack()
        finally:
            logger.setLevel(level)
            if saved is None:
                os.environ.pop("FRAMEWORK_HOME", None)
            else:
                os.environ["FRAMEWORK_HOME"] = saved


def _timed(run_pipeline: Any, stack: stacks.Stack, **kwargs: Any) -> tuple[float, Any]:
    original = stacks.active_stack
    stacks.active_stack = lambda: stack
    try:
        start = time.perf_counter()
        result = run_pipeline(**kwargs)
        return time.perf_counter() - start, result
    finally:
        stacks.active_stack = original


def _overhead(wall: float, run: Any) -> float:
    inside = sum(s.output.load() for s in run.steps.values())
    return (wall - inside) / len(run.steps)


def run(repeat: int = 1) -> list[dict[str, Any]]:
    """Measure; return one row per measure: {measure, value, target, ok}."""
    import distributed

    reps = calibrate()
    with _home() as base:
        local = stacks.Stack("local", base.home, base.artifact_store_url, base.metadata_root)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
        client = distributed.Client(cluster, set_as_default=False)
        try:
            on_dask = stacks.Stack("dask", base.home, base.artifact_store_url, base.metadata_root,
                                   orchestrator="dask", orchestrator_options={"scheduler": client})
            _timed(light, on_dask)  # warm up: workers import numpy and the framework
            _timed(heavy, on_dask, reps=1)
            local_heavy = min(_timed(heavy, local, reps=reps)[0] for _ in range(repeat))
            dask_heavy = min(_timed(heavy, on_dask, reps=reps)[0] for _ in range(repeat))
            local_light = min(_overhead(*_timed(light, local)) for _ in range(repeat))
            dask_light = min(_overhead(*_timed(light, on_dask)) for _ in range(repeat))
        finally:
            client.close()
            cluster.close()
    speedup = local_heavy / dask_heavy
    return [
        {"measure": f"dask: {N_HEAVY} x ~1 s numpy steps, local sequential (s)", "value": round(local_heavy, 2),
         "target": "-", "ok": True},
        {"measure": f"dask: {N_HEAVY} x ~1 s numpy steps, Dask 2 workers (s)", "value": round(dask_heavy, 2),
         "target": "-", "ok": True},
        {"measure": "dask: speed-up over local sequential (x)", "value": round(speedup, 2),
         "target": ">= 1.7", "ok": speedup >= 1.7},
        {"measure": "dask: scheduling overhead per step (ms)", "value": round(dask_light * 1000, 1),
         "target": "<= 20", "ok": dask_light <= 0.020},
        {"measure": "local: overhead per step, for comparison (ms)", "value": round(local_light * 1000, 1),
         "target": "-", "ok": True},
    ]


def print_table(rows: list[dict[str, Any]]) -> None:
    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>8}  {'target':>7}  ok")
    for r in rows:
        print(f"{r['measure']:<{width}}  {r['value']:>8}  {r['target']:>7}  {'yes' if r['ok'] else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measure; the best is kept")
    args = parser.parse_args(argv)
    rows = run(repeat=args.repeat)
    print_table(rows)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
