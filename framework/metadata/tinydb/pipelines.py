"""Pipelines and their versions: ``pipelines.json`` (table pipelines) and ``versions.json``.

Registration is read first without the lock (a known version, the common case, writes
nothing) and again inside the transaction before anything is created, so two processes
registering the same new version at once create it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from tinydb import TinyDB

from framework.metadata.checks import is_safe_id
from framework.metadata.tinydb import layout, presence
from framework.metadata.tinydb.files import StoreFiles, Transaction
from framework.records import Registration

#: Keys of a pipeline document that belong to this backend, not to the `Pipeline` record.
BACKEND_KEYS = ("index_chunk",)


def find_registration(pipelines_db: TinyDB, versions_db: TinyDB, name: str, version_hash: str) -> Registration | None:
    pipeline = next((p for p in pipelines_db.table("pipelines") if p["name"] == name), None)
    if pipeline is None:
        return None
    for version in versions_db.table("versions"):
        if version["pipeline_id"] == pipeline["id"] and version["hash"] == version_hash:
            return Registration(pipeline["id"], version["number"], False, False)
    return None


def known_registration(files: StoreFiles, name: str, version_hash: str) -> Registration | None:
    """The registration if this version exists already (lock-free read)."""
    return find_registration(files.snapshot(layout.PIPELINES), files.snapshot(layout.VERSIONS), name, version_hash)


def _check_lost(txn: Transaction, files: StoreFiles, name: str, pipeline: Any) -> None:
    """Before registering: a pipeline that ``pipelines.json`` or ``versions.json`` lost must not
    be registered again as new (a new id would orphan its runs; a reused number, its versions)."""
    if pipeline is None:
        if not txn.db(layout.PIPELINES).table("pipelines"):
            presence.expect_no_runs(files)
        if any(v.get("pipeline_name") == name for v in txn.db(layout.VERSIONS).table("versions")):
            raise presence.missing(files.path(layout.PIPELINES), f"'{files.path(layout.VERSIONS)}' holds its "
                                   "versions", what=f"lacks pipeline `{name}`")
    else:
        found = sum(1 for v in txn.db(layout.VERSIONS).table("versions") if v["pipeline_id"] == pipeline["id"])
        presence.expect_versions(files, pipeline, found)


def register(txn: Transaction, files: StoreFiles, name: str, version_hash: str, spec: dict[str, Any], *,
             pipeline_id: str | None = None, pipeline_created: str | None = None,
             version_created: str | None = None) -> Registration:
    """Create the version (and the pipeline if new) unless another writer just did. The
    keywords are for copies from another store: the id and times to keep (if free)."""
    pipelines_db, versions_db = txn.db(layout.PIPELINES), txn.db(layout.VERSIONS)
    again = find_registration(pipelines_db, versions_db, name, version_hash)
    if again is not None:
        return again
    now = datetime.now(timezone.utc).isoformat()
    pipelines = pipelines_db.table("pipelines")
    pipeline = next((doc for doc in pipelines if doc["name"] == name), None)
    _check_lost(txn, files, name, pipeline)
    if pipeline is None and (pipeline_id is None or not is_safe_id(pipeline_id)
                             or any(doc["id"] == pipeline_id for doc in pipelines)):
        pipeline_id = uuid.uuid4().hex
    pipeline_id = pipeline["id"] if pipeline else pipeline_id
    versions = versions_db.table("versions")
    number = 1 + max((v["number"] for v in versions if v["pipeline_id"] == pipeline_id), default=0)
    # The version first, then the pipeline that points at it (first-change order).
    versions.insert({"pipeline_id": pipeline_id, "pipeline_name": name, "number": number,
                     "hash": version_hash, "spec": spec, "created": version_created or now})
    if pipeline is None:
        pipelines.insert({"id": pipeline_id, "name": name, "created": pipeline_created or now,
                          "latest_version": number, "last_run_id": None, "run_count": 0, "index_chunk": 0})
    else:
        pipelines.update({"latest_version": number}, doc_ids=[pipeline.doc_id])
    return Registration(pipeline_id, number, pipeline is None, True)


def pipeline_docs(files: StoreFiles) -> list[dict[str, Any]]:
    """Every pipeline document, by name (none in a store with runs: damage, ``presence``)."""
    docs = files.snapshot(layout.PIPELINES).table("pipelines").all()
    if not docs:
        presence.expect_no_runs(files)
    return sorted((dict(doc) for doc in docs), key=lambda p: p["name"])


def pipeline_doc(files: StoreFiles, name: str) -> dict[str, Any] | None:
    docs = files.snapshot(layout.PIPELINES).table("pipelines").all()
    for doc in docs:
        if doc["name"] == name:
            return dict(doc)
    if not docs:
        presence.expect_no_runs(files)
    return None


def version_docs(files: StoreFiles, pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    versions = files.snapshot(layout.VERSIONS).table("versions")
    found = sorted((dict(v) for v in versions if v["pipeline_id"] == pipeline["id"]), key=lambda v: v["number"])
    presence.expect_versions(files, pipeline, len(found))
    return found


def update(txn: Transaction, name: str, tags: tuple[list[str], list[str]], notes: str | None,
           set_notes: bool, root: str) -> dict[str, Any]:
    """Retag and annotate pipeline ``name``; return its new document."""
    from framework.metadata import checks

    pipelines = txn.db(layout.PIPELINES).table("pipelines")
    doc = next((p for p in pipelines if p["name"] == name), None)
    if doc is None:
        raise KeyError(f"no pipeline named {name!r} in the metadata store at {root}")
    fields: dict[str, Any] = {"tags": checks.retagged(doc.get("tags") or [], *tags)}
    if set_notes:
        fields["notes"] = notes
    pipelines.update(fields, doc_ids=[doc.doc_id])
    return {**doc, **fields}
