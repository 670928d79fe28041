"""Content hashes and fresh ids: the two kinds of identity every stored thing carries.

Why xxh3_128: artifacts are hashed on every save *and* on every load (a load verifies
before it trusts the bytes), so the hash must run at memory speed (~10 GB/s) rather than
at SHA-256 speed (~1 GB/s), or hashing would become the bottleneck of large saves. It
guards against corruption and accidental or careless tampering of stored files (a
truncated write, a swapped file), which is what the store's checks are for; it is not a
cryptographic signature.

Digests are prefixed with the algorithm name (``"xxh3_128:"``) so records stay decodable
if the algorithm ever changes. Only stdlib and ``xxhash`` are imported, so this module is
cheap to import from anywhere (caching, metadata, workers).
"""

from __future__ import annotations

import os
import uuid
from typing import IO, Union

import xxhash

__all__ = ["HASH_PREFIX", "CHUNK_SIZE", "hash_bytes", "hash_file", "new_hasher",
           "format_digest", "new_id"]

HASH_PREFIX = "xxh3_128:"
#: Read size for files: large enough that the per-call overhead vanishes, small enough
#: that the buffer is no memory concern even for many concurrent verifications.
CHUNK_SIZE = 8 * 1024 * 1024

PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]


def new_hasher() -> "xxhash.xxh3_128":
    """A fresh incremental hasher; feed it with ``.update(buffer)``, finish with `format_digest`.

    Exposed so writers can hash bytes *while* streaming them to disk instead of reading
    the finished file back.
    """
    return xxhash.xxh3_128()


def format_digest(hasher: "xxhash.xxh3_128") -> str:
    """The prefixed hex digest of an incremental hasher (same format as `hash_bytes`)."""
    return HASH_PREFIX + hasher.hexdigest()


def hash_bytes(data: bytes | bytearray | memoryview) -> str:
    """Hash an in-memory buffer; ``b""`` hashes fine (to a fixed, non-empty digest)."""
    return HASH_PREFIX + xxhash.xxh3_128_hexdigest(data)


def hash_file(source: PathOrFile, chunk_size: int = CHUNK_SIZE) -> str:
    """Hash a file given by path, or an open binary file object read from its current position.

    Streams in ``chunk_size`` pieces into one reused buffer, so memory stays flat for
    files of any size. File objects (local or fsspec) are read to their end and not
    closed; a path that does not exist raises ``FileNotFoundError``.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb", buffering=0) as f:
            return _hash_stream(f, chunk_size)
    return _hash_stream(source, chunk_size)


def _hash_stream(f: IO[bytes], chunk_size: int) -> str:
    hasher = new_hasher()
    # A first plain read: a small file (the common case) then costs no zeroed chunk-size
    # buffer (allocating and zeroing 8 MiB takes longer than reading a small file).
    first = f.read(chunk_size)
    hasher.update(first)
    readinto = getattr(f, "readinto", None)
    if len(first) < chunk_size or readinto is None:  # small file, or a minimal file-like
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
        return format_digest(hasher)
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    while True:
        n = readinto(view)
        if not n:
            break
        hasher.update(view[:n])
    return format_digest(hasher)


def new_id() -> str:
    """A fresh random id (uuid4, 32 lowercase hex chars) for runs, steps and artifacts.

    Artifact paths are built from these ids only, never from user-given names, so a path
    can never be steered outside the store.
    """
    return uuid.uuid4().hex
