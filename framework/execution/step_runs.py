"""Building the run's records: the `Run` it starts with and a `StepRun` per step outcome.

The launcher decides *what* happened to a step (cached, completed, failed, skipped);
this module knows what a record of it holds, so the launcher never spells out a
record's fields and every outcome is recorded with the same ids and times.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from typing import Any

from framework.graph import Invocation, PipelineGraph
from framework.hashing import new_id
from framework.liveness import this_host
from framework.records import Artifact, Registration, Run, StepRun


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def new_run(run_id: str, name: str, graph: PipelineGraph, registration: Registration, *, stack: str,
            run_config: Any, pipeline_parameters: dict[str, Any], unlisted: bool, lease: str | None = None) -> Run:
    """The record of a run about to start, owned by this process (holding ``lease``)."""
    return Run(
        id=run_id, name=name, pipeline_name=graph.name, pipeline_id=registration.pipeline_id,
        version=registration.version, status="running", start_time=now(), pid=os.getpid(), host=this_host(),
        stack=stack, api=graph.api, enable_cache=run_config.enable_cache,
        caching_enabled=graph.enable_cache if graph.enable_cache is not None else True,
        pipeline_parameters=pipeline_parameters, config=run_config.model_dump(mode="json"),
        step_order=list(graph.invocations), unlisted=unlisted, lease=lease,
    )


class StepRuns:
    """Step run ids, start times and records of one run."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._ids: dict[str, str] = {}
        self._started: dict[str, tuple[float, str]] = {}

    def id_of(self, inv_id: str) -> str:
        """The step run id of ``inv_id`` in this run (made on first use)."""
        return self._ids.setdefault(inv_id, new_id())

    def start(self, inv_id: str) -> None:
        self._started.setdefault(inv_id, (time.perf_counter(), now()))

    def elapsed(self, inv_id: str) -> float:
        return time.perf_counter() - self._started[inv_id][0]

    def record(self, inv: Invocation, status: str, inputs: dict[str, Artifact], *, finished: bool = True,
               **fields: Any) -> StepRun:
        """The step run of ``inv`` with ``status``; ``finished`` stamps end time and duration."""
        self.start(inv.id)
        if finished:
            fields.setdefault("end_time", now())
            fields.setdefault("duration", self.elapsed(inv.id))
        return StepRun(
            id=self.id_of(inv.id), run_id=self.run_id, invocation_id=inv.id,
            slot=inv.slot, step_name=inv.step_name, step_class=inv.step_class, status=status,
            parameters=inv.parameters, code_fingerprint=inv.code_fingerprint,
            inputs={arg: artifact.id for arg, artifact in inputs.items()},
            start_time=self._started[inv.id][1], **fields,
        )
