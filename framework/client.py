"""Reading runs back: ``Client().get_pipeline("first_pipeline").last_run.steps["svc_trainer"]``.

The client opens the active stack's stores and hands out the read-only views of
``framework.views``; the CLI and the dashboard read through it (and the reports of
``framework.reports``), never through a store's internals.
"""

from __future__ import annotations

from typing import Any

from framework import stacks
from framework.records import Run, Version
from framework.stacks import Stack
from framework.views import PipelineView, RunView

__all__ = ["Client", "get_pipeline", "get_run"]


class Client:
    """Read runs back from the stores of ``stack`` (default: the active stack)."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack or stacks.active_stack()
        self.metadata_store = self.stack.metadata_store()
        self._artifact_store = None

    @property
    def artifact_store(self) -> Any:
        if self._artifact_store is None:
            self._artifact_store = self.stack.artifact_store()
        return self._artifact_store

    @property
    def store_location(self) -> str:
        """Where this client's metadata lives, for messages."""
        return self.metadata_store.location

    # ------------------------------------------------------------------ pipelines
    def get_pipeline(self, name: str) -> PipelineView | None:
        """The pipeline called ``name``, or None if it never ran."""
        record = self.metadata_store.get_pipeline(name)
        return PipelineView(record, self) if record is not None else None

    def list_pipelines(self) -> list[PipelineView]:
        return [PipelineView(r, self) for r in self.metadata_store.list_pipelines()]

    def last_run_record(self, pipeline: PipelineView) -> Run | None:
        """The record of the pipeline's newest run (unlisted ones included), or None: one
        small read, for listings."""
        last_id = pipeline.record.last_run_id
        if not last_id:
            return None
        detail = self.metadata_store.get_run_by_id(last_id)
        return detail.run if detail is not None else None

    def list_versions(self, name: str) -> list[Version]:
        """The versions of pipeline ``name``, oldest first ([] for an unknown name)."""
        return self.metadata_store.list_versions(name)

    # ------------------------------------------------------------------ runs
    def get_run(self, name_or_id: str) -> RunView:
        """The run with this name (else this id); ``KeyError`` if there is none."""
        detail = self.metadata_store.get_run(name_or_id)
        if detail is None:
            raise KeyError(f"No run named `{name_or_id}` in the store at {self.store_location}.")
        return RunView(detail, self)

    def get_run_by_id(self, run_id: str) -> RunView:
        detail = self.metadata_store.get_run_by_id(run_id)
        if detail is None:
            raise KeyError(f"No run with id `{run_id}` in the store at {self.store_location}.")
        return RunView(detail, self)

    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None) -> list[RunView]:
        """Runs newest first (their steps are read when first used)."""
        return [RunView(r, self) for r in self.metadata_store.list_runs(pipeline_name, status, limit)]


def get_pipeline(name: str) -> PipelineView | None:
    """Legacy module-level helper: ``Client().get_pipeline(name)``."""
    return Client().get_pipeline(name)


def get_run(name: str) -> RunView:
    """Legacy module-level helper: ``Client().get_run(name)``."""
    return Client().get_run(name)
