"""Metadata stores: pipelines, versions, runs, step runs, artifact records and the cache index.

``protocol.MetadataStore`` is the contract (typed records of ``framework.records`` in and
out); ``tinydb.TinyDBStore`` is the embedded default (JSON files below the home's
``metadata`` directory), ``postgres.PostgresStore`` the store for teams (a PostgreSQL
database, ``framework[postgres]``), ``memory.InMemoryStore`` the in-process store the
tests use to prove the contract is backend-free. ``checks`` holds what every backend
validates before it writes; ``framework.liveness`` how a running run's owner is known to
be gone; ``copy`` moves every record from one store to another.

`open_store` turns a location into its store: a PostgreSQL URL, or a directory (TinyDB).
"""

from __future__ import annotations

import os
from typing import Any

from framework.metadata.protocol import MAX_CACHE_ENTRIES, MetadataStore
from framework.records import Registration

__all__ = ["MAX_CACHE_ENTRIES", "InMemoryStore", "MetadataStore", "PostgresStore", "Registration", "TinyDBStore",
           "open_store"]


def open_store(location: str | os.PathLike[str]) -> MetadataStore:
    """The store at ``location``: ``postgresql://…`` → `PostgresStore`, else the TinyDB store
    in that directory. Nothing is opened or created until the first operation."""
    from framework.metadata.postgres.urls import is_postgres_url

    if is_postgres_url(location):
        from framework.metadata.postgres import PostgresStore

        return PostgresStore(str(location))
    if isinstance(location, str) and "://" in location:
        raise ValueError(f"Unknown metadata store URL {location.split('://', 1)[0]}://…; use a directory "
                         "(TinyDB) or postgresql://user@host/database.")
    from framework.metadata.tinydb import TinyDBStore

    return TinyDBStore(location)


def __getattr__(name: str) -> Any:
    # The backends load on first use: a reader of one never imports the others (nor tinydb, nor SQLAlchemy).
    if name == "TinyDBStore":
        from framework.metadata.tinydb import TinyDBStore

        return TinyDBStore
    if name == "InMemoryStore":
        from framework.metadata.memory import InMemoryStore

        return InMemoryStore
    if name == "PostgresStore":
        from framework.metadata.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'framework.metadata' has no attribute {name!r}")
