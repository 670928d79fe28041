"""The keys each kind of store document must have before any code of the store touches it.

Checksums catch a file changed by hand; a program that rewrites a file *with* a valid
checksum (or a store from before checksums) can still drop a key. Records (runs, step
runs, artifacts) are checked in full when they become records (``records.from_doc``), but
the store's own code reads some keys of every document first — a claim's ``run_id``, an
index entry's ``row``, a pipeline's ``name`` — and a missing one was a raw ``KeyError``.
So `check` runs on every file as it is parsed (``files.load_tables``), by the file's kind,
and names the file and the document: one clear error, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_ROW = ("id", "name", "pipeline_name", "version", "status", "start_time", "end_time", "duration", "api",
        "unlisted", "tags", "notes", "summary", "steps")

#: kind of store file -> table -> keys every document of that table has
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "store": {"store": ("id",)},
    "pipelines": {"pipelines": ("id", "name"), "running": ("run_id",)},
    "versions": {"versions": ("pipeline_id", "number", "hash")},
    "names": {"names": ("name", "run_id")},
    "index": {"runs": ("run_id",)},
    "steps": {"step_runs": ("id",), "artifacts": ("id",)},
    "run": {"run": ("id", "name", "pipeline_id", "pipeline_name", "version", "status", "start_time")},
    "cache": {"entries": ("cache_key", "run_id")},
}
_TOP = {"store.json": "store", "pipelines.json": "pipelines", "versions.json": "versions"}


def kind(path: str) -> str | None:
    """Which kind of store file ``path`` (or its ``.bak``) is, from where it lies; None: not
    one of the store's (a file a test or tool parses on its own)."""
    head, name = os.path.split(path[:-4] if path.endswith(".bak") else path)
    if name in _TOP:
        return _TOP[name]
    parent, shard = os.path.split(head)
    top = os.path.basename(parent)
    if shard == "names":
        return "names"
    if top == "runs":
        return "steps" if ".steps" in name else "run"
    return top if top in ("index", "cache") else None


def check(path: str, data: dict[str, Any], corrupted: Callable[[str, str], Exception]) -> None:
    """Raise a `RecordError` (the message ``corrupted(path, problem)`` makes) for the first
    document lacking a key it must have."""
    from framework.exceptions import RecordError

    for table, keys in REQUIRED.get(kind(path) or "", {}).items():
        for doc_id, doc in (data.get(table) or {}).items():
            missing = [key for key in keys if key not in doc]
            if missing:
                ident = doc.get("id") or doc.get("run_id") or doc.get("name") or doc_id
                raise RecordError(str(corrupted(path, f"holds a record ({table}) `{ident}` that lacks "
                                                      f"{', '.join(missing)}")))
            if table == "runs" and "row" in doc:
                row = doc["row"]
                absent = [key for key in _ROW if key not in row] if type(row) is dict else ["a row"]
                if absent:
                    raise RecordError(str(corrupted(path, f"holds an index row (runs {doc_id}) without "
                                                          f"{', '.join(absent)}")))
