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

import re
from collections.abc import Callable
from typing import Any

_ROW = ("id", "name", "pipeline_name", "version", "status", "start_time", "end_time", "duration", "api",
        "unlisted", "tags", "notes", "summary", "steps")

#: file name pattern -> table -> keys every document of that table has
REQUIRED: list[tuple[re.Pattern[str], dict[str, tuple[str, ...]]]] = [
    (re.compile(r"[/\\]store\.json(\.bak)?$"), {"store": ("id",)}),
    (re.compile(r"[/\\]pipelines\.json(\.bak)?$"), {"pipelines": ("id", "name"), "running": ("run_id",)}),
    (re.compile(r"[/\\]versions\.json(\.bak)?$"), {"versions": ("pipeline_id", "number", "hash")}),
    (re.compile(r"[/\\]names[/\\][0-9a-f]{3}\.json(\.bak)?$"), {"names": ("name", "run_id")}),
    (re.compile(r"[/\\]index[/\\][^/\\]+[/\\][0-9]{6}\.json(\.bak)?$"), {"runs": ("run_id",)}),
    (re.compile(r"[/\\]runs[/\\][^/\\]{2}[/\\][^/\\.]+\.steps(\.[0-9]+)?\.json(\.bak)?$"),
     {"step_runs": ("id",), "artifacts": ("id",)}),
    (re.compile(r"[/\\]runs[/\\][^/\\]{2}[/\\][^/\\.]+\.json(\.bak)?$"),
     {"run": ("id", "name", "pipeline_id", "pipeline_name", "version", "status", "start_time")}),
    (re.compile(r"[/\\]cache[/\\][^/\\]{2}[/\\][^/\\]+\.json(\.bak)?$"), {"entries": ("cache_key", "run_id")}),
]


def check(path: str, data: dict[str, Any], corrupted: Callable[[str, str], Exception]) -> None:
    """Raise a `RecordError` (the message ``corrupted(path, problem)`` makes) for the first
    document lacking a key it must have."""
    from framework.exceptions import RecordError

    for pattern, tables in REQUIRED:
        if pattern.search(path):
            for table, keys in tables.items():
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
                            raise corrupted(path, f"holds an index row (runs {doc_id}) without {', '.join(absent)}")
            return
