"""What a running step prints goes to its log (a `LogSink`) and, as before, to the console.

Captured: ``sys.stdout`` and ``sys.stderr`` (``print``, ``sys.stdout.buffer.write``,
warnings, which Python prints to ``sys.stderr``), and ``logging`` records at or above their
logger's effective level (``Logger.callHandlers`` is wrapped while steps run). Not captured:
output written below Python (C extensions writing to file descriptor 1, subprocesses),
and, where steps run in threads (see below), output of threads a step starts itself.

Several steps may run at once in one process (the local orchestrator's thread pool, the
threads of a Dask worker), so output is routed per step by context variables the step
runner sets (`capturing`). ``sys.stdout`` and ``sys.stderr`` become one of two things
(``framework.orchestrators.log_streams``), decided under one lock whenever a step starts
or ends:

* **the shared step stream** — when exactly one step runs, in the main thread, and the
  console is not a terminal (the default local orchestrator, output to a pipe or file):
  ``print`` then costs what it costs today, and threads the step starts are captured too.
  The stream lives as long as the process, so code that kept a reference to
  ``sys.stdout`` keeps a working stream; between steps it only echoes, line by line;
* **a router** — otherwise: each step's own stream, reached through the router by the
  caller's context. On a terminal, streams stay line-buffered, so what a step prints
  shows at once, and the progress display (which replaces ``sys.stdout`` while it
  draws) still works.

The consoles come back when no step runs. One background thread flushes the active
streams every `FLUSH_INTERVAL` seconds, so a process killed mid-step loses at most that
much of what the step printed. Log records are written as ``time level logger: message``
unless a handler already wrote them to a captured stream (no duplicates); the application's
own logging (its handlers, ``basicConfig``, Python's last resort) works as without capture.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from typing import Any, Iterator

from framework.orchestrators.log_sink import LogSink
from framework.orchestrators.log_streams import (
    NAMES,
    WRITE,
    Router,
    quiet_flush,
    router,
    set_idle,
    step_stream,
    tee_of,
)

__all__ = ["Capture", "FLUSH_INTERVAL", "capturing"]

FLUSH_INTERVAL = 0.1
_RECORD_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FRAMEWORK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CAPTURE: contextvars.ContextVar[Capture | None] = contextvars.ContextVar("framework_step_log", default=None)


class Capture:
    """One step's capture: its sink, and its own streams, made when first written to."""

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self.main = threading.current_thread() is threading.main_thread()
        self.streams: dict[str, io.TextIOWrapper] = {}
        self._making = threading.Lock()

    def stream(self, name: str) -> io.TextIOWrapper | None:
        """This step's own stream ``name`` (None if there is no console of that name)."""
        stream = self.streams.get(name)
        if stream is None and _CONSOLES.get(name) is not None:
            with self._making:
                stream = self.streams.get(name)
                if stream is None:
                    before = self.flush_stdout if name == "stderr" else None
                    stream = self.streams[name] = step_stream(name, _CONSOLES[name], self.sink, before)
                    _OURS.add(stream)
        return stream

    def first_write(self, name: str) -> Any:
        """The stand-in for ``stream(name).write`` until the step first writes (most steps
        in a process of their own never do: no stream is made for them)."""
        def write(text: str) -> int:
            stream = self.stream(name)
            WRITE[name].set(stream.write)  # this context's later writes go straight there
            return stream.write(text)
        return write

    def _flush(self, name: str) -> None:
        for stream in (self.streams.get(name), _SHARED.get(name) if _SINGLE.get(name) is self else None):
            if stream is not None:
                quiet_flush(stream)

    def flush_stdout(self) -> None:
        self._flush("stdout")

    def flush(self) -> None:
        self._flush("stdout")
        self._flush("stderr")

    def write_text(self, text: str) -> None:
        """Write ``text`` to the log only, after what the step printed so far."""
        self.flush()
        self.sink.write_text(text)

    def write_traceback(self, error: BaseException) -> None:
        """The error's traceback, from the step's own code down (the framework's frames that
        called the step are left out when the error came from below them)."""
        try:
            self.write_text("".join(traceback.format_exception(type(error), error, _user_frames(error.__traceback__))))
        except Exception:  # noqa: BLE001 - an exception whose text cannot be formatted: say what it was
            self.write_text(f"{type(error).__name__} (its traceback could not be formatted)\n")

    def _detach(self) -> None:
        for stream in self.streams.values():
            tee_of(stream).sink = None  # type: ignore[union-attr]  # kept by someone: it only echoes now
            set_idle(stream, True)


def _user_frames(tb: Any) -> Any:
    """``tb`` without its leading frames in the framework, if a frame outside it follows."""
    start = tb
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_FRAMEWORK_DIR):
        tb = tb.tb_next
    return tb if tb is not None else start


# ---------------------------------------------------------------------- process-wide state (under _LOCK)
_LOCK = threading.Lock()
_WAKE = threading.Condition(_LOCK)
_ACTIVE: list[Capture] = []
_CONSOLES: dict[str, Any] = {}  # what sys.stdout/sys.stderr were when the first active step started
_TTY: dict[str, bool] = {}
_ROUTERS: dict[str, Router] = {}
_SHARED: dict[str, io.TextIOWrapper] = {}  # the per-process step streams of the single-step mode
_SINGLE: dict[str, Capture] = {}  # stream name -> the capture the shared stream writes for now
_OURS: weakref.WeakSet = weakref.WeakSet()  # every step stream made here
_FLUSHER: list[threading.Thread] = []


def _current() -> Capture | None:
    capture = _CAPTURE.get()
    if capture is None and _SINGLE:  # one step in the main thread: all of the process's output is its
        capture = next(iter(_SINGLE.values()), None)
    return capture


def _find(name: str) -> io.TextIOWrapper | None:
    """For a router: the calling context's step stream ``name``."""
    capture = _current()
    return capture.stream(name) if capture is not None else None


def _console_of(stream: Any) -> Any:
    """The console behind one of our stream objects (the object itself for any other)."""
    for _ in range(8):
        if isinstance(stream, Router):
            stream = stream.console
        elif stream in _OURS:
            stream = tee_of(stream).console  # type: ignore[union-attr]
        else:
            break
    return stream


def _is_ours(stream: Any) -> bool:
    return isinstance(stream, Router) or stream in _OURS


def _single(name: str) -> Capture | None:
    """The capture the shared stream should write for: one step, in the main thread, no terminal."""
    if len(_ACTIVE) == 1 and _ACTIVE[0].main and not _TTY.get(name, True):
        return _ACTIVE[0]
    return None


def _bind_shared(name: str, capture: Capture | None) -> io.TextIOWrapper | None:
    """Make the shared stream ``name`` write for ``capture`` (None: echo only)."""
    shared = _SHARED.get(name)
    if _SINGLE.get(name) is capture:
        return shared
    if capture is None:
        del _SINGLE[name]
        set_idle(shared, True)  # type: ignore[arg-type]  # what it holds goes to the step it wrote for
        tee_of(shared).sink = None  # type: ignore[union-attr]
        return None
    console = _CONSOLES[name]
    if shared is None:
        shared = _SHARED[name] = step_stream(name, console, None)
        _OURS.add(shared)
    else:
        quiet_flush(shared)
    tee = tee_of(shared)
    if tee.console is not console:  # type: ignore[union-attr]
        tee.set_console(console)  # type: ignore[union-attr]
    tee.sink, tee.before = capture.sink, (capture.flush_stdout if name == "stderr" else None)  # type: ignore[union-attr]
    _SINGLE[name] = capture
    set_idle(shared, False)
    return shared


def _apply() -> None:
    """Point sys.stdout/sys.stderr at what the active steps need (under _LOCK)."""
    for name in NAMES:
        current, console = getattr(sys, name), _CONSOLES.get(name)
        single = _single(name) if _ACTIVE else None
        if console is None or (current is not console and not _is_ours(current)):
            single = None  # no console, or replaced by someone else while steps run: theirs
        wanted: Any = console
        if _ACTIVE and console is not None:
            if single is not None:
                wanted = _bind_shared(name, single)
            else:
                if name not in _ROUTERS:
                    _ROUTERS[name] = router(name, console, _find)
                wanted = _ROUTERS[name]
        if single is None and name in _SINGLE:
            _bind_shared(name, None)
        if console is not None and current is not wanted and (current is console or _is_ours(current)):
            setattr(sys, name, wanted)


def _start(sink: LogSink) -> Capture:
    with _LOCK:
        if not _ACTIVE:
            for name in NAMES:
                console = _CONSOLES[name] = _console_of(getattr(sys, name))
                try:
                    _TTY[name] = bool(console.isatty())
                except (AttributeError, ValueError, OSError):
                    _TTY[name] = False
            _ROUTERS.clear()
            _patch_logging(True)
        capture = Capture(sink)
        _ACTIVE.append(capture)
        _apply()
        if not _FLUSHER:
            _FLUSHER.append(threading.Thread(target=_flush_loop, name="framework-step-logs", daemon=True))
            _FLUSHER[0].start()
        _WAKE.notify_all()
    return capture


def _stop(capture: Capture) -> None:
    capture.flush()
    with _LOCK:
        _ACTIVE.remove(capture)
        _apply()  # flushes the shared streams into this capture's sink before unbinding them
        capture._detach()
        if not _ACTIVE:
            _patch_logging(False)


def _flush_loop() -> None:
    while True:
        with _WAKE:
            while not _ACTIVE:
                _WAKE.wait()
        time.sleep(FLUSH_INTERVAL)
        with _LOCK:
            active = list(_ACTIVE)
        for capture in active:
            capture.flush()


@contextlib.contextmanager
def capturing(sink: LogSink) -> Iterator[Capture]:
    """Route what the calling context prints and logs into ``sink`` until the block ends;
    the streams are flushed into it before this returns."""
    capture = _start(sink)
    tokens = [(var, var.set(capture.first_write(name))) for name, var in WRITE.items()]
    tokens.append((_CAPTURE, _CAPTURE.set(capture)))
    try:
        yield capture
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
        _stop(capture)


# ---------------------------------------------------------------------- logging
def _writes_to(stream: Any, capture: Capture) -> bool:
    """True if what is written to ``stream`` now reaches ``capture``'s log."""
    if isinstance(stream, Router):
        return True
    if stream is None:
        return False
    return any(stream is own for own in capture.streams.values()) or any(
        stream is _SHARED.get(name) for name, bound in list(_SINGLE.items()) if bound is capture)


def _printed(logger: logging.Logger, record: logging.LogRecord, capture: Capture) -> bool:
    """True if handling ``record`` wrote it to a stream captured for ``capture`` (a console
    handler on sys.stdout/sys.stderr, or Python's last resort, which uses sys.stderr)."""
    found = False
    current: Any = logger
    while current is not None:
        for handler in current.handlers:
            if record.levelno >= handler.level:
                found = True
                if _writes_to(getattr(handler, "stream", None), capture):
                    return True
        current = current.parent if current.propagate else None
    last = logging.lastResort
    return not found and last is not None and record.levelno >= last.level


def _call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
    """``Logger.callHandlers`` while steps run: as before, then the record into the log of
    the step that emitted it, unless a handler printed it to a captured stream already.

    Why not a handler on the root logger: one there makes ``logging.basicConfig()`` in a
    step a no-op (it configures only a root logger without handlers) and silences Python's
    last-resort output; this way the application's logging behaves exactly as without
    capture."""
    _ORIGINAL_CALL_HANDLERS[0](self, record)
    capture = _current()
    if capture is not None and not _printed(self, record, capture):
        capture.write_text(_FORMATTER.format(record) + "\n")


_FORMATTER = logging.Formatter(_RECORD_FORMAT)
_ORIGINAL_CALL_HANDLERS: list[Any] = []


def _patch_logging(on: bool) -> None:
    """Route log records while steps run (under _LOCK)."""
    if on:
        if logging.Logger.callHandlers is not _call_handlers:
            _ORIGINAL_CALL_HANDLERS[:] = [logging.Logger.callHandlers]
            logging.Logger.callHandlers = _call_handlers  # type: ignore[method-assign]
    elif logging.Logger.callHandlers is _call_handlers and _ORIGINAL_CALL_HANDLERS:
        logging.Logger.callHandlers = _ORIGINAL_CALL_HANDLERS[0]  # type: ignore[method-assign]
