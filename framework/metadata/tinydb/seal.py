"""Checksums of store files: damage that is still valid JSON is caught on the next read.

JSON parsing catches a truncated or garbled file, but not one that was edited into other
valid JSON — a table emptied to ``{}``, a key dropped, a document removed by hand or by a
tool that "fixed" the file. Every file the store writes therefore ends with its own
checksum::

    {"run":{"1":{...}},"index":{"1":{"chunk":0}},"_sum":"<32 hex>"}

``_sum`` is the BLAKE2b-128 of the same document without it (``{"run":…,"index":…}``, the
exact bytes `encode_tables` made), so verifying costs one hash of bytes already read — no
re-encoding. A file without ``_sum`` is accepted only in a store written before checksums
existed (``identity``: the store is not *sealed*); ``framework doctor --repair`` seals one.

The checksum is not a signature: anyone who can write the file can recompute it. It is
there to detect accidents and hand edits, and to name the file when they happen.
"""

from __future__ import annotations

import hashlib
import re

SUM_KEY = "_sum"
_TAIL = re.compile(rb',?"_sum":"([0-9a-f]{32})"\}\s*$')
_MARK = b'"_sum":"'
_TAIL_LENGTH = len(_MARK) + 32 + 2  # "_sum":"<32 hex>"}
_HEX = frozenset(b"0123456789abcdef")


def digest(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def seal(payload: bytes) -> bytes:
    """``payload`` (a compact JSON object) with its checksum as the last member."""
    tail = b'"_sum":"' + digest(payload).encode("ascii") + b'"}'
    return payload[:-1] + (b"," if payload != b"{}" else b"") + tail


def unseal(raw: bytes) -> tuple[bytes, bool | None]:
    """``(payload, verdict)``: the document without its checksum and whether the checksum
    matches (True), does not (False), or is absent (None, ``payload`` is ``raw``)."""
    body = raw.rstrip()
    start = len(body) - _TAIL_LENGTH  # the checksum is always last: look there only
    if start < 1 or not body.endswith(b'"}') or body[start:start + len(_MARK)] != _MARK:
        return raw, None
    checksum = body[start + len(_MARK):-2]
    if not _HEX.issuperset(checksum):
        return raw, None
    head = body[:start]
    payload = (head[:-1] if head.endswith(b",") else head) + b"}"
    return payload, digest(payload) == checksum.decode("ascii")


def has_sum(raw: bytes) -> bool:
    return _TAIL.search(raw[-_TAIL_LENGTH - 64:]) is not None


def reseal(path: str) -> None:
    """Accept a store file edited by hand: rewrite it with a checksum of its current content.

    For operators who changed a file on purpose (and for tests that play an attacker who
    rewrites records): the file must still be a compact-or-not JSON table mapping.
    """
    import json

    from framework.io.atomic import atomic_write
    from framework.metadata.tinydb.files import encode_tables

    with open(path, "rb") as handle:
        payload, _verdict = unseal(handle.read())
    data = json.loads(payload)
    data.pop(SUM_KEY, None)
    atomic_write(path, encode_tables(data))
