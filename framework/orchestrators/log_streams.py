"""The stream objects that stand in for ``sys.stdout`` and ``sys.stderr`` while steps run.

* A **step stream** is a C ``io.TextIOWrapper`` over a `TeeBuffer`: text is buffered and
  encoded in C, and each chunk of bytes (``CHUNK`` bytes, or a line on a terminal) goes
  to the console the stream replaced and to a step's `LogSink`. Why no
  ``io.BufferedWriter`` in between, and why `TeeBuffer.closed` is a slot:
  ``TextIOWrapper.write`` checks ``buffer.closed`` on every call, and through a
  ``BufferedWriter`` over a Python raw object that check costs nearly as much as the write
  itself (~14% more CPU for a step printing lines; ~3% this way).
* A **router** (`router`) writes for whichever step runs in the caller's context: its
  ``write`` attribute is a property whose getter is a context variable's ``get``, so
  ``print`` reaches the step's stream through two C calls; outside any step it returns
  the router itself, which writes to the console.

Which of them ``sys.stdout`` is, and when, is `framework.orchestrators.log_capture`'s
business.
"""

from __future__ import annotations

import codecs
import contextvars
import io
from typing import Any, Callable

from framework.orchestrators.log_sink import LogSink

CHUNK = 64 * 1024
NAMES = ("stdout", "stderr")
#: per stream name: the write method of the step running in this context (unset elsewhere)
WRITE = {name: contextvars.ContextVar(f"framework_step_{name}_write") for name in NAMES}


class TeeBuffer(io.BufferedIOBase):
    """The binary end of a step stream: bytes go to the console it replaced (as bytes when
    that console is UTF-8, else decoded) and to the sink, if any (None: echo only)."""

    # A slot, not a property: `closed` is read on every write (see the module docstring).
    __slots__ = ("closed", "sink", "before", "console", "_binary", "_decoder", "line", "_lines")

    def __init__(self, console: Any, sink: LogSink | None, before: Callable[[], None] | None = None,
                 *, lines: bool = False) -> None:
        self.closed = False
        self.sink = sink
        self.before = before  # called first (stderr: flush stdout, so the log keeps their order)
        self._lines = lines
        self.set_console(console)

    def set_console(self, console: Any) -> None:
        self.console = console
        binary = getattr(console, "buffer", None)
        try:
            utf8 = codecs.lookup(getattr(console, "encoding", None) or "ascii").name == "utf-8"
        except LookupError:
            utf8 = False
        self._binary = binary if utf8 and binary is not None else None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        # Line by line to a terminal, for whoever watches it, and always for stderr (as Python
        # does: errors and warnings show at once, in order with stdout). Elsewhere (stdout to a
        # file or a pipe, even one made unbuffered with ``python -u``) in chunks, passed on at
        # the latest by the periodic flush (`log_capture.FLUSH_INTERVAL`) and when the step
        # ends: a Python call per line would cost a step printing lines half its time.
        try:
            self.line = self._lines or bool(console.isatty())
        except (AttributeError, ValueError, OSError):
            self.line = self._lines

    def write(self, b: Any) -> int:
        data = b if type(b) is bytes else bytes(b)
        if self.before is not None:
            self.before()
        try:
            if self._binary is not None:
                self.console.flush()
                self._binary.write(data)
                if self.line:
                    self._binary.flush()
            else:
                self.console.write(self._decoder.decode(data))
        except Exception:  # noqa: BLE001 - a console that went away never fails the step
            pass
        sink = self.sink
        if sink is not None:
            sink.write(data)
        return len(data)

    def flush(self) -> None:
        pass  # nothing is kept here

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.console.fileno()

    def isatty(self) -> bool:
        return bool(self.console.isatty())

    @property
    def name(self) -> Any:
        return getattr(self.console, "name", "<console>")


def step_stream(name: str, console: Any, sink: LogSink | None,
                before: Callable[[], None] | None = None) -> io.TextIOWrapper:
    """The step stream ``name`` (stdout, stderr) writing to ``console`` and ``sink``."""
    tee = TeeBuffer(console, sink, before, lines=name == "stderr")
    stream = io.TextIOWrapper(tee, encoding="utf-8", errors="backslashreplace", line_buffering=tee.line)
    stream._CHUNK_SIZE = CHUNK  # type: ignore[attr-defined]
    return stream


def tee_of(stream: Any) -> TeeBuffer | None:
    buffer = getattr(stream, "buffer", None) if type(stream) is io.TextIOWrapper else None
    return buffer if isinstance(buffer, TeeBuffer) else None


def quiet_flush(stream: Any) -> None:
    try:
        stream.flush()
    except (ValueError, OSError):  # closed by someone
        pass


def set_idle(stream: io.TextIOWrapper, idle: bool) -> None:
    """An idle step stream (no step writes through it now; someone may still hold it) passes
    each line on at once; a live one buffers as the console it replaces does."""
    quiet_flush(stream)
    tee = tee_of(stream)
    try:
        stream.reconfigure(line_buffering=idle or bool(tee and tee.line), write_through=idle)
    except (ValueError, OSError):
        pass


class Router:
    """``sys.stdout`` / ``sys.stderr`` while steps run in threads: ``write`` goes to the step
    running in the caller's context, everything else to that step's stream or the console."""

    __slots__ = ("console", "_find")
    _name = ""

    def __init__(self, console: Any, find: Callable[[str], Any]) -> None:
        self.console = console
        self._find = find  # name -> the calling context's step stream, or None

    def __call__(self, text: str) -> int:  # `write` outside any step
        return self.console.write(text)

    def _target(self) -> Any:
        stream = self._find(self._name)
        return stream if stream is not None else self.console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def flush(self) -> None:
        target = self._target()
        target.flush()
        if target is not self.console:
            self.console.flush()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def fileno(self) -> int:
        return self.console.fileno()

    def isatty(self) -> bool:
        return bool(self.console.isatty())

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<framework step-log router for {self.console!r}>"


class _StdoutRouter(Router):
    __slots__ = ()
    _name = "stdout"
    write = property(WRITE["stdout"].get)  # the step's write, else the router itself (`__call__`)


class _StderrRouter(Router):
    __slots__ = ()
    _name = "stderr"
    write = property(WRITE["stderr"].get)


io.TextIOBase.register(Router)
_ROUTERS = {"stdout": _StdoutRouter, "stderr": _StderrRouter}


def router(name: str, console: Any, find: Callable[[str], Any]) -> Router:
    return _ROUTERS[name](console, find)
