"""Listing rows: a compact copy of each run document in its pipeline's run index.

Each index entry ``{run_id, start_time}`` also carries ``row``: the run's listing fields
(`checks.row_document`: name, status, times, tags, notes, summary, …), so a listing of
10,000 runs reads the ~160 index files, not 10,000 run files. The run file stays the
source of truth; every write that changes a run document (create, finish, update, crash)
rewrites its row in the same transaction, the run file first. The run file's table
``index`` records which index chunk holds its entry (``{"chunk": n}``).

Entries written before rows existed have none: readers then read the run file (slower,
still right). A crash between the renames of one commit can leave a row one write
behind its run file; the next write of that run repairs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.tinydb import layout, leases, run_index
from framework.metadata.tinydb.files import StoreFiles, Transaction

INDEX_TABLE = "index"  # in the run file: {"chunk": n}, the index chunk holding its entry


def chunk_of(txn: Transaction, run_id: str, pipeline: dict[str, Any] | None) -> int | None:
    """Which index chunk of its pipeline holds the run's entry (None: not found)."""
    located = txn.db(layout.run_file(run_id)).table(INDEX_TABLE).all()
    if located:
        return located[0]["chunk"]
    if pipeline is None:
        return None
    for chunk in range(pipeline.get("index_chunk", 0), -1, -1):  # entries written before rows
        if any(doc.get("run_id") == run_id for doc in txn.db(layout.index_file(pipeline["id"], chunk)).table("runs")):
            return chunk
    return None


def pipeline_of(txn: Transaction, pipeline_id: str) -> dict[str, Any] | None:
    return next((p for p in txn.db(layout.PIPELINES).table("pipelines") if p["id"] == pipeline_id), None)


def sync(txn: Transaction, run: dict[str, Any]) -> None:
    """Rewrite the index row of ``run`` (its document as just changed in this transaction)."""
    pipeline_id = run["pipeline_id"]
    chunk = chunk_of(txn, run["id"], None)
    if chunk is None:
        chunk = chunk_of(txn, run["id"], pipeline_of(txn, pipeline_id))
    if chunk is None:
        return  # no index entry (a crash mid-create): the run is reachable by name and id only
    table = txn.db(layout.index_file(pipeline_id, chunk)).table("runs")
    ids = [doc.doc_id for doc in table if doc.get("run_id") == run["id"]]
    if ids:
        table.update({"row": checks.row_document(run)}, doc_ids=ids)


def _row(files: StoreFiles, entry: dict[str, Any]) -> dict[str, Any] | None:
    row = entry.get("row")
    if row is not None:
        return dict(row)
    from framework.metadata.tinydb.runs import run_doc

    run = run_doc(files, entry["run_id"])  # an entry from before rows existed
    return checks.row_document(run) if run is not None else None


def query(files: StoreFiles, pipelines: list[dict[str, Any]], query: checks.RunQuery) -> Iterator[Any]:
    """`RunRow` records of ``pipelines``' runs passing ``query``, newest first, lazily."""
    lease = leases.tester(files.root)
    for entry in run_index.newest_first(files, pipelines):
        start = entry.get("start_time")
        if query.too_new(start):
            continue
        if query.too_old(start):
            return  # newest first: every later entry is older still
        row = _row(files, entry)
        if row is None:
            continue  # an index entry whose run file never made it (crash mid-commit)
        crash_view(row, lease=lease)
        if query.accepts(row):
            yield checks.row_record(row)
