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
from framework.metadata.tinydb import layout
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


def register(txn: Transaction, name: str, version_hash: str, spec: dict[str, Any], *,
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
    """Every pipeline document, by name."""
    docs = files.snapshot(layout.PIPELINES).table("pipelines").all()
    return sorted((dict(doc) for doc in docs), key=lambda p: p["name"])


def pipeline_doc(files: StoreFiles, name: str) -> dict[str, Any] | None:
    for doc in files.snapshot(layout.PIPELINES).table("pipelines"):
        if doc["name"] == name:
            return dict(doc)
    return None


def version_docs(files: StoreFiles, pipeline_id: str) -> list[dict[str, Any]]:
    versions = files.snapshot(layout.VERSIONS).table("versions")
    return sorted((dict(v) for v in versions if v["pipeline_id"] == pipeline_id), key=lambda v: v["number"])
