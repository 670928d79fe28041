"""Checking stored bytes against their `ArtifactInfo` record, and the error when they differ.

Why its own module: this check is the store's trust boundary. Nothing is deserialized
(and no pickle runs) unless the file still has the recorded size and content hash, and
the error says which artifact, for which run/step/output (``context``), where, and what
is wrong, so a user can act on the message alone.
"""

from __future__ import annotations

import io
from typing import Any, Callable

from framework.exceptions import ArtifactVerificationError
from framework.hashing import CHUNK_SIZE, format_digest, hash_file, new_hasher
from framework.records import ArtifactInfo

__all__ = ["VerifiedBytes", "read_verified", "file_problem", "verification_error"]


class VerifiedBytes(io.RawIOBase):
    """A read-only file over bytes that matched their record, without copying them.

    ``data`` is the buffer itself (a ``bytearray``), for loaders that can build their value
    as a view of it (numpy); everything else reads it as a file.
    """

    def __init__(self, data: bytearray) -> None:
        super().__init__()
        self.data = data
        self._view = memoryview(data)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._view[self._position:self._position + len(buffer)]
        n = len(chunk)
        memoryview(buffer).cast("B")[:n] = chunk
        self._position += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self.data)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def getbuffer(self) -> memoryview:
        return self._view


def read_verified(files: Any, info: ArtifactInfo, path: str, context: str) -> VerifiedBytes:
    """Read the whole file once, hashing it as it is read, and return those bytes if they
    match ``info``; else raise.

    Loading from these bytes (never the file again) means nothing can change them between
    the check and the load: a file swapped in, or written into, after the check is not
    what gets loaded. One buffer of the file's size; no second copy.
    """
    data = bytearray(info.size)
    view = memoryview(data)
    hasher = new_hasher()
    filled = 0
    try:
        with files.open_read(path) as f:
            while filled < info.size:
                n = f.readinto(view[filled:filled + CHUNK_SIZE])
                if not n:
                    break
                hasher.update(view[filled:filled + n])
                filled += n
            grown = bool(f.read(1))  # one byte more reveals a grown file
    except (FileNotFoundError, NotADirectoryError):
        raise verification_error(files, info, path, context, "is missing") from None
    size = filled + 1 if grown else filled
    problem = _mismatch(info, size, lambda: format_digest(hasher))
    if problem:
        raise verification_error(files, info, path, context, problem)
    return VerifiedBytes(data)


def file_problem(files: Any, info: ArtifactInfo, path: str) -> str | None:
    """Why the file does not match ``info`` (hash streamed in big chunks), or None if it does."""
    size = files.size(path)
    if size is None:
        return "is missing"

    def digest() -> str:
        with files.open_read(path) as f:
            return hash_file(f)
    return _mismatch(info, size, digest)


def _mismatch(info: ArtifactInfo, size: int, digest: Callable[[], str]) -> str | None:
    if size != info.size:
        return f"has {size} bytes but {info.size} were recorded (truncated or altered)"
    actual = digest()  # only hash when the cheap size check passed
    if actual != info.content_hash:
        return f"has content hash {actual}, not the recorded {info.content_hash} (altered)"
    return None


def verification_error(files: Any, info: ArtifactInfo, path: str, context: str,
                       problem: str) -> ArtifactVerificationError:
    where = f" for {context}" if context else ""
    return ArtifactVerificationError(
        f"Artifact {info.id}{where} at {files.display(path)} {problem}; it will not be loaded, and the "
        "cache will not serve it again: the next run recomputes it.", artifact_id=info.id)
