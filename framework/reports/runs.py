"""Runs as rows, flat parameters, scalar outputs, cached-step origins and run descriptions."""

from __future__ import annotations

from typing import Any

from framework.reports.artifacts import short_summary
from framework.views import RunView, StepView

#: What a scalar output may be: its value is recorded in the artifact's metadata.
SCALARS = (bool, int, float, str, type(None))


def run_row(run: Any) -> dict[str, Any]:
    """The listing fields of one run (a `Run` record or a `RunView`)."""
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "duration": run.duration, "steps": len(_record(run).step_order or []), "api": run.api,
        "unlisted": bool(run.unlisted),
    }


def _record(run: Any) -> Any:
    return run.record if isinstance(run, RunView) else run


def flat_parameters(run: RunView) -> dict[str, Any]:
    """Pipeline arguments then every step's parameters, flat (see the package docstring)."""
    flat: dict[str, Any] = {f"pipeline:{k}": v for k, v in run.pipeline_parameters.items()}
    for key, step in run.steps.items():
        for name, value in step.parameters.items():
            flat[f"{key}.{name}"] = value
    return flat


def scalar_value(artifact: Any) -> tuple[bool, Any]:
    """``(True, value)`` if the artifact's record holds a scalar value (a number, a bool, a
    short string, None: what a step returns as a metric), else ``(False, None)``. Nothing is
    loaded: the materializer records such values when it writes them."""
    metadata = artifact.metadata
    if "value" in metadata and "shape" not in metadata and isinstance(metadata["value"], SCALARS):
        return True, metadata["value"]
    return False, None


def scalar_outputs(run: RunView) -> dict[str, Any]:
    """Outputs whose record carries a scalar value (metrics, scores, counts), flat keys."""
    found: dict[str, Any] = {}
    for key, step in run.steps.items():
        for name, artifact_id in step.record.outputs.items():
            artifact = run.detail.artifacts.get(artifact_id)
            if artifact is None:
                continue
            ok, value = scalar_value(artifact)
            if ok:
                found[f"{key}.{name}"] = value
    return found


def step_counts(run: RunView) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in run.steps.values():
        counts[step.status] = counts.get(step.status, 0) + 1
    return counts


class Origins:
    """Where a cached step's outputs came from: ``{run, run_id, step, step_run_id}`` (run and
    step names None when the original run is gone). Reads each original run once."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._runs: dict[str, RunView | None] = {}

    def __call__(self, step: StepView) -> dict[str, Any] | None:
        run_id = step.original_run_id
        if not (run_id or step.original_step_run_id):
            return None
        if run_id not in self._runs:
            detail = self._reader.metadata_store.get_run_by_id(run_id) if run_id else None
            self._runs[run_id] = RunView(detail, self._reader) if detail is not None else None
        origin = self._runs[run_id]
        step_key = None
        if origin is not None:
            record = next((s for s in origin.detail.steps if s.id == step.original_step_run_id), None)
            step_key = origin.detail.step_key(record) if record is not None else None
        return {"run": origin.name if origin else None, "run_id": run_id, "step": step_key,
                "step_run_id": step.original_step_run_id}


def describe_run(run: RunView, origins: Origins) -> dict[str, Any]:
    """A run as plain data: its fields, and per step status, timing, parameters, cache
    origin and outputs (type, size, location, one-line summary)."""
    steps = []
    for key, step in run.steps.items():
        outputs = []
        for name, artifact in step.outputs.items():
            outputs.append({"name": name, "type": artifact.data_type, "size": artifact.size,
                            "path": artifact.path, "uri": artifact.uri, "id": artifact.id,
                            "summary": short_summary(artifact.record), "metadata": artifact.metadata})
        steps.append({
            "name": key, "step_name": step.name, "invocation_id": step.invocation_id, "slot": step.slot,
            "status": step.status, "start_time": step.start_time, "end_time": step.end_time,
            "duration": step.duration, "parameters": step.parameters, "cached_from": origins(step),
            "error": step.error, "outputs": outputs, "metadata": step.run_metadata,
        })
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "duration": run.duration, "stack": run.stack, "pipeline_parameters": run.pipeline_parameters,
        "error": run.error, "api": run.api, "steps": steps,
    }
