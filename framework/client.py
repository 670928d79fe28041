"""Reading runs back: ``Client().get_pipeline("first_pipeline").last_run.steps["svc_trainer"]``.

The client opens the active stack's stores and hands out the read-only views of
``framework.views``; the CLI and the dashboard read through it (and the reports of
``framework.reports``), never through a store's internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from framework import stacks
from framework.records import Run, RunRow, Version
from framework.stack_views import StackView
from framework.stacks import Stack
from framework.views import ArtifactView, PipelineView, RunView

__all__ = ["Client", "get_pipeline", "get_run", "log_metadata", "pipeline_name"]


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

    def _pipeline_name(self, name: Any) -> str:
        found = pipeline_name(name)
        if self.metadata_store.get_pipeline(found) is None:
            from framework.exceptions import PipelineNotFoundError

            raise PipelineNotFoundError(f"No pipeline named `{found}` in the store at {self.store_location}; "
                                        "`framework pipelines list` shows the pipelines.")
        return found

    def tag_pipeline(self, name: Any, *tags: str) -> PipelineView:
        """Add ``tags`` to pipeline ``name`` (tags it has stay once)."""
        record = self.metadata_store.update_pipeline(self._pipeline_name(name), add_tags=list(tags))
        return PipelineView(record, self)

    def untag_pipeline(self, name: Any, *tags: str) -> PipelineView:
        record = self.metadata_store.update_pipeline(self._pipeline_name(name), remove_tags=list(tags))
        return PipelineView(record, self)

    def note_pipeline(self, name: Any, notes: str) -> PipelineView:
        """Replace the notes of pipeline ``name`` (``""`` clears them)."""
        record = self.metadata_store.update_pipeline(self._pipeline_name(name), notes=notes)
        return PipelineView(record, self)

    def delete_pipeline(self, name: Any) -> list[str]:
        """Delete pipeline ``name``, its versions and all its runs; return the deleted run
        names. A run still in progress stops it (`RunInProgressError`) before anything is
        deleted. Their artifact files stay until ``framework gc``."""
        found = self._pipeline_name(name)
        names = {row.id: row.name for row in self.metadata_store.query_runs(pipeline_name=found)}
        deleted = self.metadata_store.delete_pipeline(found)
        self._withdraw_references(deleted)
        return [names.get(run_id, run_id) for run_id in deleted]

    def _withdraw_references(self, run_ids: list[str]) -> None:
        """Deleted runs no longer keep their artifacts from other homes' gc (see
        ``framework.artifacts.refs``); this home's own gc would withdraw their records too."""
        from framework.execution import references

        references.withdraw(self.metadata_store, self.artifact_store, run_ids)

    # ------------------------------------------------------------------ runs
    def resolve_run_id(self, ref: str) -> str:
        """The id of the run ``ref`` names: a name, an id, a unique prefix of either, ``latest``,
        ``PIPELINE@latest`` or ``PIPELINE@-2`` (``framework.reports.refs``)."""
        from framework.reports.refs import resolve_run_id

        return resolve_run_id(self.metadata_store, ref)

    def get_run(self, name_or_id: str | None = None, *, run_name: str | None = None) -> RunView:
        """The run ``name_or_id`` names (see `resolve_run_id`); `RunNotFoundError` (a
        ``KeyError``) saying how to list runs if there is none. ``run_name=`` is the legacy
        keyword spelling."""
        from framework.exceptions import RunNotFoundError

        ref = name_or_id if run_name is None else run_name
        detail = self.metadata_store.get_run_by_id(self.resolve_run_id(ref))
        if detail is None:  # deleted between the two reads
            raise RunNotFoundError(f"Run `{ref}` was deleted just now from the store at {self.store_location}.")
        return RunView(detail, self)

    def query_runs(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                   tags: Sequence[str] = (), since: Any = None, until: Any = None) -> Iterator[RunRow]:
        """Listing rows of the runs passing every filter, newest first, read lazily (the
        metadata store's ``query_runs``): what ``framework runs list`` filters and sorts."""
        return self.metadata_store.query_runs(pipeline_name=pipeline_name, status=status, tags=tags,
                                              since=since, until=until)

    def _refresh_summary(self, run_id: str) -> None:
        """Recompute ``Run.summary`` after metadata was logged on a closed run, so listings
        show the new metrics (a running run gets its summary when it closes)."""
        from framework.summaries import run_summary

        detail = self.metadata_store.get_run_by_id(run_id)
        if detail is not None and detail.run.status != "running":
            self.metadata_store.update_run(run_id, summary=run_summary(detail))

    def tag_run(self, run: str, *tags: str) -> RunView:
        """Add ``tags`` to ``run`` (any run reference; tags it has stay once)."""
        return RunView(self.metadata_store.update_run(self.resolve_run_id(run), add_tags=list(tags)), self)

    def untag_run(self, run: str, *tags: str) -> RunView:
        return RunView(self.metadata_store.update_run(self.resolve_run_id(run), remove_tags=list(tags)), self)

    def note_run(self, run: str, notes: str) -> RunView:
        """Replace the notes of ``run`` (``""`` clears them)."""
        return RunView(self.metadata_store.update_run(self.resolve_run_id(run), notes=notes), self)

    def export_artifact(self, run: str, step: str, output: str | None, dest: Any, *, overwrite: bool = False) -> Any:
        """Write the value of ``output`` (None: the step's only output) of ``step`` in
        ``run`` to ``dest`` in a format other tools open (``framework.artifacts.export``:
        .npy/.csv, .parquet/.csv, .skops, .json); return the path written. The value is
        loaded and hash-verified first."""
        from framework.artifacts.export import export_value

        view = self.get_run(run)
        step_view = view.steps[step]
        artifact = step_view.output if output is None else step_view.outputs[output]
        what = f"Output `{artifact.name}` of step `{step_view.name}` in run `{view.name}`"
        return export_value(artifact.load(), dest, name=f"{step_view.key}.{artifact.name}", what=what,
                            overwrite=overwrite)

    def delete_runs(self, *runs: str) -> list[str]:
        """Delete these runs (any run references) in one transaction; return their names.
        Every reference is resolved and every run checked first: an unknown one, or one still
        in progress (`RunInProgressError`), deletes nothing. Their artifact files stay until
        ``framework gc``, which keeps whatever a remaining run still uses."""
        import unicodedata

        names: dict[str, str] = {}
        for ref in runs:
            run_id = self.resolve_run_id(ref)
            ref = unicodedata.normalize("NFC", ref)
            if run_id not in names:  # a name given as is needs no read; other references one
                found = None if self.metadata_store.run_id_for_name(ref) == run_id else \
                    self.metadata_store.get_run_by_id(run_id)
                names[run_id] = found.run.name if found is not None else ref
        self._withdraw_references(self.metadata_store.delete_runs(list(names)))
        return list(names.values())

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


def log_metadata(metadata: dict[str, Any], *, run: Any = None, artifact: Any = None) -> None:
    """Record ``metadata`` (a dict of strict-JSON values; numbers become metrics).

    Inside a running step: on that step run; with ``artifact="<output name>"`` on that
    output; with ``run=`` the current run's name or id (``get_step_context().run_name``) on
    the run. The values travel back with the step's outcome and are stored with its record.

    Outside a step: ``run=`` any run reference (name, id, prefix, ``latest``, …) logs on
    that run; ``artifact=`` an artifact view (``run.steps["trainer"].outputs["model"]``)
    on that output of that step run. Merged key by key with what was logged before.
    """
    from framework.steps.context import current_context

    context = current_context()
    if context is not None and context.run_name is not None:
        _log_in_step(context, metadata, run, artifact)
        return
    if run is None and artifact is None:
        import warnings

        if context is not None:  # a step called directly, outside any run: kept in its context only
            context.log_metadata(metadata)
        warnings.warn("log_metadata() was called outside a pipeline run without run= or artifact=, so nothing "
                      "was recorded (a step called directly, or through .entrypoint(), has no run to record "
                      "it on).", stacklevel=2)
        return
    if run is not None and artifact is not None:
        raise ValueError("log_metadata: give run= or artifact=, not both.")
    client = Client()
    if isinstance(artifact, ArtifactView):
        if artifact.step is None or artifact.name is None:
            raise ValueError("log_metadata(artifact=...) needs an artifact view reached from a run's step "
                             "(e.g. Client().get_run(name).steps['trainer'].outputs['model']).")
        step = artifact.step
        client.metadata_store.update_step_run(step.run.id, step.id, output_metadata={artifact.name: metadata})
        client._refresh_summary(step.run.id)
        return
    if artifact is not None:
        raise ValueError(f"log_metadata(artifact={artifact!r}) outside a step needs an artifact view "
                         "(Client().get_run(name).steps[step].outputs[output]); an output name works only "
                         "inside the step that produces it.")
    target = run.id if isinstance(run, RunView) else client.resolve_run_id(run)
    client.metadata_store.update_run(target, metadata=metadata)
    client._refresh_summary(target)


def _log_in_step(context: Any, metadata: dict[str, Any], run: Any, artifact: Any) -> None:
    from framework.exceptions import StepContextError

    if isinstance(artifact, ArtifactView):
        raise StepContextError(f"Step `{context.step_name}`: inside a step, artifact= names one of this step's "
                               "outputs (a string); log on another run's artifact from outside the step.")
    if run is not None and not context.is_this_run(run):
        raise StepContextError(f"Step `{context.step_name}` runs in run `{context.run_name}`; inside a step, "
                               "log_metadata(run=...) can only name that run. Log on other runs from outside "
                               "the step.")
    context.log_metadata(metadata, artifact=artifact, run=run is not None)


def get_pipeline(name: Any = None, *, pipeline: Any = None) -> PipelineView | None:
    """Legacy module-level helper: ``Client().get_pipeline(name)``."""
    return Client().get_pipeline(name, pipeline=pipeline)


def get_run(name: str | None = None, *, run_name: str | None = None) -> RunView:
    """Legacy module-level helper: ``Client().get_run(name)``."""
    return Client().get_run(name, run_name=run_name)
