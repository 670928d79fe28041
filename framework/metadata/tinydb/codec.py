"""One store file as bytes: parsed and checked on the way in, encoded and sealed on the way out.

`load_tables` is the one parser of store files: a file that is empty, truncated, not valid
JSON, not a TinyDB table mapping, not what its checksum says (``seal``) or holding a
document without a key the store needs (``documents``) raises ``StoreCorruptedError``
naming the file and how to recover — never an empty or different database. `encode_tables`
is the one encoder: strict, compact JSON ending with its checksum.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from framework.exceptions import StoreCorruptedError
from framework.metadata.tinydb import documents
from framework.metadata.tinydb.seal import SUM_KEY, seal, unseal


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-JSON constant {name}")


def corrupted(path: str, problem: str) -> StoreCorruptedError:
    """The error for a damaged store file: what is wrong and how to recover."""
    backup = path + ".bak"
    if os.path.exists(backup):
        fix = (
            f"To recover, restore the last good copy kept next to it: `cp '{backup}' '{path}'` "
            "(it lacks only the last write made to this file)."
        )
    else:
        fix = (
            f"No backup '{backup}' exists; run `framework doctor --repair`, which keeps the file "
            "aside and rebuilds what the run records hold, or restore it from your own backup."
        )
    return StoreCorruptedError(
        f"Metadata store file '{path}' {problem}; refusing to treat it as empty. {fix} "
        "`framework doctor` checks the whole store."
    )


def load_tables(path: str, sealed: Callable[[], bool] | None = None) -> dict[str, dict[str, Any]] | None:
    """Parse one store file: its tables, ``None`` if it does not exist, or ``StoreCorruptedError``.

    The file's checksum (``seal``) must match; a file without one is accepted unless
    ``sealed()`` says every file of its store carries one.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise corrupted(path, "is empty")
    payload, verdict = unseal(raw)
    try:
        data = json.loads(payload, parse_constant=_reject_constant) if verdict is not False else None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise corrupted(path, f"is truncated or not valid JSON ({error})") from None
    if verdict is False or (verdict is None and type(data) is dict and SUM_KEY in data):
        raise corrupted(path, "does not match its checksum: it was changed outside the framework "
                              "(edited by hand or by another program, or damaged)")
    if type(data) is not dict or not all(type(table) is dict for table in data.values()):
        raise corrupted(path, "is valid JSON but not a TinyDB table mapping")
    if verdict is None and sealed is not None and sealed():
        raise corrupted(path, "has no checksum although every file of this store carries one: it was "
                              "replaced or rewritten outside the framework")
    for name, table in data.items():
        for doc_id, doc in table.items():
            if type(doc) is not dict or not (doc_id.isascii() and doc_id.isdigit()):
                raise corrupted(path, f"is valid JSON but table {name!r} holds {doc_id!r}: "
                                      f"{type(doc).__name__}, not a document with a numeric id")
    documents.check(path, data, corrupted)
    return data


def encode_tables(data: dict[str, Any]) -> bytes:
    """Strict, compact JSON bytes ending with their checksum (``seal``); ``ValueError`` on
    NaN/Infinity or non-JSON values."""
    return seal(json.dumps(data, allow_nan=False, check_circular=False, separators=(",", ":")).encode("utf-8"))


