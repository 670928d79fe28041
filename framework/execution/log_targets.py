"""Where the executed steps of one run write their logs, as the launcher hands them out.

Each executed step gets ``logs/<run id>/<position>-<step run id>.log`` in the artifact
store (``framework.artifacts.log_files``), with the head/tail limits read from the
environment once per run (``framework.orchestrators.log_sink``). The `running` record of a
step already names the file, so a reader can follow it; a step whose runner never reported
(its worker died, the run stopped) is recorded with the file as far as it got.
"""

from __future__ import annotations

from typing import Any

from framework.artifacts.log_files import log_uri
from framework.graph import PipelineGraph
from framework.orchestrators.log_sink import limits_from_env
from framework.orchestrators.step_logs import LogTarget


class LogTargets:
    """The log targets of one run's steps (none when capture is off: ``FRAMEWORK_STEP_LOGS=0``)."""

    def __init__(self, graph: PipelineGraph, run_id: str, artifacts: Any) -> None:
        self.run_id = run_id
        self.artifacts = artifacts
        self.limits = limits_from_env()  # (head, tail) bytes, or None: step output is not captured
        self._positions = {inv_id: i for i, inv_id in enumerate(graph.invocations)}
        self._targets: dict[str, LogTarget] = {}

    def open(self, inv_id: str, step_run_id: str) -> tuple[LogTarget | None, dict[str, Any] | None]:
        """The target of step ``inv_id`` and the ``logs`` of its `running` record."""
        if self.limits is None:
            return None, None
        target = self._targets[inv_id] = LogTarget(log_uri(self.run_id, self._positions[inv_id], step_run_id),
                                                   *self.limits)
        return target, {"uri": target.uri, "size": 0, "cut": 0, "complete": False}

    def unfinished(self, inv_id: str) -> dict[str, Any] | None:
        """The ``logs`` of a step whose runner never reported: the file as far as it got."""
        target = self._targets.get(inv_id)
        if target is None:
            return None
        try:
            size = self.artifacts.logs.size(target.uri) or 0
        except (OSError, ValueError):
            size = 0
        return {"uri": target.uri, "size": size, "cut": 0, "complete": False}
