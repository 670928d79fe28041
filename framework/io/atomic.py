"""The one way files are replaced: write a temp file beside the target, fsync, rename.

Readers then see the old file or the new one, never a torn one, and a crash leaves only a
temp file. Every writer of the framework goes through here: the metadata store (one
file, or a whole transaction's files with their fsyncs batched: `write_many`), the
stacks file, artifacts (`atomic_open`, streamed), the codemod's ``--write`` and the
dashboard's static export.

Temp names are ``.<name>.<random>[.<owner>].tmp`` in the target's directory (so the
rename never crosses filesystems). ``owner`` is ``<host hash>-<pid>`` for writers whose
leftovers other processes may remove once that process is gone (see `temp_owner`);
`is_temp_name` also recognises the older artifact form ``<name>.tmp-<random>[-<owner>]``,
so leftovers written before this module existed are still swept (`sweep_temp_files`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

__all__ = [
    "TEMP_SUFFIX", "atomic_open", "atomic_write", "fsync_dir", "fsync_dirs", "fsync_all", "is_temp_name",
    "keep_backup", "make_dirs", "owner_tag", "sweep_temp_files", "temp_owner", "temp_path", "write_many",
]

TEMP_SUFFIX = ".tmp"
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_OWNER = re.compile(r"\.([0-9a-f]{8})-([0-9]+)\.tmp$")
_OLD_ARTIFACT_TEMP = re.compile(r"\.tmp-[0-9a-f]+(?:-([0-9a-f]{8})-([0-9]+))?$")
_E = TypeVar("_E")


# ---------------------------------------------------------------------- temp names
def owner_tag() -> str:
    """``<host hash>-<pid>``: which process wrote a temp file (the host hash is the first 8
    hex digits of the host name's sha1, as earlier artifact temp names have it)."""
    return f"{_host_hash()}-{os.getpid()}"


@functools.lru_cache(maxsize=1)
def _host_hash() -> str:
    import hashlib
    import socket

    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_path(path: str, *, owned: bool = False) -> str:
    """A fresh temp name beside ``path``; ``owned`` adds this process's `owner_tag`."""
    directory, name = os.path.split(path)
    owner = f".{owner_tag()}" if owned else ""
    return os.path.join(directory, f".{name}.{secrets.token_hex(6)}{owner}{TEMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """True for a temp file this module (or an earlier artifact writer) names."""
    return (name.startswith(".") and name.endswith(TEMP_SUFFIX)) or _OLD_ARTIFACT_TEMP.search(name) is not None


def temp_owner(name: str) -> tuple[str, int] | None:
    """``(host hash, pid)`` of the process that wrote an owned temp file, else None."""
    match = _OWNER.search(name) or _OLD_ARTIFACT_TEMP.search(name)
    if match is None or match.group(1) is None:
        return None
    return match.group(1), int(match.group(2))


# ---------------------------------------------------------------------- directories and fsync
def fsync_dir(directory: str) -> None:
    """Make renames and creations inside ``directory`` durable."""
    fsync_dirs([directory])


def fsync_dirs(directories: Iterable[str]) -> None:
    """`fsync_dir` for several directories at once (see `fsync_all`). Platforms and
    filesystems that cannot fsync a directory are skipped silently: there the rename is
    as durable as it gets."""
    fds = []
    try:
        for directory in directories:
            try:
                fds.append(os.open(directory, os.O_RDONLY | _O_DIRECTORY))
            except OSError:  # Windows cannot open directories; its renames are durable already
                continue
        with contextlib.suppress(OSError):
            fsync_all(fds)
    finally:
        for fd in fds:
            os.close(fd)


def make_dirs(directory: str, unsynced: list[str] | None = None) -> None:
    """Create ``directory`` and missing parents; fsync each parent that got a new entry,
    or, with ``unsynced``, append those parents to it for the caller to fsync."""
    parent = os.path.dirname(directory)
    if parent and parent != directory and not os.path.isdir(parent):
        make_dirs(parent, unsynced)
    try:
        os.mkdir(directory)
    except FileExistsError:
        return
    if unsynced is None:
        fsync_dir(parent or ".")
    else:
        unsynced.append(parent or ".")


_POOL: dict[int, Any] = {}  # pid -> executor (a forked child makes its own)


def background() -> Any:
    """A small thread pool for fsyncs and deferred deletes (one per process)."""
    pool = _POOL.get(os.getpid())
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.clear()
        pool = _POOL[os.getpid()] = ThreadPoolExecutor(16, thread_name_prefix="framework-fsync")
    return pool


def fsync_all(fds: list[int]) -> None:
    """fsync every descriptor; several at once in threads so they share journal commits.

    Measured on ext4 (2-core VM): 100 fsyncs of new files take 280 ms one after another,
    25 ms from 4 threads and 11 ms from 16 — concurrent fsyncs wait for the same commit.
    """
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    futures = [background().submit(os.fsync, fd) for fd in fds]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _open_new(temp: str, mode: int, unsynced: list[str] | None) -> int:
    try:
        return os.open(temp, _NEW_FILE, mode)
    except FileNotFoundError:
        make_dirs(os.path.dirname(temp), unsynced)
        return os.open(temp, _NEW_FILE, mode)


# ---------------------------------------------------------------------- one file
@contextlib.contextmanager
def atomic_open(path: str, *, fsync: bool = True, mode: int = 0o644, owned: bool = False) -> Iterator[IO[bytes]]:
    """Yield a binary file that becomes ``path`` when the block ends without an error.

    ``fsync``: flush the file to disk before the rename and the directory after it (off:
    a process crash still never tears the file, only a power cut can). On an error the
    temp file is removed and ``path`` is untouched. Missing directories are created.
    """
    temp = temp_path(path, owned=owned)
    handle = os.fdopen(_open_new(temp, mode, None), "wb")
    try:
        try:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        finally:
            handle.close()
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if fsync:
        fsync_dir(os.path.dirname(path) or ".")


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, fsync: bool = True,
                 mode: int | None = None) -> None:
    """Make ``data`` (str: UTF-8) the content of ``path`` atomically (see `atomic_open`).

    ``mode``: the new file's permission bits; default the existing file's, else 0o644.
    """
    path = os.fspath(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_open(path, fsync=fsync, mode=mode) as handle:
        handle.write(payload)
    with contextlib.suppress(OSError):
        os.chmod(path, mode)  # the umask may have narrowed what os.open gave the temp file


# ---------------------------------------------------------------------- many files
def keep_backup(path: str, trash: list[str] | None = None) -> None:
    """Make ``<path>.bak`` a hard link to the current (about to be replaced) ``path``.

    No bytes are copied (a copy where hard links are unsupported). With ``trash``, the
    previous ``.bak`` is renamed to a temp name appended to it instead of deleted now:
    freeing blocks waits for the filesystem journal (2.5 ms per unlink inside a busy
    transaction, 0.03 ms for the rename); the caller deletes them later (`discard`).
    """
    backup = path + ".bak"
    if trash is not None:
        old = temp_path(backup)
        try:
            os.rename(backup, old)
            trash.append(old)
        except FileNotFoundError:
            pass
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(backup)
    try:
        os.link(path, backup)
    except FileNotFoundError:
        return  # first write of this file: nothing to keep
    except OSError:  # no hard links on this filesystem: copy instead
        with contextlib.suppress(FileNotFoundError):
            shutil.copyfile(path, backup)


def discard(paths: list[str]) -> None:
    """Delete ``paths`` in the background (see `keep_backup`)."""
    if not paths:
        return

    def unlink_all() -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)

    try:
        background().submit(unlink_all)
    except RuntimeError:  # the interpreter is shutting down: do it now
        unlink_all()


def write_many(items: list[tuple[str, bytes, bool]], *, backups: bool = False, sync_dirs: bool = True,
               on_error: Callable[[str, OSError], BaseException] | None = None) -> set[str]:
    """Replace several files as one batch; return the directories left to fsync.

    ``items``: ``(path, payload, durable)``. Every temp file is written first and all are
    fsynced *concurrently* (concurrent fsyncs share journal commits), then each file is
    renamed into place in the given order (``backups``: its previous version kept as
    ``<path>.bak``), then each directory of a ``durable`` item is fsynced once — unless
    ``sync_dirs`` is False, in which case those directories are returned for the caller
    to fsync later (the files themselves are complete before their rename, so nothing is
    ever torn; only the newest renames may be undone by a power cut). A non-durable item
    never has its directory fsynced (an index whose lost update is harmless).

    On an OS error, files not yet renamed are unchanged and their temp files removed;
    ``on_error(path, exc)`` may turn the error into one naming the file.
    """
    staged: list[tuple[str, str]] = []
    new_parents: list[str] = []
    trash: list[str] = []
    renamed = 0
    current = items[0][0] if items else ""
    try:
        fds: list[int] = []
        try:
            for path, payload, durable in items:
                current = path
                temp = temp_path(path)
                fds.append(_open_new(temp, 0o644, new_parents if durable else []))
                staged.append((path, temp))
                _write_all(fds[-1], payload)
            fsync_all(fds)
        finally:
            for fd in fds:
                os.close(fd)
        for path, temp in staged:
            current = path
            if backups:
                keep_backup(path, trash)
            os.replace(temp, path)
            renamed += 1
    except BaseException as exc:
        discard(trash)
        for _path, temp in staged[renamed:]:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(exc, OSError) and on_error is not None:
            raise on_error(current, exc) from exc
        raise
    discard(trash)
    directories = {os.path.dirname(path) for path, _payload, durable in items if durable} | set(new_parents)
    if sync_dirs:
        fsync_dirs(directories)
        return set()
    return directories


# ---------------------------------------------------------------------- leftovers
def sweep_temp_files(entries: Iterable[_E], name_of: Callable[[_E], str], remove: Callable[[_E], bool],
                     keep: Callable[[_E], bool] = lambda _entry: False) -> list[_E]:
    """Remove the temp files among ``entries`` (any listing: local or fsspec) that ``keep``
    does not protect; return those removed. Who may call it when is the caller's rule:
    under the store lock every metadata temp file is a leftover; an artifact temp file
    is one when its owner process is gone or it is old enough."""
    removed = []
    for entry in entries:
        if is_temp_name(name_of(entry)) and not keep(entry) and remove(entry):
            removed.append(entry)
    return removed


def describe_os_error(exc: BaseException) -> str:
    """``"[Errno 28] ENOSPC: No space left on device"`` for OSErrors; type and text otherwise."""
    if isinstance(exc, OSError) and exc.errno is not None:
        code = errno.errorcode.get(exc.errno, "?")
        return f"[Errno {exc.errno}] {code}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
