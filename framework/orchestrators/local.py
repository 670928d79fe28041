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

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="framework-step") as pool:
            execute_graph(graph, driver, pool)
