"""Is the process that owns a ``running`` run still alive?

First, its **lease**: a run started by this version holds a lock for its whole life (a file
lock in a TinyDB store, an advisory lock in PostgreSQL) that any process can test without
waiting. The store backing the run tests it and hands the verdict to `crash_view`: held →
alive, whatever the pid says; free → gone. Only where a run has no lease (runs started
before leases existed, stores without them) is the owner judged by ``(host, pid)``, which
containers that share a host name and reuse pids get wrong.

Without a lease, a run records ``host`` and ``pid``; when the store creates it on the same host it also
records ``process_start`` (``"<boot id>:<start time in clock ticks>"`` from ``/proc`` on
Linux), so a pid reused by another process after a reboot or a crash is not mistaken for
the run's owner. The check costs one ``kill(pid, 0)`` and, on Linux, one small ``/proc``
read — cheap enough for every read of a running run.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any


@functools.lru_cache(maxsize=1)
def this_host() -> str:
    """The host name runs record, cached for the life of the process."""
    import socket  # on first use: readers of finished runs never need it

    return socket.gethostname()


@functools.lru_cache(maxsize=1)
def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of ``pid`` from ``/proc``, or ``None`` where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0].decode("ascii", "replace"), fields[19].decode("ascii", "replace")


def process_token(pid: int) -> str | None:
    """An identity for the process ``pid`` that differs for a later process reusing the pid."""
    stat = _proc_stat(pid)
    if stat is None:
        return None
    return f"{boot_id()}:{stat[1]}"


def same_machine(host: object, token: object) -> bool:
    """Was a run started on this machine (its host name, or the boot id in its process token:
    containers with host names of their own share the kernel's boot id)?"""
    if host == this_host():
        return True
    return isinstance(token, str) and bool(boot_id()) and token.split(":", 1)[0] == boot_id()


def is_dead(host: object, pid: object, token: object, lease: bool | None = None) -> bool:
    """True only when the owner is known to be gone.

    ``lease``: the run's lease as its store tested it (True held, False free, None no lease
    to test); it decides when given. Otherwise: same host and pid not alive (or reused);
    runs from other hosts, or without a pid, are never declared dead.
    """
    if lease is not None:
        return not lease
    if host != this_host() or type(pid) is not int or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return False
    if stat[0] in ("Z", "X"):  # exited, not yet reaped by its parent
        return True
    return isinstance(token, str) and token != f"{boot_id()}:{stat[1]}"


def crash_view(run: dict[str, Any], step_runs: list[dict[str, Any]] | None = None,
               lease: Callable[[dict[str, Any]], bool | None] | None = None) -> None:
    """Show a running run whose owner died as ``crashed``, with its running step runs.
    ``lease(run)``: the store's test of the run's lease (see `is_dead`), asked only of a
    run shown ``running``."""
    if run.get("status") == "running" and is_dead(
        run.get("host"), run.get("pid"), run.get("process_start"), lease(run) if lease is not None else None
    ):
        run["status"] = "crashed"
        for step_run in step_runs or ():
            if step_run.get("status") == "running":
                step_run["status"] = "crashed"
