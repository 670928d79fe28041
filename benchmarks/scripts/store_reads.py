"""Time the reads a person makes of a big store, in a fresh process (JSON on stdout):
``store_reads.py PIPELINE``.

The imports a script needs anyway (the client, numpy, and the store's driver: SQLAlchemy,
its PostgreSQL dialect and psycopg for a PostgreSQL stack) are not timed. Then, timed: ``first`` =
``Client().get_pipeline(PIPELINE).last_run`` and loading its ``X_train`` output, the
process's first use of the store (so the connection is included); ``last_run`` and
``runs_list`` = the same fetch, and ``Client().list_runs(limit=50)`` made into the rows
``framework runs list`` prints, each repeated 15 times (medians).
"""

import json
import statistics
import sys
import time

import numpy as np

from framework import Client, stacks
from framework.reports.runs import run_row

if stacks.active_stack().metadata_url:
    import psycopg  # noqa: F401 - the driver's imports are not what is measured
    import sqlalchemy  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401 - loaded by the first create_engine otherwise

pipeline = sys.argv[1]
start = time.perf_counter()
run = Client().get_pipeline(pipeline).last_run
x_train = run.steps["step_1"].outputs["X_train"].load()
first = time.perf_counter() - start
assert isinstance(x_train, np.ndarray)


def timed(action) -> float:
    samples = []
    for _ in range(15):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def last_run() -> None:
    run = Client().get_pipeline(pipeline).last_run
    assert len(run.steps) == 2


def runs_list() -> None:
    rows = [run_row(r) for r in Client().list_runs(None, None, 50)]
    assert len(rows) == 50


print(json.dumps({"first": first, "last_run": timed(last_run), "runs_list": timed(runs_list)}))
