"""A step's log file, bounded: the first bytes stream to disk, the last are kept, the middle is cut.

Why this shape: a step that prints 100 MB (a progress bar in a loop, a dumped array) must
not fill the store, yet its first lines (configuration, the first epochs) and its last ones
(the final metrics, the traceback) are what a reader wants. So `LogSink` writes the first
``head`` bytes straight to the file as they arrive — a reader following the step, and one
reading after a ``kill -9``, sees them at once — and keeps what comes after only in a
bounded in-memory buffer of the last ``tail`` bytes, written when the step ends behind a
line saying how many bytes were cut. When the head fills, a line says so at once, so the
file of a step killed past its head explains why it stops there. Both cuts fall on a line
boundary when one is near (within `ALIGN` bytes).

The file is created on the first byte: a silent step leaves no file (its record says
``size`` 0). Writing the log never fails the step: an error (a full disk) is kept in
`LogSink.error`, later output is counted as cut, and the step goes on.

Limits come from the environment of the process that starts the run (`limits_from_env`):
``FRAMEWORK_STEP_LOG_HEAD`` and ``FRAMEWORK_STEP_LOG_TAIL`` (bytes; suffixes K, M, G for
KiB, MiB, GiB; default 1M each), and ``FRAMEWORK_STEP_LOGS=0`` turns capture off.
"""

from __future__ import annotations

import collections
import os
import re
import threading
from typing import IO, Any, Mapping

HEAD_DEFAULT = TAIL_DEFAULT = 1024 * 1024
ALIGN = 4096  # a cut moves to the nearest line boundary within this many bytes
ENV_SWITCH, ENV_HEAD, ENV_TAIL = "FRAMEWORK_STEP_LOGS", "FRAMEWORK_STEP_LOG_HEAD", "FRAMEWORK_STEP_LOG_TAIL"
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_size(text: str, *, name: str) -> int:
    """``"1048576"``, ``"512K"``, ``"2M"``, ``"1GiB"`` -> bytes; ValueError naming ``name``."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{name}={text!r} is not a size in bytes (e.g. 1048576, 512K, 2M).")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def limits_from_env(environ: Mapping[str, str] = os.environ) -> tuple[int, int] | None:
    """(head, tail) byte limits for the step logs of a run, or None when capture is off."""
    if environ.get(ENV_SWITCH, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    head, tail = (environ.get(name, "").strip() for name in (ENV_HEAD, ENV_TAIL))
    return (parse_size(head, name=ENV_HEAD) if head else HEAD_DEFAULT,
            parse_size(tail, name=ENV_TAIL) if tail else TAIL_DEFAULT)


def _size(count: int) -> str:
    return f"{count:,} bytes"


class LogSink:
    """Bytes of one step's output into one bounded file at ``path`` (a local path).

    Thread-safe: the step's stdout, stderr, log records and the periodic flusher all write
    here. `finish` writes the kept tail and closes the file; later writes are ignored.
    """

    def __init__(self, path: str, *, head: int = HEAD_DEFAULT, tail: int = TAIL_DEFAULT) -> None:
        self.path = path
        self._head_left = max(0, head)
        self._tail_max = max(0, tail)
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._tail: collections.deque[bytes] = collections.deque()  # the last chunks, >= tail bytes in all
        self._tail_bytes = 0
        self._past_head = 0  # bytes that arrived after the head was full
        self._total = 0  # every byte of output received
        self.kept = 0  # bytes of output in the file (head, then tail)
        self._at_line_start = True  # the head so far ends with a whole line
        self.error: str | None = None
        self.finished = False

    # ------------------------------------------------------------------ writing
    def write(self, data: bytes) -> None:
        """Add ``data`` (any bytes: the log is bytes, read back as UTF-8 with replacement)."""
        if not data:
            return
        with self._lock:
            if self.finished:
                return
            self._total += len(data)
            if self._head_left:
                data = self._to_head(data)
            if data:
                self._past_head += len(data)
                if self._tail_max:  # keep the chunks themselves (no copy); drop whole ones from the left
                    tail = self._tail
                    tail.append(data)
                    self._tail_bytes += len(data)
                    while self._tail_bytes - len(tail[0]) >= self._tail_max:
                        self._tail_bytes -= len(tail.popleft())

    def write_text(self, text: str) -> None:
        self.write(text.encode("utf-8", "backslashreplace"))

    def _to_head(self, data: bytes) -> bytes:
        """Write what fits in the head; return the rest (under the lock)."""
        if len(data) <= self._head_left:
            self._append(data)
            self._head_left -= len(data)
            self._at_line_start = data.endswith(b"\n")
            return b""
        part = data[:self._head_left]
        newline = part.rfind(b"\n", max(0, len(part) - ALIGN))
        if newline >= 0:
            part = part[:newline + 1]
        elif self._at_line_start and len(part) < ALIGN:
            part = b""  # the head ends with the previous line
        self._append(part)
        self._head_left = 0
        if part:
            self._at_line_start = part.endswith(b"\n")
        kept = "" if self._at_line_start else "\n"
        what = (f"only the last {_size(self._tail_max)} of the rest are kept, written when the step ends"
                if self._tail_max else "the rest is not kept")
        self._append(f"{kept}[framework: the step printed more than {_size(self.kept)}; {what}]\n".encode(),
                     output=False)
        return data[len(part):]

    def _append(self, data: bytes, *, output: bool = True) -> None:
        """Write to the file (created on first use); errors end file writing, never the step."""
        if self.error is not None or not data:
            return
        try:
            if self._file is None:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed by finish()
            view = memoryview(data)
            while view:
                view = view[self._file.write(view):]
        except OSError as exc:
            self.error = f"the log could not be written to {self.path}: {exc}"
            return
        if output:
            self.kept += len(data)

    # ------------------------------------------------------------------ the end
    def finish(self) -> dict[str, Any]:
        """Write the kept tail (behind a line saying what was cut), close the file and return
        ``{"size": bytes kept, "cut": bytes dropped, "complete": True}`` (and ``"error"``)."""
        with self._lock:
            if not self.finished:
                self.finished = True
                self._write_tail()
                if self._file is not None:
                    try:
                        self._file.close()
                    except OSError as exc:
                        self.error = self.error or f"the log could not be written to {self.path}: {exc}"
            info: dict[str, Any] = {"size": self.kept, "cut": self._total - self.kept, "complete": True}
            if self.error is not None:
                info["error"] = self.error
            return info

    def _write_tail(self) -> None:
        tail = b"".join(self._tail)[-self._tail_max:] if self._tail_max else b""
        self._tail.clear()
        if len(tail) < self._past_head:  # something was cut: start the tail at a line
            newline = tail.find(b"\n", 0, ALIGN)
            if 0 <= newline < len(tail) - 1:
                tail = tail[newline + 1:]
            cut = self._past_head - len(tail)
            follow = f"; the last {_size(len(tail))} follow" if tail else ""
            self._append(f"[framework: {_size(cut)} cut here{follow}]\n".encode(), output=False)
        self._append(tail)
