"""The store's write lock: one native file lock, ``<root>/.lock``, held per transaction."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from framework.exceptions import FrameworkError

LOCK_NAME = ".lock"
LOCK_TIMEOUT_S = 120.0
TIMEOUT_ENV = "FRAMEWORK_LOCK_TIMEOUT"
TELL_AFTER_S = 2.0  # a wait longer than this is logged, naming the holder
_OWNER_BYTES = 200


def _claim(fd: int) -> None:
    """Write who holds the lock into the lock file itself (no fsync: it only informs waiters)."""
    import socket

    note = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
    try:
        os.pwrite(fd, note.encode()[:_OWNER_BYTES].ljust(_OWNER_BYTES), 0)
    except OSError:
        pass  # informative only


def _holder(fd: int) -> str:
    try:
        note = os.pread(fd, _OWNER_BYTES, 0).decode("utf-8", "replace").strip()
    except OSError:
        note = ""
    return f"held by {note}" if note else "holder unknown"


@contextlib.contextmanager
def store_lock(path: str, timeout: float | None = None, *, on_error: Any = None) -> Iterator[None]:
    """Hold the exclusive store lock ``path`` (``<root>/.lock``) for the ``with`` block.

    The same native lock ``filelock.FileLock`` takes on that path (``flock`` on POSIX,
    ``LockFileEx`` on Windows), taken with ``filelock.lock_descriptor`` on a descriptor
    opened for this one hold: locks held through different descriptors exclude each other,
    so this serialises threads as well as processes, survives forks, and keeps no file
    open between transactions. (``FileLock`` itself re-checks the path on every acquire,
    ~0.15 ms per transaction here.) Waits poll with a short back-off, up to ``timeout``
    (default ``$FRAMEWORK_LOCK_TIMEOUT`` or 120 s); the holder writes who it is into the lock
    file, so a wait longer than `TELL_AFTER_S` is logged naming it, as is a timeout.
    ``on_error(path, exc)`` turns an OS error opening the lock into the caller's error.
    """
    from framework.io.atomic import make_dirs

    if timeout is None:
        timeout = float(os.environ.get(TIMEOUT_ENV) or LOCK_TIMEOUT_S)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            make_dirs(os.path.dirname(path))
            fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if on_error is None:
            raise
        raise on_error(path, exc) from exc
    try:
        started = time.monotonic()
        deadline = started + timeout
        delay = 0.0002
        told = False
        while not _lock_descriptor(fd):
            now = time.monotonic()
            if now > deadline:
                raise FrameworkError(
                    f"The metadata store lock '{path}' was held by another writer for over {timeout:.0f} s "
                    f"({_holder(fd)}); if that process hangs, stop it — the lock is released the moment it "
                    f"ends. ${TIMEOUT_ENV} sets how long to wait."
                )
            if not told and now - started > TELL_AFTER_S:
                told = True
                import logging

                logging.getLogger("framework").warning("Waiting for the metadata store lock '%s' (%s).",
                                                       path, _holder(fd))
            time.sleep(delay)
            delay = min(delay * 2, 0.005)
        _claim(fd)
        try:
            yield
        finally:
            _unlock_descriptor(fd)
    finally:
        os.close(fd)


_LOCKING: list[Any] = []  # (lock, unlock), resolved by the first transaction: readers never import filelock


def _locking() -> list[Any]:
    if not _LOCKING:
        import filelock

        if hasattr(filelock, "lock_descriptor"):  # filelock >= 3.30
            _LOCKING[:] = [lambda fd: filelock.lock_descriptor(fd, blocking=False), filelock.unlock_descriptor]
        else:  # older filelock: the same flock its UnixFileLock takes
            import fcntl

            def lock(fd: int) -> bool:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            _LOCKING[:] = [lock, lambda fd: fcntl.flock(fd, fcntl.LOCK_UN)]
    return _LOCKING


def _lock_descriptor(fd: int) -> bool:
    return _locking()[0](fd)


def _unlock_descriptor(fd: int) -> None:
    _locking()[1](fd)
