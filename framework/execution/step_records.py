"""`StepRecorder`: how a run's step records reach the metadata store, at the least cost.

A step record is written in **one transaction per executed step**, when its outcome is
known — not at its start as well. Everything that produced no new artifact waits for that
transaction, or for the run's last one (``finish_run``):

* **Cached and skipped steps** are buffered and written, in order, with the next executed
  step's record or with the run's end. They point only at artifacts that were recorded
  before (cache hits) or at none, so a crash that loses the buffer loses no reference to
  bytes — only the record that the step was served from the cache (the run is shown
  `crashed` anyway, see below).
* **No `running` record for short steps.** Crash visibility does not need it: the run
  record says `running` from its creation, and a run whose process died reads back as
  `crashed` (pid liveness, ``framework.metadata.liveness``). A step still executing after
  `RUNNING_AFTER_S` gets its `running` record from a timer thread, so the dashboard and
  ``framework runs show`` display a long step as running while it runs.
* **Directory fsyncs deferred to the run's end.** Each transaction still writes complete
  files, fsyncs them and renames them into place (SPEC §7: never a torn file, after a crash
  or a power cut); only the durability of the newest renames waits for ``finish_run``,
  which fsyncs every directory the run wrote to. A power cut mid-run can therefore undo
  the last step records of a run that is then shown `crashed` — the artifacts those
  records pointed at become unreferenced files for ``framework gc``.

Measured on the 100-step chain of ``benchmarks/bench_steps.py``, this takes an executed
step from three transactions (running record, final record, cache entry: nine fsyncs) to
one transaction of two files whose fsyncs run concurrently, and a cached step from one
transaction to none.
"""

from __future__ import annotations

import threading
import time
from typing import Any

#: A step still executing after this many seconds gets a `running` record.
RUNNING_AFTER_S = 0.5

Record = tuple[dict[str, Any], list[dict[str, Any]]]  # (step run, its artifact records)


class StepRecorder:
    """Buffers and writes one run's step records (thread-safe: a timer thread writes too)."""

    def __init__(self, metadata: Any, run_id: str, running_after: float | None = RUNNING_AFTER_S) -> None:
        self._metadata = metadata
        self._run_id = run_id
        self._running_after = running_after
        self._cond = threading.Condition()
        self._buffer: list[Record] = []
        self._due: dict[str, tuple[float, dict[str, Any]]] = {}  # step run id -> (deadline, running record)
        self._finished: set[str] = set()
        self._thread: threading.Thread | None = None
        self._idle = False  # the timer thread waits with no deadline
        self._closed = False

    # ------------------------------------------------------------------ the launcher's calls
    def defer(self, record: dict[str, Any], artifacts: list[dict[str, Any]]) -> None:
        """Record a step that produced no new artifact with the next write."""
        with self._cond:
            self._finished.add(record["id"])
            self._due.pop(record["id"], None)
            self._buffer.append((record, artifacts))

    def write(self, record: dict[str, Any], artifacts: list[dict[str, Any]]) -> None:
        """Record an executed step now, together with everything buffered before it."""
        with self._cond:
            self._finished.add(record["id"])
            self._due.pop(record["id"], None)
            batch = [*self._buffer, (record, artifacts)]
            self._metadata.record_steps(self._run_id, batch, durable=False)
            self._buffer.clear()

    def executing(self, running_record: dict[str, Any]) -> None:
        """A step was handed to the orchestrator: write ``running_record`` if it is still
        executing after ``RUNNING_AFTER_S``."""
        if self._running_after is None:
            return
        with self._cond:
            if self._closed:
                return
            self._due[running_record["id"]] = (time.monotonic() + self._running_after, running_record)
            if self._thread is None:
                self._thread = threading.Thread(target=self._timer, name="framework-running-records",
                                                 daemon=True)
                self._thread.start()
            elif self._idle:
                self._cond.notify()

    def take_buffer(self) -> list[Record]:
        """The buffered records, for the run's last transaction (``finish_run(steps=...)``)."""
        with self._cond:
            batch, self._buffer = self._buffer, []
            return batch

    def close(self) -> None:
        """Stop the timer; no `running` record is written after this."""
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify()

    # ------------------------------------------------------------------ the timer thread
    def _timer(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._due:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
                    continue
                step_id, (deadline, record) = min(self._due.items(), key=lambda item: item[1][0])
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                del self._due[step_id]
                if step_id in self._finished:
                    continue
                try:  # still executing: show it, with what was buffered before it
                    self._metadata.record_steps(self._run_id, [*self._buffer, (record, [])], durable=False)
                    self._buffer.clear()
                except Exception:  # noqa: BLE001 - a display aid; the final record still follows
                    pass
