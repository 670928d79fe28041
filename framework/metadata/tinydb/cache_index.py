"""The cache index: ``cache/<key[:2]>/<key>.json``, one small file per cache key.

Each file keeps the newest `MAX_CACHE_ENTRIES` completed step runs of its key, since
every cache lookup reads the whole file. It is derived data: its directory is never
fsynced (a lost update after a power cut is a cache miss, nothing more).
"""

from __future__ import annotations

from typing import Any

from framework.metadata.protocol import MAX_CACHE_ENTRIES
from framework.metadata.tinydb import layout
from framework.metadata.tinydb.files import StoreFiles, Transaction


def add(txn: Transaction, entry: dict[str, Any]) -> None:
    """Make ``entry`` the newest of its key (replacing an older version of the same step run)."""
    entries = txn.db(layout.cache_file(entry["cache_key"]), index=True).table("entries")
    entries.remove(lambda doc: doc.get("step_run_id") == entry["step_run_id"])
    entries.insert(entry)
    docs = sorted(entries.all(), key=lambda doc: (doc.get("created") or "", doc.doc_id))
    if len(docs) > MAX_CACHE_ENTRIES:
        entries.remove(doc_ids=[doc.doc_id for doc in docs[:-MAX_CACHE_ENTRIES]])


def candidates(files: StoreFiles, cache_key: str) -> tuple[list[dict[str, Any]], str]:
    """The entry documents of ``cache_key``, newest first, and the file they came from."""
    # The parsed file itself, not TinyDB documents: this runs for every step of every
    # cached run (a full cache file: 8 entries, ~7 KB for a one-output step).
    relpath = layout.cache_file(cache_key)
    tables = files.tables(relpath)
    mine = [(doc.get("created") or "", int(doc_id), doc)
            for doc_id, doc in (tables.get("entries") or {}).items() if doc.get("cache_key") == cache_key]
    mine.sort(key=lambda item: item[:2], reverse=True)
    return [doc for _created, _doc_id, doc in mine], relpath


def evict(txn: Transaction, cache_key: str, artifact_id: str) -> int:
    """Remove the entries of ``cache_key`` whose artifacts include ``artifact_id``."""
    entries = txn.db(layout.cache_file(cache_key), index=True).table("entries")
    doomed = [doc.doc_id for doc in entries if artifact_id in (doc.get("artifacts") or {})]
    if doomed:
        entries.remove(doc_ids=doomed)
    return len(doomed)
