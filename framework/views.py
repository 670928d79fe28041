"""Read-only views of stored records: pipelines, runs, steps and their artifacts.

A view wraps one typed record (``framework.records``) and the reader it came from (a
``Client``): its fields are the record's fields, and what needs more reading — a listed
run's steps, a cached step's artifacts, an artifact's value — is read on first use.
Artifacts load (and verify) only when ``.load()`` is called.

The reader a view needs is small: ``metadata_store`` (the store contract) and
``artifact_store``. Views never write.

Step logs (``StepView.logs``, ``log_info``, ``read_logs``; ``RunView.logs``) are read
through the artifact store, local or remote, each time they are asked for: a running
step's log grows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from framework.exceptions import ArtifactError, ArtifactVerificationError
from framework.records import Artifact, Pipeline, Run, RunDetail, StepRun, to_doc


class _Field:
    """A view attribute that is its record's field of the same name (mutable values copied,
    so a caller can never change what the view shows)."""

    def __init__(self, *, copied: bool = False) -> None:
        self.copied = copied

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, view: Any, owner: type) -> Any:
        if view is None:
            return self
        value = getattr(view.record, self.name)
        return copy.deepcopy(value) if self.copied else value


class ArtifactView:
    """One stored output. ``load()`` verifies the bytes against the recorded hash first."""

    def __init__(self, artifact: Artifact, reader: Any, context: str, cache_key: str | None = None,
                 step: StepView | None = None) -> None:
        self.record = artifact
        self._reader = reader
        self._context = context
        self._cache_key = cache_key  # of the step run that produced it: dropped if the bytes are damaged
        self.step = step  # the step run it was reached from (None when built on its own)

    id = _Field()
    uri = _Field()
    data_type = _Field()
    materializer = _Field()
    size = _Field()
    content_hash = _Field()
    metadata = _Field(copied=True)

    @property
    def name(self) -> str | None:
        """The output name it was produced under."""
        return self.record.output_name

    @property
    def path(self) -> str:
        return self._reader.artifact_store.path_of(self.record)

    @property
    def logged_metadata(self) -> dict[str, Any]:
        """What was logged on this output (``log_metadata(..., artifact=...)``) in the step run
        it was reached from."""
        if self.step is None or self.name is None:
            return {}
        return copy.deepcopy(self.step.record.output_metadata.get(self.name, {}))

    def to_dict(self) -> dict[str, Any]:
        return to_doc(self.record)

    def load(self, **kwargs: Any) -> Any:
        """The value, verified first (keywords: ``allow_pickle``, ``trusted_types``, ``mmap``;
        see ``ArtifactStore.load``). Damaged bytes raise, and the cache entry that would serve
        them to the next run is dropped (by a reader that may write: the client, not the
        dashboard)."""
        try:
            return self._reader.artifact_store.load(self.record, context=self._context, **kwargs)
        except ArtifactVerificationError:
            evict = getattr(self._reader, "evict_damaged", None)
            if evict is not None and self._cache_key:
                evict(self._cache_key, self.record.id)
            raise

    read = load  # the legacy spelling

    def read_bytes(self) -> bytes:
        """The stored file's bytes, verified against the recorded hash (for downloads)."""
        return self._reader.artifact_store.read_bytes(self.record, context=self._context)

    def __repr__(self) -> str:
        return f"<artifact {self.name} {self.data_type} ({self.size} bytes)>"


class StepView:
    """One step run of a run."""

    def __init__(self, record: StepRun, run: RunView) -> None:
        self.record = record
        self.run = run

    id = _Field()
    invocation_id = _Field()
    slot = _Field()
    status = _Field()
    parameters = _Field(copied=True)
    cache_key = _Field()
    original_step_run_id = _Field()
    original_run_id = _Field()
    start_time = _Field()
    end_time = _Field()
    duration = _Field()
    error = _Field()
    metadata = _Field(copied=True)  # logged on the step run (log_metadata inside the step)
    output_metadata = _Field(copied=True)  # output name -> metadata logged on it

    @property
    def name(self) -> str:
        return self.record.step_name

    @property
    def key(self) -> str:
        """How the run names this step (the step name in legacy runs, the invocation id otherwise)."""
        return self.run.detail.step_key(self.record)

    @property
    def is_cached(self) -> bool:
        return self.status == "cached"

    @property
    def run_metadata(self) -> dict[str, Any]:
        """What was recorded on this step run besides its outputs (ZenML's name): values
        logged in the step and, for a tracked step, the link to its experiment tracker run
        (``experiment_tracker_url``, ``mlflow_run_id``, ...)."""
        return dict(self.record.metadata)

    def _artifact(self, artifact_id: str, label: str) -> ArtifactView:
        detail = self.run.detail
        record = detail.artifacts.get(artifact_id)
        if record is None:
            raise KeyError(f"Artifact `{artifact_id}` of step `{self.name}` is not in the store.")
        context = f"run `{self.run.name}`, step `{self.name}`, {label}"
        producer = next((s for s in detail.steps if artifact_id in s.outputs.values()), None)
        return ArtifactView(record, self.run.reader, context, producer.cache_key if producer else None, step=self)

    @property
    def outputs(self) -> dict[str, ArtifactView]:
        return {name: self._artifact(aid, f"output `{name}`") for name, aid in self.record.outputs.items()}

    @property
    def inputs(self) -> dict[str, ArtifactView]:
        return {name: self._artifact(aid, f"input `{name}`") for name, aid in self.record.inputs.items() if aid}

    @property
    def output(self) -> ArtifactView:
        outputs = self.outputs
        if len(outputs) != 1:
            raise ValueError(
                f"Step `{self.name}` has {len(outputs)} outputs ({', '.join(outputs) or 'none'}); "
                "use `.outputs[name]`."
            )
        return next(iter(outputs.values()))

    extra_files = _Field(copied=True)

    @property
    def log_info(self) -> dict[str, Any] | None:
        """What the step's log record says — ``uri`` (relative to the artifact store), ``size``
        (bytes of output kept), ``cut`` (bytes dropped from the middle), ``complete`` (the step
        finished and the file is final) — or None: nothing was captured (a cached or skipped
        step, capture turned off, a run recorded before step logs existed)."""
        return copy.deepcopy(self.record.logs) if self.record.logs else None

    @property
    def logs(self) -> str:
        """Everything the step printed and logged, and its traceback, as kept (UTF-8, invalid
        bytes replaced); ``""`` when nothing was captured. Where output was cut, a line of the
        framework's says how much."""
        return self.read_logs().decode("utf-8", "replace")

    def read_logs(self, start: int = 0) -> bytes:
        """The log's bytes from offset ``start`` (``b""`` when there are none): for following
        a running step, read again from where the last read ended.

        A log whose record says bytes were kept but whose file is gone raises
        `ArtifactError` naming the run, the step and the path."""
        info = self.record.logs
        if not info or not info.get("uri"):
            return b""
        logs = self.run.reader.artifact_store.logs
        try:
            return logs.read(info["uri"], start)
        except FileNotFoundError:
            if info.get("size") and info.get("complete"):
                raise ArtifactError(f"The log of step `{self.name}` of run `{self.run.name}` is missing from "
                                    f"the artifact store: {logs.location(info['uri'])}.") from None
            return b""  # nothing printed yet, or a remote store's log of a step still running
        except ValueError as exc:
            raise ArtifactError(f"Step `{self.name}` of run `{self.run.name}`: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return to_doc(self.record)

    def __repr__(self) -> str:
        return f"<step run `{self.name}` {self.status}>"


class StepsView(Mapping[str, StepView]):
    """A run's steps: iterates step keys in execution order; legacy slot names, step names and
    invocation ids work as aliases for lookup."""

    def __init__(self, run: RunView) -> None:
        self._steps: dict[str, StepView] = {}
        self._aliases: dict[str, str] = {}
        detail = run.detail
        for record in detail.steps:
            key = detail.step_key(record)
            self._steps[key] = StepView(record, run)
            for alias in (record.slot, record.invocation_id, record.step_name):
                if alias:
                    self._aliases.setdefault(alias, key)

    def __getitem__(self, name: str) -> StepView:
        key = name if name in self._steps else self._aliases.get(name)
        if key is None:
            raise KeyError(f"No step `{name}` in this run; steps: {', '.join(self._steps) or '(none)'}.")
        return self._steps[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)


class RunView:
    """One run. Built from a listing (a `Run`) it reads its steps on first use, so a listed
    run is never shown as having no steps."""

    def __init__(self, record: Run | RunDetail, reader: Any) -> None:
        self._detail = record if isinstance(record, RunDetail) else None
        self.record: Run = record.run if isinstance(record, RunDetail) else record
        self.reader = reader

    id = _Field()
    name = _Field()
    pipeline_name = _Field()
    version = _Field()
    status = _Field()
    start_time = _Field()
    end_time = _Field()
    duration = _Field()
    error = _Field()
    stack = _Field()
    api = _Field()
    unlisted = _Field()
    pipeline_parameters = _Field(copied=True)
    config = _Field(copied=True)
    tags = _Field(copied=True)
    notes = _Field()
    metadata = _Field(copied=True)  # logged on the run (log_metadata(run=...))
    summary = _Field(copied=True)  # {"params": ..., "metrics": ...}, written when the run closed

    @property
    def detail(self) -> RunDetail:
        """The run with its step runs and artifacts (read once)."""
        if self._detail is None:
            found = self.reader.metadata_store.get_run_by_id(self.record.id)
            self._detail = found if found is not None else RunDetail(run=self.record)
            self.record = self._detail.run
        return self._detail

    @property
    def steps(self) -> StepsView:
        return StepsView(self)

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Every step's parameters, keyed by step name: a run as a trial of its pipeline."""
        return {name: view.parameters for name, view in self.steps.items()}

    @property
    def logs(self) -> dict[str, str]:
        """Each step's log text by step key, in execution order (see `log_steps`)."""
        return {view.key: view.logs for view in self.log_steps()}

    def log_steps(self) -> list[StepView]:
        """The steps that have a log, in execution order. A run whose process died (or that
        is still running) may have the log of a step it never recorded (killed within its
        first half second): that step comes last, as a `crashed` (or `running`) step under
        its invocation id, with its log as far as it got."""
        steps = [view for view in self.steps.values() if view.record.logs]
        if self.status not in ("running", "crashed"):
            return steps  # every executed step was recorded
        known = {view.record.logs.get("uri") for view in steps}
        order = self.detail.run.step_order
        status = "running" if self.status == "running" else "crashed"
        for log in self.reader.artifact_store.logs.list(self.id):
            if log.uri not in known and log.position < len(order):
                record = StepRun(id=log.step_run_id, run_id=self.id, invocation_id=order[log.position],
                                 step_name=order[log.position], status=status,
                                 logs={"uri": log.uri, "size": log.size, "cut": 0, "complete": False})
                steps.append(StepView(record, self))
        return steps

    def to_dict(self) -> dict[str, Any]:
        return to_doc(self.record)

    def __repr__(self) -> str:
        return f"<run `{self.name}` {self.status}>"


class PipelineView:
    """A pipeline: its runs (newest first), last run and versions."""

    def __init__(self, record: Pipeline, reader: Any) -> None:
        self.record = record
        self.reader = reader

    id = _Field()
    name = _Field()
    latest_version = _Field()
    run_count = _Field()
    tags = _Field(copied=True)
    notes = _Field()

    @property
    def runs(self) -> list[RunView]:
        """Runs of this pipeline, newest first (unlisted runs excluded)."""
        records = self.reader.metadata_store.list_runs(pipeline_name=self.name)
        return [RunView(r, self.reader) for r in records if not r.unlisted]

    @property
    def last_run(self) -> RunView | None:
        last_id = self.record.last_run_id
        if last_id:
            detail = self.reader.metadata_store.get_run_by_id(last_id)
            if detail is not None and not detail.run.unlisted:
                return RunView(detail, self.reader)
        runs = self.runs
        return runs[0] if runs else None

    @property
    def versions(self) -> list[dict[str, Any]]:
        """The pipeline's versions, oldest first, as plain dicts (number, hash, spec, created)."""
        return [to_doc(version) for version in self.reader.metadata_store.list_versions(self.name)]

    def __repr__(self) -> str:
        return f"<pipeline `{self.name}`>"
