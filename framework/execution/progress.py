"""Live progress of a pipeline run on a terminal: steps done / total, current step, elapsed.

The launcher calls a `ProgressReporter` at four points: `run_started` (with the number of
steps), `step_started`, `step_finished` and `run_finished`. Everything else is decided
here, so the launcher stays unaware of terminals:

* **Off the terminal it does nothing.** When stdout is not a TTY (a pipe, a file, CI, a
  test) the run's log lines are the whole output, exactly as the SPEC lists them.
* **Only when it helps.** On a TTY the live line appears at once for runs of
  `MIN_STEPS` or more steps, and otherwise only once the run has lasted `DELAY_S`
  seconds, so a quick two-step run prints just its log lines.
* **Log lines stay intact.** While the live line is shown, handlers of the ``framework``
  and root loggers that write to the terminal are pointed at a proxy that prints each
  complete line *above* the live line (one console, one lock), and ``print`` from step
  code is redirected the same way. The live line is transient: when the run ends it is
  erased, handlers get their streams back, and the final log line prints as usual.
* ``FRAMEWORK_PROGRESS=0`` turns it off, ``=1`` shows it for every run on a TTY.

rich is imported only when the live line is actually shown.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from typing import Any

MIN_STEPS = 5  # runs with this many steps show progress from the start
DELAY_S = 2.0  # shorter runs show it once they have lasted this long
ENV_SWITCH = "FRAMEWORK_PROGRESS"


class _LineProxy(io.TextIOBase):
    """A text stream that prints each complete line above the live display, unchanged."""

    def __init__(self, console: Any, original: Any) -> None:
        self._console = console
        self._original = original
        self._buffer: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        from rich.text import Text

        pending = text
        while pending:
            line, newline, pending = pending.partition("\n")
            if not newline:
                self._buffer.append(line)
                break
            full = "".join(self._buffer) + line
            self._buffer.clear()
            self._console.print(Text.from_ansi(full), soft_wrap=True, highlight=False, markup=False)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self.write("\n")

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._original.fileno()


class ProgressReporter:
    """Shows run progress on a terminal; every method is a cheap no-op otherwise.

    ``enabled``: None (auto: stdout is a TTY, unless ``FRAMEWORK_PROGRESS`` says otherwise),
    True or False. ``console``: a ``rich.console.Console`` to draw on (tests pass one);
    by default one on the real stdout. ``min_steps``/``delay``: when an enabled reporter
    starts drawing (see the module docstring).
    """

    def __init__(self, *, enabled: bool | None = None, console: Any = None,
                 min_steps: int = MIN_STEPS, delay: float = DELAY_S) -> None:
        self._enabled = enabled
        self._console = console
        self._min_steps = min_steps
        self._delay = delay
        self._lock = threading.RLock()
        self._live: Any = None
        self._timer: threading.Timer | None = None
        self._swapped: list[tuple[logging.StreamHandler, Any]] = []
        self._active = False
        self.run_name = ""
        self.total = 0
        self.done = 0
        self.running: list[str] = []
        self.start = 0.0

    # ------------------------------------------------------------------ the launcher's calls
    def run_started(self, run_name: str, total_steps: int) -> None:
        self.run_name, self.total, self.done, self.running = run_name, total_steps, 0, []
        self.start = time.monotonic()
        if not self._should_show():
            return
        self._active = True
        forced = os.environ.get(ENV_SWITCH, "").strip() == "1"
        if forced or total_steps >= self._min_steps or self._delay <= 0:
            self._show()
        else:
            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()

    def step_started(self, name: str) -> None:
        if self._active:
            with self._lock:
                self.running.append(name)
                self._refresh()

    def step_finished(self, name: str, status: str = "completed") -> None:
        if self._active:
            with self._lock:
                if name in self.running:
                    self.running.remove(name)
                self.done += 1
                self._refresh()

    def run_finished(self, status: str | None = None) -> None:
        """Erase the live line and give the log handlers their streams back. Idempotent."""
        if not self._active:
            return
        with self._lock:
            self._active = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._hide()

    # ------------------------------------------------------------------ what is drawn
    def line(self) -> str:
        """The progress line as plain text (what the live display shows)."""
        elapsed = time.monotonic() - self.start
        minutes, seconds = divmod(int(elapsed), 60)
        running = list(self.running)
        current = ", ".join(running) if running else "…"
        return (f"{self.run_name}: {self.done}/{self.total} steps done · "
                f"running {current} · {minutes:d}:{seconds:02d} elapsed")

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text(self.line(), style="bold cyan", no_wrap=True, overflow="ellipsis")

    # ------------------------------------------------------------------ internals
    def _should_show(self) -> bool:
        switch = os.environ.get(ENV_SWITCH, "").strip().lower()
        if self._enabled is not None:
            return self._enabled
        if switch in ("0", "false", "no", "off"):
            return False
        try:
            return sys.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    def _show(self) -> None:
        with self._lock:
            if not self._active or self._live is not None:
                return
            try:
                from rich.console import Console
                from rich.live import Live

                console = self._console or Console(file=sys.stdout)
                self._swap_handlers(console)
                live = Live(self, console=console, transient=True, refresh_per_second=4,
                            redirect_stdout=True, redirect_stderr=True)
                live.start()
                self._live = live
            except Exception:  # progress is a convenience: never fail a run for it
                self._restore_handlers()
                self._live = None

    def _hide(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            try:
                for _, proxy in self._swapped:
                    proxy.flush()
                live.stop()
            finally:
                self._restore_handlers()

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.refresh()

    def _swap_handlers(self, console: Any) -> None:
        """Point terminal-writing handlers at a proxy that prints above the live line."""
        seen: set[int] = set()
        for logger in (logging.getLogger("framework"), logging.getLogger()):
            for handler in logger.handlers:
                if id(handler) in seen or not isinstance(handler, logging.StreamHandler) \
                        or isinstance(handler, logging.FileHandler):
                    continue
                seen.add(id(handler))
                stream = getattr(handler, "stream", None)
                if stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) and _is_tty(stream):
                    proxy = _LineProxy(console, stream)
                    handler.acquire()
                    try:
                        handler.stream = proxy
                    finally:
                        handler.release()
                    self._swapped.append((handler, proxy))

    def _restore_handlers(self) -> None:
        for handler, proxy in self._swapped:
            handler.acquire()
            try:
                if handler.stream is proxy:
                    handler.stream = proxy._original
            finally:
                handler.release()
        self._swapped = []


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
