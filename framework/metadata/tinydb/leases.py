"""Run leases: a file lock each running run holds, for its whole life, on ``leases/<run id>``.

Why not ``(host, pid)``: two containers on host networking that share a home also share a
host name, and each has its own pid namespace — a live run of one reads, from the other,
as owned by a pid that does not exist there (or is another process). It was then shown
``crashed``, its half-written artifacts swept away by the other's next run, and ``gc``
freed what it was about to record.

A lease is an ``flock`` on a file below the store root, taken by the launcher before the
run record exists and released after its last write. The kernel keeps the lock with the
open file, not with a pid, so any process on the machine — in any pid namespace — can test
it: a shared lock taken without waiting fails while the owner lives, and succeeds the
moment its process is gone (``kill -9`` included). Testing never disturbs the owner.

Across machines (a home on NFS) a lock is only as good as the network filesystem makes it:
a *held* lease is believed from anywhere, a *free* one only for a run of this machine
(``liveness.same_machine``); other runs fall back on ``(host, pid)`` (never declared dead).
A lease file that is missing (removed by hand) also falls back on ``(host, pid)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from framework.exceptions import FrameworkError
from framework.liveness import same_machine

KIND = "flock"  # what a run record's ``lease`` says when it holds one of these
LEASES_DIR = "leases"

try:
    import fcntl
except ImportError:  # Windows: no leases; liveness falls back on (host, pid)
    fcntl = None  # type: ignore[assignment]


def lease_file(root: str, run_id: str) -> str:
    return os.path.join(root, LEASES_DIR, run_id)


def supported() -> bool:
    return fcntl is not None


def acquire(path: str) -> int:
    """Create and lock the lease ``path``; its descriptor (`release` it). OS errors pass."""
    from framework.io.atomic import make_dirs

    make_dirs(os.path.dirname(path))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FrameworkError(f"The run lease '{path}' is held by another process; run ids are never "
                             "reused, so something else locked it. Stop that process or remove the file.") from None
    except BaseException:
        os.close(fd)
        raise
    _note(fd)
    return fd


def release(path: str, fd: int) -> None:
    """Remove the lease file, then let the lock go (closing the descriptor)."""
    with contextlib.suppress(OSError):
        os.unlink(path)  # while still locked: a tester that opened it sees it free only after this
    os.close(fd)


@contextlib.contextmanager
def hold(path: str) -> Iterator[None]:
    """Hold the lease ``path`` for the block (created, locked, then removed and released)."""
    fd = acquire(path)
    try:
        yield
    finally:
        release(path, fd)


def _note(fd: int) -> None:
    """Who holds the lease, for people looking at the file (never read by the framework)."""
    import socket
    import time

    note = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    with contextlib.suppress(OSError):
        os.write(fd, note.encode())


def probe(path: str) -> bool | None:
    """True: the lease is held (its owner lives); False: free (its owner is gone); None: no
    lease file (or it cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def run_lease(root: str, run_id: str) -> Iterator[str | None]:
    """Hold run ``run_id``'s lease for the block; yield `KIND`, or None where the platform has
    no ``flock`` or the file cannot be made (a read-only store: the run's first write then
    fails, naming the store)."""
    path = lease_file(root, run_id)
    try:
        fd = acquire(path) if fcntl is not None else None
    except OSError:
        fd = None
    try:
        yield KIND if fd is not None else None
    finally:
        if fd is not None:
            release(path, fd)


def discard(path: str) -> bool:
    """Remove a lease file nobody holds (left by a run that crashed); True if removed."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: its owner lives
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return True
    finally:
        os.close(fd)


def tester(root: str) -> Callable[[dict[str, Any]], bool | None]:
    """The lease test `liveness.crash_view` asks of a run (or ``running`` table) document of
    the store at ``root``: True alive, False gone, None no verdict (see the module docstring)."""
    def test(doc: dict[str, Any]) -> bool | None:
        if doc.get("lease") != KIND or fcntl is None:
            return None
        run_id = doc.get("id") or doc.get("run_id")
        if not isinstance(run_id, str) or "/" in run_id or run_id.startswith("."):
            return None
        held = probe(lease_file(root, run_id))
        if held is None:
            return None
        return True if held else (False if same_machine(doc.get("host"), doc.get("process_start")) else None)

    return test
