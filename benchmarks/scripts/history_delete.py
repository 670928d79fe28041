"""Delete N runs of a 10,000-run history, then gc: time the delete, check gc's bytes (JSON on stdout).

Untimed setup: the artifact files the chosen runs reference are created (sparse, at their
recorded sizes; the history's records have no files behind them), and the bytes only those
runs use are computed from the records of every run, before anything is deleted. Timed:
``Client().delete_runs(*names)`` (resolving each name, one transaction). Then ``framework
gc``'s collection runs (min age 0) and its freed bytes are compared with that expectation.
"""

import json
import os
import sys
import time

from framework import Client, stacks
from framework.gc import collect_garbage

count = int(sys.argv[1])
client = Client()
store = client.metadata_store
history = [row for row in store.query_runs() if row.pipeline_name.startswith("history_")]
doomed = sorted(history, key=lambda row: (row.pipeline_name, row.start_time))[:count]  # whole pipelines first
doomed_ids = {row.id for row in doomed}
used: dict[str, set[str]] = {}
for row in store.query_runs():
    detail = store.get_run_by_id(row.id)
    used[row.id] = set(detail.artifacts) | {a for s in detail.steps for a in s.outputs.values()}
theirs = set().union(*(used[i] for i in doomed_ids))
kept = set().union(*(ids for run_id, ids in used.items() if run_id not in doomed_ids))
only_theirs = theirs - kept
root = client.artifact_store.url
sizes = {}
for run_id in doomed_ids:
    detail = store.get_run_by_id(run_id)
    for aid, artifact in detail.artifacts.items():
        path = os.path.join(root, artifact.uri)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.truncate(artifact.size)
        sizes[aid] = os.path.getsize(path)
expected = sum(sizes[aid] for aid in only_theirs)
start = time.perf_counter()
deleted = client.delete_runs(*[row.name for row in doomed])
elapsed = time.perf_counter() - start
assert len(deleted) == count
report = collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)
freed = sum(d["size"] for d in report["deleted"] if d["kind"] == "artifact")
print(json.dumps({"delete": elapsed, "expected": expected, "freed": freed, "shared": len(theirs & kept),
                  "left": sum(1 for _ in store.query_runs())}))
