"""Run records: ``runs/<id[:2]>/<id>.json``, the name claims and the per-pipeline run index.

Creating a run writes, in this order, the run file, the name claim
(``names/<sha1[:3]>.json``), the pipeline's run index chunk and ``pipelines.json``
(``last_run_id``, ``run_count``, the ``running`` table): a crash in between leaves only a
run file nothing points to, or an index entry readers skip.
"""

from __future__ import annotations

import os
from typing import Any

from framework.exceptions import DuplicateRunNameError
from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.tinydb import layout, leases, presence, rows, run_index
from framework.metadata.tinydb.files import StoreFiles, Transaction


def name_taken(txn: Transaction, name: str) -> bool:
    return any(doc["name"] == name for doc in txn.db(layout.name_file(name)).table("names"))


def _newer_than_last(txn: Transaction, pipeline: dict[str, Any], run: dict[str, Any]) -> bool:
    """Is ``run`` newer (start time, then id) than the pipeline's last run? (For copies.)"""
    last_id = pipeline.get("last_run_id")
    last = next(iter(txn.db(layout.run_file(last_id)).table("run").all()), None) if last_id else None
    return last is None or (last.get("start_time") or "", last_id) <= (run["start_time"], run["id"])


def create(txn: Transaction, run: dict[str, Any], *, copied: bool = False) -> None:
    """Store the run document ``run`` (validated by the caller); see the module docstring.
    ``copied``: a run copied from another store becomes the pipeline's last run only if it
    is its newest (by start time)."""
    run_id, name = run["id"], run["name"]
    presence.check_claim(txn, txn.files, layout.name_file(name))
    names = txn.db(layout.name_file(name)).table("names")
    taken = next((doc for doc in names if doc["name"] == name), None)
    if taken is not None:
        raise DuplicateRunNameError(
            f"A run named '{name}' already exists (run id {taken['run_id']}); run names "
            "are unique in the store and the existing run was left untouched. Choose "
            "another name, or put the {date} and {time} placeholders in run_name "
            "(e.g. run_name='my_run-{date}-{time}') so each run gets its own."
        )
    pipelines = txn.db(layout.PIPELINES).table("pipelines")
    pipeline = next((p for p in pipelines if p["id"] == run["pipeline_id"]), None)
    if pipeline is None or pipeline["name"] != run["pipeline_name"]:
        raise ValueError(
            f"run '{name}' names pipeline '{run['pipeline_name']}' with id "
            f"{run['pipeline_id']!r}, which is not registered; call register_pipeline first"
        )
    if txn.exists(layout.run_file(run_id)):
        raise ValueError(f"a run with id {run_id} already exists")
    chunk = pipeline.get("index_chunk", 0)
    if not txn.exists(layout.index_file(pipeline["id"], chunk)):  # a new pipeline's, or one removed: damage
        presence.index_chunk(txn.files, pipeline, chunk)
    if len(txn.db(layout.index_file(pipeline["id"], chunk)).table("runs")) >= layout.INDEX_CHUNK:
        chunk += 1
    run_db = txn.db(layout.run_file(run_id))
    run_db.table("run").insert(run)
    run_db.table(rows.INDEX_TABLE).insert({"chunk": chunk})
    names.insert({"name": name, "run_id": run_id})
    txn.db(layout.index_file(pipeline["id"], chunk)).table("runs").insert(
        {"run_id": run_id, "start_time": run["start_time"], "name": name, "row": checks.row_document(run)})
    presence.record_claim(txn, txn.files, layout.name_file(name))  # pipelines.json: last, as below
    last = run_id if not copied or _newer_than_last(txn, pipeline, run) else pipeline.get("last_run_id")
    pipelines.update({"last_run_id": last, "run_count": pipeline.get("run_count", 0) + 1, "index_chunk": chunk},
                     doc_ids=[pipeline.doc_id])
    if run["status"] == "running":
        txn.db(layout.PIPELINES).table("running").insert({
            "run_id": run_id, "host": run.get("host"), "pid": run.get("pid"),
            "process_start": run.get("process_start"), "lease": run.get("lease"),
        })


def check_exists(txn: Transaction, run_id: str, root: str) -> None:
    if not txn.exists(layout.run_file(run_id)):
        raise KeyError(f"no run with id {run_id} in the metadata store at {root}")


def _stored(txn: Transaction, run_id: str) -> tuple[Any, dict[str, Any]]:
    table = txn.db(layout.run_file(run_id)).table("run")
    doc = next(iter(table.all()))
    return table, doc


def change(txn: Transaction, run_id: str, edit: Any) -> dict[str, Any]:
    """Apply ``edit(doc) -> changed fields`` to the run document and its index row; return
    the new document."""
    table, doc = _stored(txn, run_id)
    fields = edit(dict(doc))
    table.update(fields, doc_ids=[doc.doc_id])
    new = {**doc, **fields}
    rows.sync(txn, new)
    return new


def finish(txn: Transaction, run_id: str, fields: dict[str, Any], metadata: dict[str, Any] | None = None,
           summary: dict[str, Any] | None = None) -> None:
    """Update the run's closing fields (metadata merged, summary replaced) and its row; a run
    no longer running leaves the ``running`` table."""
    def close(doc: dict[str, Any]) -> dict[str, Any]:
        changed = dict(fields)
        if metadata:
            changed["metadata"] = checks.merge_metadata(doc.get("metadata") or {}, metadata)
        if summary is not None:
            changed["summary"] = summary
        return changed

    change(txn, run_id, close)
    if fields["status"] != "running":
        running = txn.db(layout.PIPELINES).table("running")
        gone = [doc.doc_id for doc in running if doc.get("run_id") == run_id]
        if gone:
            running.remove(doc_ids=gone)


def run_doc(files: StoreFiles, run_id: str) -> dict[str, Any] | None:
    """The run document (no steps) as stored, or None (see `liveness.crash_view` for what
    readers show of a running run whose owner is gone)."""
    docs = files.tables(layout.run_file(run_id)).get("run") or {}
    return dict(next(iter(docs.values()))) if docs else None


def run_record(files: StoreFiles, run_id: str) -> tuple[dict[str, Any] | None, int | None]:
    """The run document (or None) and how many steps files it must have (``presence``)."""
    tables = files.tables(layout.run_file(run_id))
    docs = tables.get("run") or {}
    if not docs:
        return None, None
    doc = dict(next(iter(docs.values())))
    return doc, presence.steps_files_expected(tables, doc)


def _claimed(files: StoreFiles, name: str) -> str | None:
    relpath = layout.name_file(name)
    tables = files.load(relpath)
    if tables is None:
        presence.check_shard(files, relpath)
        return None
    for doc in (tables.get("names") or {}).values():
        if doc["name"] == name:
            return doc["run_id"]
    return None


def run_id_for_name(files: StoreFiles, name: str) -> str | None:
    """The id claimed by ``name``; a claim whose run file is gone is damage (``presence``)."""
    run_id = _claimed(files, name)
    if run_id is not None and checks.is_safe_id(run_id) and not os.path.exists(files.path(layout.run_file(run_id))):
        presence.run_file_gone(files, run_id, lambda: _claimed(files, name) == run_id,
                               f"the name claim of `{name}` in '{files.path(layout.name_file(name))}'")
        return None
    return run_id


def _running_entries(files: StoreFiles, pipelines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Index-like entries of the runs in the ``running`` table, newest first: every run that
    can read as running is there (create adds it, finish and the crash marking remove it), so
    listing running runs — what gc and the temp-file sweep ask — reads no other run."""
    wanted = {p["id"] for p in pipelines}
    found = []
    for entry in (files.tables(layout.PIPELINES).get("running") or {}).values():
        if not checks.is_safe_id(entry.get("run_id")):
            continue
        doc = run_doc(files, entry["run_id"])
        if doc is not None and doc.get("pipeline_id") in wanted:
            found.append({"run_id": doc["id"], "start_time": doc.get("start_time"), "name": doc.get("name")})
    return sorted(found, key=lambda e: (e["start_time"] or "", e["run_id"]), reverse=True)


def list_docs(files: StoreFiles, pipelines: list[dict[str, Any]], status: str | None,
              limit: int | None, offset: int = 0, name_contains: str | None = None) -> list[dict[str, Any]]:
    """Run documents of ``pipelines``, newest first, read lazily from the index: the
    ``limit`` that match after skipping ``offset`` that match. Index entries carry the run's
    name (entries written before they did are checked against the run file), so a name
    search reads the index and only the run files it returns."""
    runs: list[dict[str, Any]] = []
    skipped = 0
    needle = name_contains.casefold() if name_contains else None
    lease = leases.tester(files.root)
    entries = _running_entries(files, pipelines) if status == "running" else run_index.newest_first(files, pipelines)
    for entry in entries:
        indexed_name = entry.get("name")
        if needle is not None and indexed_name is not None and needle not in indexed_name.casefold():
            continue
        if status is None and skipped < offset and (needle is None or indexed_name is not None):
            skipped += 1  # no filter the index cannot answer: the index alone decides the page
            continue
        run = run_doc(files, entry["run_id"])
        if run is None:  # deleted since the index was read — or removed: damage
            if indexed_name is not None:
                presence.run_file_gone(files, entry["run_id"], lambda e=entry: _claimed(files, e["name"]) == e["run_id"],
                                       f"the index entry and name claim of run `{indexed_name}`")
            continue
        crash_view(run, lease=lease)
        if status is not None and run.get("status") != status:
            continue
        if needle is not None and needle not in str(run.get("name", "")).casefold():
            continue
        if skipped < offset:
            skipped += 1
            continue
        runs.append(run)
        if limit is not None and len(runs) >= limit:
            break
    return runs
