"""A directory as one deterministic, uncompressed tar stream, and back, safely.

Why: materializers written for ZenML write *files under a directory* (``self.uri``),
while this store keeps one content-hashed file per output (SPEC §7). `pack` turns the
directory into a single stream the store hashes as it is written; `unpack` restores it
into a fresh directory before the materializer's ``load`` reads it.

Why these choices:

* **Deterministic bytes.** Entries in sorted order, ``mtime`` 0, uid/gid 0, no user or
  group names, modes reduced to 0644/0755: the same files give the same bytes, so the
  content hash — and the cache key of every step consuming the artifact — stays the same
  across runs.
* **Uncompressed tar, streamed.** Writing needs no seeking (the store's hashing writer is
  not seekable), gzip would add a timestamp, and ``tar tf`` opens the artifact.
* **Nothing escapes on unpack.** Only regular files and directories are restored; an
  absolute name, a ``..`` or empty component, a link, a device or a sparse member makes
  the whole unpack fail (`UnsafeArchiveError`), and each file is created with
  ``O_EXCL | O_NOFOLLOW`` under a checked path. The store verified the bytes against
  their record before this runs, so such an archive means a forged record, never a
  routine failure.
* **Only files and directories are packed.** A symlink (or fifo, socket) under the
  directory is refused with an error naming it: its target would not travel with the
  artifact.
"""

from __future__ import annotations

import os
import stat
import tarfile
from typing import IO, Iterator

__all__ = ["pack", "unpack", "UnsafeArchiveError", "UnsupportedEntryError"]

_CHUNK = 1024 * 1024


class UnsafeArchiveError(ValueError):
    """The archive holds a member that must not be restored (it would escape or is a link)."""


class UnsupportedEntryError(ValueError):
    """The directory to pack holds something other than regular files and directories."""


def _entries(root: str, rel: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """``(relative posix path, lstat)`` of everything under ``root``, sorted, parents first."""
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        names = sorted(entry.name for entry in it)
    for name in names:
        path = f"{rel}/{name}" if rel else name
        st = os.lstat(os.path.join(root, path))
        yield path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _entries(root, path)


def _info(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def pack(directory: str, fileobj: IO[bytes]) -> int:
    """Write every file and directory under ``directory`` to ``fileobj`` as a tar stream.

    Only ``write`` is called on ``fileobj``, which is not closed. Returns the number of
    regular files packed. Raises `UnsupportedEntryError` naming the first entry that is
    neither a regular file nor a directory.
    """
    files = 0
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT, bufsize=_CHUNK) as tar:
        for rel, st in _entries(directory):
            if stat.S_ISDIR(st.st_mode):
                tar.addfile(_info(rel, tarfile.DIRTYPE, 0o755))
            elif stat.S_ISREG(st.st_mode):
                mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
                with open(os.path.join(directory, rel), "rb") as f:
                    tar.addfile(_info(rel, tarfile.REGTYPE, mode, st.st_size), f)
                files += 1
            else:
                kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
                raise UnsupportedEntryError(f"`{rel}` is {kind}")
    return files


def _target(root: str, name: str) -> str:
    """The path ``name`` restores to under ``root``; `UnsafeArchiveError` if it could escape."""
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts) or any(
            os.sep in p or (os.altsep and os.altsep in p) or "\0" in p for p in parts):
        raise UnsafeArchiveError(f"member `{name}` is absolute or has an empty, `.` or `..` "
                                 "component, so it could land outside the unpack directory")
    target = os.path.join(root, *parts)
    if not os.path.realpath(target).startswith(os.path.realpath(root) + os.sep):
        raise UnsafeArchiveError(f"member `{name}` would land outside the unpack directory")
    return target


def unpack(fileobj: IO[bytes], directory: str) -> int:
    """Restore a `pack` stream from ``fileobj`` into the existing, empty ``directory``.

    Returns the number of regular files restored. Any member that is not a plain file or
    directory with a safe relative name raises `UnsafeArchiveError` (nothing outside
    ``directory`` is touched; the caller removes ``directory``).
    """
    files = 0
    with tarfile.open(fileobj=fileobj, mode="r|", bufsize=_CHUNK) as tar:
        for member in tar:
            target = _target(directory, member.name)
            if member.isdir():
                os.makedirs(target, exist_ok=True)
            elif member.isreg() and not member.issparse():
                os.makedirs(os.path.dirname(target), exist_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                try:
                    fd = os.open(target, flags, 0o755 if member.mode & stat.S_IXUSR else 0o644)
                except FileExistsError:
                    raise UnsafeArchiveError(f"member `{member.name}` appears twice") from None
                source = tar.extractfile(member)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(_CHUNK):  # type: ignore[union-attr]
                        out.write(chunk)
                files += 1
            else:
                kind = "a link" if (member.issym() or member.islnk()) else "not a regular file"
                raise UnsafeArchiveError(f"member `{member.name}` is {kind}; only files and "
                                         "directories are restored")
    return files
