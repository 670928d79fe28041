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


@contextlib.contextmanager
def store_lock(path: str, timeout: float = LOCK_TIMEOUT_S, *, on_error: Any = None) -> Iterator[None]:
    """Hold the exclusive store lock ``path`` (``<root>/.lock``) for the ``with`` block.

    The same native lock ``filelock.FileLock`` takes on that path (``flock`` on POSIX,
    ``LockFileEx`` on Windows), taken with ``filelock.lock_descriptor`` on a descriptor
    opened for this one hold: locks held through different descriptors exclude each other,
    so this serialises threads as well as processes, survives forks, and keeps no file
    open between transactions. (``FileLock`` itself re-checks the path on every acquire,
    ~0.15 ms per transaction here.) Waits poll with a short back-off, up to ``timeout``.
    ``on_error(path, exc)`` turns an OS error opening the lock into the caller's error.
    """
    from framework.io.atomic import make_dirs

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
        deadline = time.monotonic() + timeout
        delay = 0.0002
        while not _lock_descriptor(fd):
            if time.monotonic() > deadline:
                raise FrameworkError(
                    f"The metadata store lock '{path}' was held by another writer for over "
                    f"{timeout:.0f} s; check for a hung process writing to this store."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.005)
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
