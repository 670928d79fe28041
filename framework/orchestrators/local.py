"""The local orchestrator: runs steps in this process, or in a thread pool when
``max_workers`` > 1 (independent steps then run concurrently)."""

from __future__ import annotations

from framework.graph import PipelineGraph
from framework.orchestrators.base import RunDriver, execute_graph


class LocalOrchestrator:
    name = "local"

    def __init__(self, max_workers: int = 1) -> None:
        self.max_workers = max_workers

    def run(self, graph: PipelineGraph, driver: RunDriver) -> None:
        workers = graph.settings.get("orchestrator.local", {}).get("max_workers", self.max_workers)
        if workers <= 1:
            execute_graph(graph, driver)
            return
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="framework-step")
        try:
            execute_graph(graph, driver, pool)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM) or failed: do not wait for running steps before the
            # launcher records the run; queued steps never start.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
