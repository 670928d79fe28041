"""A step's log as the step runner sees it: where to write it, and what to report about it.

The launcher decides the log's place and limits (`LogTarget`, in the `StepTask`); the step
runner, wherever it runs, opens a `StepLog` on the artifact store, captures the step's
output into it (``framework.orchestrators.log_capture``) and puts `StepLog.close`'s answer
in ``StepOutcome.logs`` — the ``StepRun.logs`` record:

``{"uri": <relative to the store root>, "size": <bytes of output kept>, "cut": <bytes
dropped from the middle>, "complete": <the step finished and the file is final>}``, plus
``"error"`` when the log could not be written or uploaded. ``size`` counts the step's own
bytes; the file also holds the framework's one-line notes where output was cut.

On a local store the file is written in place while the step runs; on a remote one it is
written to a local temporary file and uploaded when the step ends (finished or failed).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import attrs

from framework.orchestrators.log_sink import LogSink


@attrs.frozen
class LogTarget:
    """Where one step run's log goes (a uri relative to the artifact store) and its limits."""

    uri: str
    head: int
    tail: int


class StepLog:
    """One step run's log file, open for the runner."""

    def __init__(self, target: LogTarget, store: Any) -> None:
        self.target = target
        self._store = store
        local = store.logs.local_path(target.uri)
        self._temp: str | None = None
        if local is None:  # remote store: write here, upload at the end
            handle, local = tempfile.mkstemp(prefix="framework-step-log-", suffix=".log")
            os.close(handle)
            self._temp = local
        self.sink = LogSink(local, head=target.head, tail=target.tail)

    def close(self) -> dict[str, Any]:
        """Finish the file (upload it, for a remote store) and return the record's ``logs``."""
        info: dict[str, Any] = {"uri": self.target.uri, **self.sink.finish()}
        if self._temp is not None:
            try:
                if os.path.getsize(self._temp):
                    self._store.logs.upload(self._temp, self.target.uri)
            except Exception as exc:  # noqa: BLE001 - a log never fails the step
                info["complete"] = False
                info["error"] = f"the log could not be uploaded to {self._store.url}: {type(exc).__name__}: {exc}"
            finally:
                try:
                    os.remove(self._temp)
                except OSError:
                    pass
        return info
