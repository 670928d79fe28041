"""Dask orchestrator vs the sequential local orchestrator, side by side in one process.

    python -m benchmarks.bench_dask [--rounds N]      # prints the table

* **Speed-up**: 8 independent steps of about 1 s of single-threaded numpy work each (matrix
  products in place, BLAS held to one thread with threadpoolctl) on a 2-worker
  ``LocalCluster`` (1 thread each, worker processes) vs one after another on the local
  orchestrator. Target: >= 1.7x. The same work on a plain 2-process pool (no framework)
  is shown as well: the most this machine gives at that moment (on a busy machine both
  fall short together).
* **Scheduling overhead per step** on Dask: 40 trivial independent steps,
  (wall time of the run - time spent inside the steps) / 40. It holds everything the
  framework does per step besides the step body (cache key, two metadata records in the
  launcher, the step's one output written on the worker), not only Dask's round trip; the
  local orchestrator's figure is shown for comparison. Target: <= 20 ms.

The measuring runs in a child process of its own (``--child``), in a fresh framework home,
after a warm-up round (workers import numpy and the framework); the sides are interleaved
round by round and medians reported. `run()` gives the rows for ``make bench``;
``BENCH_QUICK=1`` shrinks everything (its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from typing import Any

import numpy as np

from benchmarks._common import QUICK, median, repeats, row, run_child
from framework import stacks
from framework.pipelines.new import pipeline
from framework.steps import step

N_HEAVY = 8
N_TRIVIAL = 10 if QUICK else 40
STEP_SECONDS = 0.1 if QUICK else 1.0
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


@pipeline
def heavy(reps: int = 10):
    for i in range(N_HEAVY):
        crunch(reps=reps, seed=i, id=f"crunch_{i}")


@pipeline
def light():
    for i in range(N_TRIVIAL):
        trivial(i=i, id=f"trivial_{i}")


def calibrate(target_seconds: float) -> int:
    """How many matrix products take about ``target_seconds`` here."""
    _work(2)
    start = time.perf_counter()
    _work(20)
    per_rep = (time.perf_counter() - start) / 20
    return max(1, round(target_seconds / per_rep))


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


def _pool_time(pool: Any, reps: int) -> float:
    start = time.perf_counter()
    list(pool.map(_work, [reps] * N_HEAVY))
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, Any]:
    """In the child: seconds per side (medians) and the overheads per step."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import distributed

    logging.getLogger("framework").setLevel(logging.WARNING)
    reps = calibrate(STEP_SECONDS)
    os.environ["FRAMEWORK_HOME"] = tempfile.mkdtemp(prefix="bench-dask-")
    base = stacks.default_stack()
    local = stacks.Stack("local", base.home, base.artifact_store_url, base.metadata_root)
    times: dict[str, list[float]] = {"local": [], "dask": [], "pool": [], "local_step": [], "dask_step": []}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client, \
            ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        on_dask = stacks.Stack("dask", base.home, base.artifact_store_url, base.metadata_root,
                               orchestrator="dask", orchestrator_options={"scheduler": client})
        for stack in (local, on_dask):  # warm-up: imports, registration, directories
            _timed(light, stack)
            _timed(heavy, stack, reps=1)
        # Dask places tasks by the durations it has seen per task name: one full-size round
        # teaches it what a long-lived cluster running this pipeline already knows (after the
        # 1-rep warm-up alone it would pack the first timed round onto one worker).
        _timed(heavy, on_dask, reps=reps)
        list(pool.map(_work, [1, 1]))
        for _ in range(rounds):  # interleaved, so a busy moment of the machine hits every side
            times["local"].append(_timed(heavy, local, reps=reps)[0])
            times["dask"].append(_timed(heavy, on_dask, reps=reps)[0])
            times["pool"].append(_pool_time(pool, reps))
            times["local_step"].append(_overhead(*_timed(light, local)))
            times["dask_step"].append(_overhead(*_timed(light, on_dask)))
    return {key: median(values) for key, values in times.items()}


def run() -> list[dict[str, Any]]:
    m = run_child("bench_dask", "--child", str(repeats(3)))
    speedup, ceiling = m["local"] / m["dask"], m["local"] / m["pool"]
    return [
        row(f"dask: {N_HEAVY} independent ~{STEP_SECONDS:g} s numpy steps, 2 workers vs local sequential",
            f"{speedup:.2f}x", ">= 1.7x", speedup >= 1.7,
            detail=f"{m['dask']:.2f} s vs {m['local']:.2f} s; a plain 2-process pool: {ceiling:.2f}x"),
        row("dask: scheduling overhead per step (trivial steps)", f"{m['dask_step'] * 1000:.1f} ms", "<= 20 ms",
            m["dask_step"] <= 0.020, detail=f"local orchestrator: {m['local_step'] * 1000:.1f} ms"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=repeats(3), help="timed rounds (medians reported)")
    parser.add_argument("--child", type=int, metavar="ROUNDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return 0
    m = measure(args.rounds)
    rows = [
        ("local orchestrator, sequential", f"{m['local']:.2f} s", ""),
        ("dask, 2 worker processes", f"{m['dask']:.2f} s", ""),
        ("speed-up", f"{m['local'] / m['dask']:.2f}x", ">= 1.7x"),
        ("plain 2-process pool, no framework (the machine's ceiling)", f"{m['local'] / m['pool']:.2f}x", ""),
        ("dask: overhead per trivial step", f"{m['dask_step'] * 1000:.1f} ms", "<= 20 ms"),
        ("local: overhead per trivial step", f"{m['local_step'] * 1000:.1f} ms", ""),
    ]
    print(f"{N_HEAVY} independent steps of ~{STEP_SECONDS:g} s numpy work; {N_TRIVIAL} trivial steps; "
          f"median of {args.rounds} round(s)")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>9}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
