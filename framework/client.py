"""Reading runs back: pipelines, runs, steps and their artifacts.

Views are thin and read-only over the metadata store's records; artifacts load
(and verify) only when ``.load()`` is called.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from framework import stacks
from framework.execution.artifact_records import info_of
from framework.stacks import Stack


class ArtifactView:
    """One stored output. ``load()`` verifies the bytes against the recorded hash first."""

    def __init__(self, record: dict[str, Any], client: "Client", context: str) -> None:
        self._record = record
        self._client = client
        self._context = context

    id = property(lambda self: self._record["id"])
    uri = property(lambda self: self._record.get("uri"))
    data_type = property(lambda self: self._record.get("data_type"))
    materializer = property(lambda self: self._record.get("materializer"))
    size = property(lambda self: self._record.get("size"))
    content_hash = property(lambda self: self._record.get("content_hash"))
    metadata = property(lambda self: dict(self._record.get("metadata") or {}))
    name = property(lambda self: self._record.get("output_name"))

    @property
    def path(self) -> str:
        return self._client.artifact_store.path_of(info_of(self._record))

    def to_dict(self) -> dict[str, Any]:
        return dict(self._record)

    def load(self, **kwargs: Any) -> Any:
        return self._client.artifact_store.load(info_of(self._record), context=self._context, **kwargs)

    read = load  # the legacy spelling

    def __repr__(self) -> str:
        return f"<artifact {self.name} {self.data_type} ({self.size} bytes)>"


class StepView:
    def __init__(self, record: dict[str, Any], run: "RunView") -> None:
        self._record = record
        self._run = run

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["step_name"])
    invocation_id = property(lambda self: self._record["invocation_id"])
    slot = property(lambda self: self._record.get("slot"))
    status = property(lambda self: self._record["status"])
    parameters = property(lambda self: dict(self._record.get("parameters") or {}))
    cache_key = property(lambda self: self._record.get("cache_key"))
    original_step_run_id = property(lambda self: self._record.get("original_step_run_id"))
    original_run_id = property(lambda self: self._record.get("original_run_id"))
    start_time = property(lambda self: self._record.get("start_time"))
    end_time = property(lambda self: self._record.get("end_time"))
    duration = property(lambda self: self._record.get("duration"))
    error = property(lambda self: self._record.get("error"))

    @property
    def is_cached(self) -> bool:
        return self.status == "cached"

    def _artifact(self, artifact_id: str, output: str) -> ArtifactView:
        record = self._run._record.get("artifacts", {}).get(artifact_id)
        if record is None:
            raise KeyError(f"Artifact `{artifact_id}` of step `{self.name}` is not in the store.")
        context = f"run `{self._run.name}`, step `{self.name}`, output `{output}`"
        return ArtifactView(record, self._run._client, context)

    @property
    def outputs(self) -> dict[str, ArtifactView]:
        return {name: self._artifact(aid, name) for name, aid in (self._record.get("outputs") or {}).items()}

    @property
    def inputs(self) -> dict[str, ArtifactView]:
        return {name: self._artifact(aid, name) for name, aid in (self._record.get("inputs") or {}).items() if aid}

    @property
    def output(self) -> ArtifactView:
        outputs = self.outputs
        if len(outputs) != 1:
            raise ValueError(
                f"Step `{self.name}` has {len(outputs)} outputs ({', '.join(outputs) or 'none'}); "
                "use `.outputs[name]`."
            )
        return next(iter(outputs.values()))

    def to_dict(self) -> dict[str, Any]:
        return dict(self._record)

    def __repr__(self) -> str:
        return f"<step run `{self.name}` {self.status}>"


class StepsView(Mapping[str, StepView]):
    """A run's steps: iterates step names in execution order; legacy slot names work as aliases."""

    def __init__(self, run: "RunView") -> None:
        self._steps: dict[str, StepView] = {}
        self._aliases: dict[str, str] = {}
        for record in run._record.get("step_runs", []):
            view = StepView(record, run)
            key = record["step_name"] if run._record.get("api") == "legacy" else record["invocation_id"]
            self._steps[key] = view
            for alias in (record.get("slot"), record.get("invocation_id"), record.get("step_name")):
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
    def __init__(self, record: dict[str, Any], client: "Client") -> None:
        self._record = record
        self._client = client

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])
    pipeline_name = property(lambda self: self._record["pipeline_name"])
    version = property(lambda self: self._record.get("version"))
    status = property(lambda self: self._record["status"])
    start_time = property(lambda self: self._record.get("start_time"))
    end_time = property(lambda self: self._record.get("end_time"))
    duration = property(lambda self: self._record.get("duration"))
    error = property(lambda self: self._record.get("error"))
    stack = property(lambda self: self._record.get("stack"))
    pipeline_parameters = property(lambda self: dict(self._record.get("pipeline_parameters") or {}))
    config = property(lambda self: dict(self._record.get("config") or {}))

    @property
    def steps(self) -> StepsView:
        self._load_steps()
        return StepsView(self)

    def _load_steps(self) -> None:
        """Listings (`Client.list_runs`) carry run records without their steps: read them
        on first use, never show such a run as having no steps."""
        if "step_runs" not in self._record:
            full = self._client.metadata_store.get_run_by_id(self._record["id"])
            if full is not None:
                self._record = full

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Every step's parameters, keyed by step name: a run as a trial of its pipeline."""
        return {name: view.parameters for name, view in self.steps.items()}

    def to_dict(self) -> dict[str, Any]:
        return dict(self._record)

    def __repr__(self) -> str:
        return f"<run `{self.name}` {self.status}>"


class PipelineView:
    def __init__(self, record: dict[str, Any], client: "Client") -> None:
        self._record = record
        self._client = client

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])

    @property
    def runs(self) -> list[RunView]:
        """Runs of this pipeline, newest first (unlisted runs excluded)."""
        records = self._client.metadata_store.list_runs(pipeline_name=self.name)
        return [self._client._run_view(r["id"]) for r in records if not r.get("unlisted")]

    @property
    def last_run(self) -> RunView | None:
        last_id = self._record.get("last_run_id")
        if last_id:
            record = self._client.metadata_store.get_run_by_id(last_id)
            if record is not None and not record.get("unlisted"):
                return RunView(record, self._client)
        runs = self.runs
        return runs[0] if runs else None

    @property
    def versions(self) -> list[dict[str, Any]]:
        return self._client.metadata_store.list_versions(self.name)

    def __repr__(self) -> str:
        return f"<pipeline `{self.name}`>"


class Client:
    """Read runs back: ``Client().get_pipeline("first_pipeline").last_run.steps["svc_trainer"]``."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack or stacks.active_stack()
        self.metadata_store = self.stack.metadata_store()
        self._artifact_store = None

    @property
    def artifact_store(self):
        if self._artifact_store is None:
            self._artifact_store = self.stack.artifact_store()
        return self._artifact_store

    def _run_view(self, run_id: str) -> RunView:
        record = self.metadata_store.get_run_by_id(run_id)
        if record is None:
            raise KeyError(f"No run with id `{run_id}`.")
        return RunView(record, self)

    def get_pipeline(self, name: str) -> PipelineView | None:
        record = self.metadata_store.get_pipeline(name)
        return PipelineView(record, self) if record is not None else None

    def list_pipelines(self) -> list[PipelineView]:
        return [PipelineView(r, self) for r in self.metadata_store.list_pipelines()]

    def get_run(self, name_or_id: str) -> RunView:
        record = self.metadata_store.get_run(name_or_id)
        if record is None:
            raise KeyError(f"No run named `{name_or_id}` in the store at {self.stack.metadata_root}.")
        return RunView(record, self)

    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None) -> list[RunView]:
        return [RunView(r, self) for r in self.metadata_store.list_runs(pipeline_name, status, limit)]


def get_pipeline(name: str) -> PipelineView | None:
    """Legacy module-level helper: ``Client().get_pipeline(name)``."""
    return Client().get_pipeline(name)


def get_run(name: str) -> RunView:
    """Legacy module-level helper: ``Client().get_run(name)``."""
    return Client().get_run(name)
