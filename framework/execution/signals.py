"""SIGTERM during a run: record the run as failed, then end the process by the signal.

A container stop, ``kill`` or a scheduler's preemption sends SIGTERM; by default Python
dies at once and the run would stay ``running`` until someone notices its owner is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from framework.exceptions import RunTerminated


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While a run is active in the main thread, SIGTERM raises `RunTerminated` (once).

    Only when SIGTERM has its default action: a handler the program installed, or an
    ignored SIGTERM, is left alone. On the way out the default is restored and, if the
    signal came, sent again — the process then ends by SIGTERM (exit status -15 / 143),
    as it would have without a run, but after the run was recorded `failed`.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (AttributeError, ValueError):  # pragma: no cover - platforms without SIGTERM
        previous = None
    if previous is not signal.SIG_DFL:
        yield
        return
    received = []

    def handler(signum: int, frame: Any) -> None:
        if received:  # a repeated SIGTERM while the run is being recorded: the first one counts
            return
        received.append(signum)
        raise RunTerminated("The process received SIGTERM; the run was stopped and recorded as failed.")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os.kill(os.getpid(), signal.SIGTERM)
