"""The one scheduling loop every orchestrator shares.

Ready set = invocations whose upstream steps are done; each is either
resolved by the launcher (cache hit, or skipped after an upstream failure) or
handed to an executor; then wait for the first to finish and repeat. A local
sequential run is the same loop without an executor.
"""

from __future__ import annotations

import graphlib
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Protocol

from framework.graph import PipelineGraph
from framework.orchestrators.step_runner import StepOutcome, StepTask, run_step


class RunDriver(Protocol):
    """What the loop needs from the launcher (which alone writes metadata)."""

    def prepare(self, invocation_id: str) -> StepTask | None: ...  # None: resolved without running
    def complete(self, invocation_id: str, outcome: StepOutcome) -> bool: ...  # False: the step failed
    def skip(self, invocation_id: str) -> None: ...


def execute_graph(graph: PipelineGraph, driver: RunDriver, executor: Executor | None = None) -> None:
    sorter = graphlib.TopologicalSorter(graph.dependencies())
    sorter.prepare()
    failed: set[str] = set()
    futures: dict[Future, str] = {}
    order = {inv_id: i for i, inv_id in enumerate(graph.invocations)}
    while sorter.is_active():
        for inv_id in sorted(sorter.get_ready(), key=order.__getitem__):
            if graph.invocations[inv_id].upstream & failed:
                driver.skip(inv_id)
                failed.add(inv_id)
                sorter.done(inv_id)
                continue
            task = driver.prepare(inv_id)
            if task is None:
                sorter.done(inv_id)
            elif executor is None:
                if not driver.complete(inv_id, run_step(task)):
                    failed.add(inv_id)
                sorter.done(inv_id)
            else:
                futures[executor.submit(run_step, task)] = inv_id
        if futures:
            done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
            for future in done:
                inv_id = futures.pop(future)
                try:
                    outcome = future.result()
                except BaseException as exc:  # the executor itself failed (e.g. a worker died)
                    outcome = StepOutcome(error=exc, error_text=f"{type(exc).__name__}: {exc}")
                if not driver.complete(inv_id, outcome):
                    failed.add(inv_id)
                sorter.done(inv_id)
