"""A run's step runs and artifacts: ``<id>.steps.json``, ``.steps.1.json``, … (16 per chunk).

Recording a step never rewrites a file that grows with the length of the run: once a
chunk holds `layout.STEPS_CHUNK` step runs the next write starts a new one. A step run
recorded again (``running``, then ``completed``) gets its new version in the newest
chunk; readers keep each step run at its first place with its last version.
"""

from __future__ import annotations

from typing import Any

from tinydb.table import Table

from framework.metadata.tinydb import cache_index, layout
from framework.metadata.tinydb.files import StoreFiles, Transaction

#: A validated step record: (step run document, artifact documents, cache entry document or None).
Prepared = tuple[dict[str, Any], list[dict[str, Any]], "dict[str, Any] | None"]


def _replace_with(new: dict[str, Any]):
    def replace(doc: dict[str, Any]) -> None:
        doc.clear()
        doc.update(new)

    return replace


def upsert_by_id(table: Table, docs: list[dict[str, Any]]) -> None:
    """Replace the documents whose ``id`` matches, append the others (keeping their order).

    An id given twice counts once: the last version, at the first one's place.
    """
    if not docs:
        return
    docs = list({doc["id"]: doc for doc in docs}.values())
    wanted = {doc["id"] for doc in docs}
    existing = {d["id"]: d.doc_id for d in table.search(lambda d: d.get("id") in wanted)}
    for doc in docs:
        if doc["id"] in existing:
            table.update(_replace_with(doc), doc_ids=[existing[doc["id"]]])
    table.insert_multiple(doc for doc in docs if doc["id"] not in existing)


def newest_chunk(txn: Transaction, run_id: str, known: int) -> int:
    """The steps chunk new step runs go to: the newest one, or a fresh one when it is full.
    ``known``: the newest chunk this process wrote (another writer may have gone on)."""
    chunk = known
    while txn.exists(layout.steps_file(run_id, chunk + 1)):
        chunk += 1
    if len(txn.db(layout.steps_file(run_id, chunk)).table("step_runs")) >= layout.STEPS_CHUNK:
        chunk += 1
    return chunk


def write(txn: Transaction, run_id: str, prepared: list[Prepared], known_chunk: int) -> int:
    """Upsert prepared step records into the newest chunk, then their cache entries (after
    the steps file: an entry never points at a step run that is not stored)."""
    chunk = newest_chunk(txn, run_id, known_chunk)
    steps_db = txn.db(layout.steps_file(run_id, chunk))
    upsert_by_id(steps_db.table("step_runs"), [step for step, _, _ in prepared])
    upsert_by_id(steps_db.table("artifacts"), [a for _, artifacts, _ in prepared for a in artifacts])
    for _step, _artifacts, entry in prepared:
        if entry is not None:
            cache_index.add(txn, entry)
    return chunk


def read(files: StoreFiles, run_id: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """The run's step run documents (each at its first place, in its last version), its
    artifact documents by id, and the files read; chunks 0, 1, … up to the first missing."""
    step_runs: dict[str, dict[str, Any]] = {}
    artifacts: dict[str, dict[str, Any]] = {}
    read_files = []
    chunk = 0
    while True:
        relpath = layout.steps_file(run_id, chunk)
        tables = files.tables(relpath)
        if not tables:
            break
        read_files.append(relpath)
        for doc in (tables.get("step_runs") or {}).values():
            step_runs[doc.get("id")] = dict(doc)
        for doc in (tables.get("artifacts") or {}).values():
            artifacts[doc["id"]] = dict(doc)
        chunk += 1
    return list(step_runs.values()), artifacts, read_files


def update(txn: Transaction, run_id: str, step_run_id: str, metadata: dict[str, Any] | None,
           output_metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Merge metadata into a step run's newest version (the last chunk holding it)."""
    from framework.metadata import checks

    found = None
    chunk = 0
    while txn.exists(layout.steps_file(run_id, chunk)):
        table = txn.db(layout.steps_file(run_id, chunk)).table("step_runs")
        for doc in table:
            if doc.get("id") == step_run_id:
                found = (table, doc)
        chunk += 1
    if found is None:
        raise KeyError(f"run {run_id} has no step run {step_run_id}")
    table, doc = found
    fields: dict[str, Any] = {}
    if metadata:
        fields["metadata"] = checks.merge_metadata(doc.get("metadata") or {}, metadata)
    if output_metadata:
        fields["output_metadata"] = checks.merge_output_metadata(doc.get("output_metadata") or {}, output_metadata)
    if fields:
        table.update(fields, doc_ids=[doc.doc_id])
    return {**doc, **fields}
