"""One of the concurrent writers of ``bench_postgres``: ``concurrent_runs.py GO_FILE WORKER RUNS``.

Imports the framework and opens the active stack's metadata store (as any process using
it starts: for PostgreSQL, importing the driver and connecting), says ``ready``, waits for
GO_FILE, then runs RUNS runs of a small
three-step pipeline (every step executes: each run has its own seed) on the active stack,
and prints the run ids and the time it finished as JSON.
"""

import json
import os
import sys
import time

from framework import pipeline, step


@step
def make(seed: int) -> list:
    return [seed * i for i in range(100)]


@step
def add(values: list, offset: int = 1) -> list:
    return [v + offset for v in values]


@step
def total(values: list) -> int:
    return sum(values)


@pipeline
def concurrent(seed: int):
    total(values=add(values=make(seed=seed)))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from benchmarks._common import quiet_framework_logging

    quiet_framework_logging()
    from framework import stacks

    stacks.active_stack().metadata_store().list_pipelines()
    go, worker, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.002)
    ids = [concurrent(seed=worker * 1000 + i).id for i in range(runs)]
    print(json.dumps({"ids": ids, "end": time.time()}))
