"""Deleting runs and pipelines: every file that mentions a run, in one transaction.

What a run leaves in the store, and how each goes (see the package docstring for the
layout): its run file and steps chunks are removed; its name claim, its index entry, the
cache entries of its step runs and the ``running`` table entry are edited out; its
pipeline's ``run_count`` and ``last_run_id`` follow. The edited files are written first and
the removed ones go last (``Transaction.remove``), so a crash in between leaves run files
nothing points to (a later delete by id removes them), never a pointer to a missing file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from framework.exceptions import RunInProgressError
from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.tinydb import layout, leases, rows
from framework.metadata.tinydb.files import Transaction


def _run_doc(txn: Transaction, run_id: str, root: str) -> dict[str, Any]:
    docs = txn.db(layout.run_file(run_id)).table("run").all() if checks.is_safe_id(run_id) else []
    if not docs:
        raise KeyError(f"no run with id {run_id} in the metadata store at {root}")
    doc = dict(docs[0])
    view = dict(doc)
    crash_view(view, lease=leases.tester(txn.files.root))
    if view["status"] == "running":
        raise RunInProgressError(checks.in_progress_message(view))
    return doc


def _steps_files(txn: Transaction, run_id: str) -> list[str]:
    found, chunk = [], 0
    while txn.exists(layout.steps_file(run_id, chunk)):
        found.append(layout.steps_file(run_id, chunk))
        chunk += 1
    return found


def _cache_keys(txn: Transaction, steps_files: list[str]) -> set[str]:
    """Cache keys the run's completed step runs were entered under."""
    keys = set()
    for relpath in steps_files:
        for step in txn.db(relpath).table("step_runs"):
            if step.get("status") == "completed" and step.get("cache_key"):
                keys.add(step["cache_key"])
    return keys


def _drop_from_index(txn: Transaction, pipeline: dict[str, Any], doomed: set[str], runs: list[dict]) -> None:
    """Edit the deleted runs out of the pipeline's index; update its counters."""
    pipeline_id = pipeline["id"]
    chunks = {rows.chunk_of(txn, run["id"], pipeline) for run in runs} - {None}
    for chunk in sorted(chunks):
        table = txn.db(layout.index_file(pipeline_id, chunk)).table("runs")
        gone = [doc.doc_id for doc in table if doc.get("run_id") in doomed]
        if gone:
            table.remove(doc_ids=gone)
    pipelines = txn.db(layout.PIPELINES).table("pipelines")
    fields: dict[str, Any] = {"run_count": max(0, pipeline.get("run_count", 0) - len(runs))}
    if pipeline.get("last_run_id") in doomed:
        fields["last_run_id"] = _newest_left(txn, pipeline, doomed)
    pipelines.update(fields, doc_ids=[pipeline.doc_id])


def _newest_left(txn: Transaction, pipeline: dict[str, Any], doomed: set[str]) -> str | None:
    for chunk in range(pipeline.get("index_chunk", 0), -1, -1):
        left = [doc for doc in txn.db(layout.index_file(pipeline["id"], chunk)).table("runs")
                if doc.get("run_id") not in doomed]
        if left:
            return max(left, key=lambda d: (d.get("start_time") or "", d.get("run_id") or ""))["run_id"]
    return None


def delete_runs(txn: Transaction, run_ids: Iterable[str], root: str) -> list[str]:
    """Delete the runs (all checked first); return their ids."""
    wanted = list(dict.fromkeys(run_ids))
    docs = [_run_doc(txn, run_id, root) for run_id in wanted]  # KeyError / RunInProgressError: nothing written
    doomed = set(wanted)
    files = {doc["id"]: _steps_files(txn, doc["id"]) for doc in docs}
    # 1. cache entries of their step runs
    for key in sorted(set().union(*(_cache_keys(txn, f) for f in files.values())) if files else ()):
        relpath = layout.cache_file(key)
        entries = txn.db(relpath, index=True).table("entries")
        entries.remove(lambda doc: doc.get("run_id") in doomed)
        if len(entries) == 0:
            txn.remove(relpath)
    # 2. name claims
    for doc in docs:
        names = txn.db(layout.name_file(doc["name"])).table("names")
        names.remove(lambda claim, name=doc["name"], run_id=doc["id"]: claim.get("name") == name
                     and claim.get("run_id") == run_id)
    # 3. index entries, counters and the running table
    by_pipeline: dict[str, list[dict]] = {}
    for doc in docs:
        by_pipeline.setdefault(doc["pipeline_id"], []).append(doc)
    for pipeline_id, runs in by_pipeline.items():
        pipeline = rows.pipeline_of(txn, pipeline_id)
        if pipeline is not None:
            _drop_from_index(txn, pipeline, doomed, runs)
    running = txn.db(layout.PIPELINES).table("running")
    stale = [entry.doc_id for entry in running if entry.get("run_id") in doomed]
    if stale:
        running.remove(doc_ids=stale)
    # 4. the run files themselves, last
    for doc in docs:
        for relpath in [layout.run_file(doc["id"]), *files[doc["id"]]]:
            txn.remove(relpath)
    return wanted


def delete_pipeline(txn: Transaction, name: str, root: str) -> list[str]:
    """Delete pipeline ``name`` with its versions and runs; return the run ids."""
    pipelines = txn.db(layout.PIPELINES).table("pipelines")
    pipeline = next((p for p in pipelines if p["name"] == name), None)
    if pipeline is None:
        raise KeyError(f"no pipeline named {name!r} in the metadata store at {root}")
    chunks = [layout.index_file(pipeline["id"], c) for c in range(pipeline.get("index_chunk", 0) + 1)]
    run_ids = [doc["run_id"] for relpath in chunks for doc in txn.db(relpath).table("runs")]
    run_ids = [run_id for run_id in run_ids if txn.exists(layout.run_file(run_id))]
    deleted = delete_runs(txn, run_ids, root)
    versions = txn.db(layout.VERSIONS).table("versions")
    versions.remove(lambda v: v.get("pipeline_id") == pipeline["id"])
    pipelines.remove(doc_ids=[pipeline.doc_id])
    for relpath in chunks:
        txn.remove(relpath)
    return deleted
