"""Reading runs back: ``Client().get_pipeline("first_pipeline").last_run.steps["svc_trainer"]``.

The client opens the active stack's stores and hands out the read-only views of
``framework.views``; the CLI and the dashboard read through it (and the reports of
``framework.reports``), never through a store's internals.
"""

from __future__ import annotations

from typing import Any

from framework import stacks
from framework.records import Run, Version
from framework.stack_views import StackView
from framework.stacks import Stack
from framework.views import PipelineView, RunView

__all__ = ["Client", "get_pipeline", "get_run", "pipeline_name"]


def pipeline_name(pipeline: Any) -> str:
    """The stored name of ``pipeline``: a name, or a pipeline class or instance of either API."""
    if isinstance(pipeline, str) and pipeline:
        return pipeline
    name = getattr(pipeline, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(pipeline, type) and hasattr(pipeline, "_class_options"):  # a legacy pipeline class
        options = pipeline._class_options
        return (options.name if options is not None else None) or pipeline.__name__
    raise TypeError(f"Expected a pipeline name, pipeline class or pipeline instance, got {pipeline!r}.")


class Client:
    """Read runs back from the stores of ``stack`` (default: the active stack)."""

    def __init__(self, stack: Stack | None = None, *, read_only: bool = False) -> None:
        """``read_only``: never write, not even to drop the cache entry of an artifact found
        damaged on load (the dashboard reads this way)."""
        self.stack = stack or stacks.active_stack()
        self.metadata_store = self.stack.metadata_store()
        self._artifact_store = None
        self.read_only = read_only

    @property
    def artifact_store(self) -> Any:
        if self._artifact_store is None:
            self._artifact_store = self.stack.artifact_store()
        return self._artifact_store

    @property
    def active_stack(self) -> StackView:
        """The stack this client reads (the active one unless another was given), with its
        components: ``.name``, ``.orchestrator``, ``.artifact_store.path``, ``.experiment_tracker``."""
        return StackView(self.stack)

    @property
    def active_stack_name(self) -> str:
        return self.stack.name

    @property
    def store_location(self) -> str:
        """Where this client's metadata lives, for messages."""
        return self.metadata_store.location

    def evict_damaged(self, cache_key: str, artifact_id: str) -> None:
        """An artifact failed verification on load: the cache must not serve it again."""
        if not self.read_only:
            self.metadata_store.evict_cache_entries(cache_key, artifact_id)

    # ------------------------------------------------------------------ pipelines
    def get_pipeline(self, name: Any = None, *, pipeline: Any = None) -> PipelineView | None:
        """The pipeline called ``name``, or None if it never ran.

        ``name`` may also be a pipeline class or instance (either API); ``pipeline=`` is the
        legacy keyword spelling of the same argument.
        """
        record = self.metadata_store.get_pipeline(pipeline_name(name if pipeline is None else pipeline))
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
    def get_run(self, name_or_id: str | None = None, *, run_name: str | None = None) -> RunView:
        """The run with this name (else this id); ``KeyError`` if there is none.
        ``run_name=`` is the legacy keyword spelling."""
        name_or_id = name_or_id if run_name is None else run_name
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
                  limit: int | None = None, *, offset: int = 0, unlisted: bool | None = None,
                  name_contains: str | None = None) -> list[RunView]:
        """Runs newest first (their steps are read when first used): ``limit`` of them after
        ``offset``. ``unlisted``: True for only the runs made with ``unlisted=True``, False for
        only the others, None for all. ``name_contains``: only runs whose name contains it
        (case ignored)."""
        search = {"name_contains": name_contains} if name_contains else {}
        if unlisted is None:
            runs = self.metadata_store.list_runs(pipeline_name, status, limit, offset=offset, **search)
        else:
            runs = [r for r in self.metadata_store.list_runs(pipeline_name, status, **search)
                    if r.unlisted == unlisted]
            runs = runs[offset:][:limit]
        return [RunView(r, self) for r in runs]


def get_pipeline(name: Any = None, *, pipeline: Any = None) -> PipelineView | None:
    """Legacy module-level helper: ``Client().get_pipeline(name)``."""
    return Client().get_pipeline(name, pipeline=pipeline)


def get_run(name: str | None = None, *, run_name: str | None = None) -> RunView:
    """Legacy module-level helper: ``Client().get_run(name)``."""
    return Client().get_run(name, run_name=run_name)
