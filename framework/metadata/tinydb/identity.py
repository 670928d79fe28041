"""The store's identity: ``store.json`` — a stable id, the file format, whether it is sealed.

Why a store needs an id: several homes may share one artifact store, and each keeps its
reference records there under its store's id (``framework.artifacts.refs``); the id must
not change when the home is mounted elsewhere (another container, another machine), so it
is a generated id kept in the store, not its path. A copy is kept in ``pipelines.json``
(table ``store``), so `framework doctor --repair` can bring a removed ``store.json`` back
with the same id.

*Sealed* means every file of the store carries a checksum (``seal``): true for a store
created by this version, and for an older store once ``framework doctor --repair`` has
rewritten its files. In a sealed store a file without a checksum is damage (a file replaced
by ``{}``, say); in an older store it is a file not rewritten since.

``store.json`` is created by the store's first transaction (first in its commit order),
and is itself always sealed.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import Any

from framework.metadata.checks import is_safe_id
from framework.metadata.tinydb import layout
from framework.metadata.tinydb.files import StoreFiles, Transaction, corrupted, load_tables
from framework.metadata.tinydb.seal import has_sum

STORE_FILE = "store.json"  # table store: {id, format, sealed, created}
FORMAT = 2
MIRROR_TABLE = "store"  # in pipelines.json: {id}


def read(files: StoreFiles) -> dict[str, Any] | None:
    """The identity document, or None if ``store.json`` does not exist."""
    path = files.path(STORE_FILE)
    tables = load_tables(path, sealed=lambda: True)
    if tables is None:
        return None
    docs = list((tables.get("store") or {}).values())
    if not docs or not is_safe_id(docs[0].get("id")):
        raise corrupted(path, "does not hold the store's id")
    return docs[0]


def _written_since_identities(files: StoreFiles) -> bool:
    """Does ``pipelines.json`` carry a checksum (so the store was written by a version that
    creates ``store.json``)?"""
    try:
        with open(files.path(layout.PIPELINES), "rb") as handle:
            return has_sum(handle.read())
    except FileNotFoundError:
        return False


def _missing(files: StoreFiles) -> Exception:
    return corrupted(files.path(STORE_FILE), "is missing, although the store's other files were written by a "
                                             "version that creates it")


def is_sealed(files: StoreFiles) -> bool | None:
    """True/False from ``store.json``; None while the store has none (a new or an older store).
    A missing ``store.json`` in a store that had one is `StoreCorruptedError`."""
    doc = read(files)
    if doc is None:
        if _written_since_identities(files):
            raise _missing(files)
        return None
    return bool(doc.get("sealed"))


def mirrored_id(txn: Transaction) -> str | None:
    docs = txn.db(layout.PIPELINES).table(MIRROR_TABLE).all()
    return docs[0].get("id") if docs and is_safe_id(docs[0].get("id")) else None


def ensure(txn: Transaction, files: StoreFiles) -> dict[str, Any]:
    """The identity as of this transaction, created (with its mirror) if the store has none."""
    table = txn.db(STORE_FILE).table("store")
    found = table.all()
    if found:
        return dict(found[0])
    if _written_since_identities(files):
        raise _missing(files)
    fresh = not os.path.exists(files.path(layout.PIPELINES)) and not os.path.isdir(files.path("runs"))
    doc = {"id": mirrored_id(txn) or uuid.uuid4().hex, "format": FORMAT, "sealed": fresh,
           "created": datetime.now(timezone.utc).isoformat()}
    table.insert(doc)
    return doc


def keep_mirror(txn: Transaction, store_id: str) -> None:
    """Before a transaction commits: a ``pipelines.json`` it rewrites keeps a copy of the id
    (for `framework doctor --repair`). Only a file already being written gets it, so the
    commit order the writers chose stays as it was."""
    if txn.changed(layout.PIPELINES) and mirrored_id(txn) != store_id:
        mirror_table = txn.db(layout.PIPELINES).table(MIRROR_TABLE)
        mirror_table.truncate()
        mirror_table.insert({"id": store_id})
