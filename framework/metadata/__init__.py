"""Metadata stores: pipelines, versions, runs, step runs, artifact records and the cache index.

``protocol.MetadataStore`` is the contract (typed records of ``framework.records`` in and
out); ``tinydb.TinyDBStore`` is the embedded default (JSON files below the home's
``metadata`` directory), ``memory.InMemoryStore`` the in-process store the tests use to
prove the contract is backend-free. ``checks`` holds what every backend validates before
it writes; ``liveness`` how a running run's owner is known to be gone.
"""

from __future__ import annotations

from typing import Any

from framework.metadata.protocol import MAX_CACHE_ENTRIES, MetadataStore
from framework.records import Registration

__all__ = ["MAX_CACHE_ENTRIES", "InMemoryStore", "MetadataStore", "Registration", "TinyDBStore"]


def __getattr__(name: str) -> Any:
    # The backends load on first use: a reader of one never imports the other (nor tinydb).
    if name == "TinyDBStore":
        from framework.metadata.tinydb import TinyDBStore

        return TinyDBStore
    if name == "InMemoryStore":
        from framework.metadata.memory import InMemoryStore

        return InMemoryStore
    raise AttributeError(f"module 'framework.metadata' has no attribute {name!r}")
