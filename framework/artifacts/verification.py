"""Checking stored bytes against their `ArtifactInfo` record, and the error when they differ.

Why its own module: this check is the store's trust boundary. Nothing is deserialized
(and no pickle runs) unless the file still has the recorded size and content hash, and
the error says which artifact, for which run/step/output (``context``), where, and what
is wrong, so a user can act on the message alone.
"""

from __future__ import annotations

from typing import Any, Callable

from framework.exceptions import ArtifactVerificationError
from framework.hashing import hash_bytes, hash_file
from framework.records import ArtifactInfo

__all__ = ["read_verified", "file_problem", "verification_error"]


def read_verified(files: Any, info: ArtifactInfo, path: str, context: str) -> bytes:
    """Read the whole file once and return its bytes if they match ``info``; else raise.

    Loading from these bytes (not the file again) means they cannot change between the
    check and the load.
    """
    try:
        with files.open_read(path) as f:
            data = f.read(info.size + 1)  # one byte more reveals a grown file
    except (FileNotFoundError, NotADirectoryError):
        raise verification_error(files, info, path, context, "is missing") from None
    problem = _mismatch(info, len(data), lambda: hash_bytes(data))
    if problem:
        raise verification_error(files, info, path, context, problem)
    return data


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
        f"Artifact {info.id}{where} at {files.display(path)} {problem}; it will not be "
        "loaded. Re-run the step that produced it to recreate it.")
