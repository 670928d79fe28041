"""`StepRecorder`: how a run's step records reach the metadata store, at the least cost.

The launcher hands each step's final record to the recorder, which writes it from one
background thread (the *committer*), in order, with **group commit**: whatever records
arrived while the previous transaction was being fsynced go together into the next one.
Each transaction is a normal store transaction (SPEC §7: lock, fresh read, complete temp
files fsynced, atomic rename), so readers never see a torn file; a step just does not
wait for the disk. When steps take longer than an fsync, that is one transaction per
executed step; when they are faster than the disk, several steps share one. The run's
last transaction (``finish_run``) waits for everything before it.

What else it leaves out, and why that is safe:

* **No `running` record for short steps.** The run record says `running` from its
  creation, and a run whose process died reads back as `crashed` (pid liveness,
  ``framework.liveness``), so crash visibility does not need it. A step still
  executing after `RUNNING_AFTER_S` gets its `running` record from the committer, so the
  dashboard and ``framework runs show`` show a long step as running while it runs.
* **Cached and skipped steps** produce no artifact; their records only ride along with
  the next transaction (the next executed step's, or ``finish_run``'s).
* **Directory fsyncs wait for the run's end** (``durable=False`` transactions): the files
  are fsynced before their rename, so nothing is ever torn; ``finish_run`` fsyncs every
  directory the run wrote to.

The price: a process that dies in the middle of a run loses the records not yet committed
(at most the steps of the last few milliseconds, and every record after a cached step
that no executed step followed). The run then reads back `crashed`, the artifacts those
records would have pointed at become unreferenced files for ``framework gc``, and a re-run
executes those steps again. Nothing the store holds ever points at bytes that do not exist.

A write that fails (a full disk, a damaged steps file) is raised in the launcher's thread
at its next call; the records are kept for the run's last transaction, which falls back to
closing the run as `failed` if they still cannot be written.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from framework.records import Artifact, StepRun

#: A step still executing after this many seconds gets a `running` record.
RUNNING_AFTER_S = 0.5

Record = tuple[StepRun, list[Artifact]]  # (step run, its artifact records)


class StepRecorder:
    """Buffers one run's step records and commits them in order from one thread."""

    def __init__(self, metadata: Any, run_id: str, running_after: Any = "default") -> None:
        """``running_after``: seconds before a still-executing step gets its `running`
        record (default `RUNNING_AFTER_S`); None: never."""
        self._metadata = metadata
        self._run_id = run_id
        self._running_after = RUNNING_AFTER_S if running_after == "default" else running_after
        self._cond = threading.Condition()
        self._buffer: list[Record] = []
        self._urgent = False  # the buffer holds a record that should be written now
        self._committing = False
        self._due: dict[str, tuple[float, StepRun]] = {}  # step run id -> (deadline, running record)
        self._finished: set[str] = set()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ the launcher's calls
    def defer(self, record: StepRun, artifacts: list[Artifact]) -> None:
        """A step that produced no new artifact: written with the next transaction."""
        with self._cond:
            self._finished.add(record.id)
            self._due.pop(record.id, None)
            self._buffer.append((record, artifacts))

    def write(self, record: StepRun, artifacts: list[Artifact]) -> None:
        """An executed step's final record: committed as soon as the committer can."""
        with self._cond:
            self._raise_error()
            self._finished.add(record.id)
            self._due.pop(record.id, None)
            self._buffer.append((record, artifacts))
            self._urgent = True
            self._start()
            self._cond.notify_all()

    def executing(self, running_record: StepRun) -> None:
        """A step was handed to the orchestrator: if it is still executing after
        ``RUNNING_AFTER_S``, its ``running_record`` is written."""
        if self._running_after is None:
            return
        with self._cond:
            wake = not self._due  # else the committer already waits for an earlier deadline
            self._due[running_record.id] = (time.monotonic() + self._running_after, running_record)
            self._start()
            if wake:
                self._cond.notify_all()

    def flush(self) -> None:
        """Wait until every urgent record is committed; raise a commit error here."""
        with self._cond:
            while (self._urgent or self._committing) and self._error is None and self._thread is not None:
                self._cond.wait()
            self._raise_error()

    def close(self) -> list[Record]:
        """Stop the committer (after its current transaction) and return what it did not
        write, for the run's last transaction. Never raises: errors were raised before or
        resurface when the returned records are written."""
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify_all()
            while self._committing:
                self._cond.wait()
            batch, self._buffer = self._buffer, []
            self._urgent = False
            return batch

    # ------------------------------------------------------------------ the committer thread
    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._commit_loop, name="framework-step-records",
                                            daemon=True)
            self._thread.start()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _next_batch(self) -> list[Record] | None:
        """Under the lock: wait until there is something to write now; None once closed."""
        while not self._closed:
            timeout = None  # after an error: nothing more is written until the run's end
            if self._error is None:
                if self._urgent:
                    break
                now = time.monotonic()
                due = [sid for sid, (deadline, _) in self._due.items() if deadline <= now]
                if due:
                    for sid in due:  # still executing: show it as running
                        _deadline, record = self._due.pop(sid)
                        if sid not in self._finished:
                            self._buffer.append((record, []))
                    break
                if self._due:
                    timeout = min(deadline for deadline, _ in self._due.values()) - now
            self._cond.wait(timeout)
        else:
            return None
        batch, self._buffer = self._buffer, []
        self._urgent = False
        self._committing = True
        return batch

    def _commit_loop(self) -> None:
        while True:
            with self._cond:
                batch = self._next_batch()
                if batch is None:
                    return
            error = None
            if batch:
                try:
                    self._metadata.record_steps(self._run_id, batch, durable=False)
                except BaseException as exc:  # noqa: BLE001 - handed to the launcher's thread
                    error = exc
            with self._cond:
                self._committing = False
                if error is not None:
                    self._buffer[:0] = batch  # kept for the run's last transaction
                    self._error = error
                self._cond.notify_all()
