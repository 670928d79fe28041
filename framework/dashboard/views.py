"""What the dashboard shows, as plain JSON-ready dicts read through the ``Client``.

No web framework here: the HTML pages, the ``/api`` endpoints and the static export all
render these same dicts. The facts (flat parameters, scalar outputs, where cached steps
came from, comparisons, trials) come from ``framework.reports``, the one read model the
CLI uses too; this module only shapes them for pages. Nothing here writes to the store.
"""

from __future__ import annotations

import math
from typing import Any

from framework.client import Client
from framework.reports import compare as compare_reports
from framework.reports.artifacts import short_summary
from framework.reports.pipelines import pipeline_row, version_row
from framework.reports.runs import Origins, flat_parameters, scalar_outputs, step_counts
from framework.views import ArtifactView, RunView, StepView

PREVIEW_MAX_BYTES = 1_000_000  # artifacts larger than this are described, never loaded
ARRAY_VALUES_MAX_BYTES = 64_000
COMPARE_DEFAULT_RUNS = 5
# materializers whose load neither unpickles nor imports user code: safe to preview
_LOADABLE = {
    "framework.artifacts.materializers.builtin_types.BuiltinsMaterializer": "value",
    "framework.artifacts.materializers.numpy_arrays.NumpyMaterializer": "array",
    "framework.artifacts.materializers.pandas_frames.PandasMaterializer": "frame",
    "framework.artifacts.materializers.sklearn_estimators.SklearnMaterializer": "model",
}


def human_size(size: Any) -> str:
    if not isinstance(size, int):
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


# ---------------------------------------------------------------- runs and pipelines
def run_summary(run: RunView) -> dict[str, Any]:
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "duration": run.duration, "error": run.error, "api": run.api,
        "pipeline_parameters": run.pipeline_parameters, "parameters": flat_parameters(run),
        "step_counts": step_counts(run),
    }


def pipelines_summary(client: Client) -> list[dict[str, Any]]:
    """Each pipeline with its latest version, number of versions, run count and last run."""
    out = []
    for pipeline in client.list_pipelines():
        row = pipeline_row(pipeline.record, client.last_run_record(pipeline))
        out.append({
            "name": row["name"], "latest_version": row["latest_version"], "versions": row["latest_version"],
            "run_count": row["runs"],
            "last_run": None if row["last_run"] is None else {
                "name": row["last_run"], "status": row["last_run_status"], "start_time": row["last_run_start"],
                "duration": row["last_run_duration"],
            },
        })
    return out


def pipeline_detail(client: Client, name: str) -> dict[str, Any] | None:
    pipeline = client.get_pipeline(name)
    if pipeline is None:
        return None
    versions = [{"number": v["number"], "created": v["created"], "api": v["api"], "steps": v["steps"]}
                for v in map(version_row, client.list_versions(name))]
    return {"name": pipeline.name, "versions": versions,
            "runs": [run_summary(run) for run in pipeline.runs]}


# ---------------------------------------------------------------- one run
def _spec_of(client: Client, run: RunView) -> dict[str, Any]:
    for version in client.list_versions(run.pipeline_name):
        if version.number == run.version:
            return version.spec or {}
    return {}


def run_graph(client: Client, run: RunView, origins: Origins | None = None) -> dict[str, Any]:
    """Nodes (every invocation of the run's pipeline version, ``pending`` until it starts) and edges."""
    origins = origins or Origins(client)
    steps_by_inv: dict[str, tuple[str, StepView]] = {}
    for key, step in run.steps.items():
        steps_by_inv[step.invocation_id] = (key, step)
    invocations = _spec_of(client, run).get("invocations") or []
    order = list(run.record.step_order or [inv.get("id") for inv in invocations])
    for inv_id in steps_by_inv:
        if inv_id not in order:
            order.append(inv_id)
    by_id = {inv.get("id"): inv for inv in invocations}
    nodes, edges = [], []
    for inv_id in order:
        inv = by_id.get(inv_id, {})
        key, step = steps_by_inv.get(inv_id, (None, None))
        nodes.append({
            "id": inv_id, "step": key, "label": step.name if step else inv.get("step_name", inv_id),
            "status": step.status if step else ("pending" if run.status == "running" else "not-run"),
            "cached_from": _cached_from(origins, step),
        })
        for binding in (inv.get("inputs") or {}).values():
            if isinstance(binding, (list, tuple)) and binding:
                edges.append([binding[0], inv_id])
        for upstream in inv.get("after") or []:
            edges.append([upstream, inv_id])
    return {"nodes": nodes, "edges": edges}


def _cached_from(origins: Origins, step: StepView | None) -> dict[str, Any] | None:
    """A cached step's origin (``run_id``, ``run``, ``step``); None for any other step."""
    if step is None or not step.is_cached:
        return None
    origin = origins(step)
    return None if origin is None else {"run_id": origin["run_id"], "run": origin["run"], "step": origin["step"]}


def signature(run: RunView) -> str:
    """Changes whenever the run or any of its steps changes status (the page polls it)."""
    return run.status + "|" + ",".join(f"{k}={s.status}" for k, s in run.steps.items())


def run_detail(client: Client, name: str) -> dict[str, Any] | None:
    try:
        run = client.get_run(name)
    except KeyError:
        return None
    origins = Origins(client)
    steps = []
    for key, step in run.steps.items():
        steps.append({
            "key": key, "name": step.name, "invocation_id": step.invocation_id, "status": step.status,
            "duration": step.duration, "start_time": step.start_time, "parameters": step.parameters,
            "outputs": list(step.record.outputs), "error": step.error,
            "cached_from": _cached_from(origins, step),
        })
    detail = run_summary(run)
    detail.update({
        "steps": steps, "graph": run_graph(client, run, origins), "signature": signature(run),
        "scalar_outputs": scalar_outputs(run), "stack": run.stack,
    })
    return detail


def _preview(artifact: ArtifactView, kind: str | None) -> dict[str, Any]:
    """Load ``artifact`` if small and safe, and describe it in a few lines."""
    meta = artifact.metadata
    size = artifact.size if isinstance(artifact.size, int) else PREVIEW_MAX_BYTES + 1
    if kind is None or size > PREVIEW_MAX_BYTES:
        return {}
    if kind == "array" and ("value" in meta or size > ARRAY_VALUES_MAX_BYTES):
        return {}
    if kind == "value" and "value" in meta:
        return {}
    try:
        value = artifact.load()
    except Exception as exc:  # a broken artifact must not break the page
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}
    if kind == "frame":
        import pandas as pd

        frame = value.to_frame() if isinstance(value, pd.Series) else value
        head = frame.head(5)
        return {"columns": [str(c) for c in head.columns][:20],
                "index": [str(i) for i in head.index],
                "rows": [[_cell(v) for v in row[:20]] for row in head.itertuples(index=False)]}
    if kind == "array":
        import numpy as np

        return {"text": np.array2string(value, threshold=40, edgeitems=4, max_line_width=100)}
    text = repr(value)
    return {"text": text if len(text) <= 2000 else text[:2000] + " …"}


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if _scalar(value):
        return value
    text = str(value)
    return text if len(text) <= 80 else text[:80] + "…"


def artifact_detail(artifact: ArtifactView, name: str) -> dict[str, Any]:
    materializer = artifact.materializer or ""
    return {
        "name": name, "id": artifact.id, "data_type": artifact.data_type,
        "materializer": materializer.rsplit(".", 1)[-1], "size": artifact.size,
        "size_human": human_size(artifact.size), "content_hash": artifact.content_hash,
        "metadata": artifact.metadata, "summary": short_summary(artifact.record) or None,
        "preview": _preview(artifact, _LOADABLE.get(materializer)),
    }


def step_detail(client: Client, run_name: str, step_key: str) -> dict[str, Any] | None:
    try:
        run = client.get_run(run_name)
        step = run.steps[step_key]
    except KeyError:
        return None
    key = step.key
    producers: dict[str, tuple[str, str]] = {}
    for other_key, other in run.steps.items():
        for out_name, artifact_id in other.record.outputs.items():
            producers.setdefault(artifact_id, (other_key, out_name))
    inputs = []
    for name, artifact_id in step.record.inputs.items():
        from_step, from_output = producers.get(artifact_id, (None, None))
        inputs.append({"name": name, "artifact_id": artifact_id, "from_step": from_step,
                       "from_output": from_output})
    outputs = []
    for name, artifact_id in step.record.outputs.items():
        try:
            outputs.append(artifact_detail(step.outputs[name], name))
        except KeyError:
            outputs.append({"name": name, "id": artifact_id, "missing": True})
    return {
        "run": run.name, "key": key, "name": step.name, "invocation_id": step.invocation_id,
        "status": step.status, "start_time": step.start_time, "end_time": step.end_time,
        "duration": step.duration, "parameters": step.parameters, "cache_key": step.cache_key,
        "step_class": step.record.step_class, "error": step.error,
        "cached_from": _cached_from(Origins(client), step), "inputs": inputs, "outputs": outputs,
    }


# ---------------------------------------------------------------- runs as trials
_DASHBOARD_SECTIONS = {"parameters": ("pipeline arguments", "parameters"), "outputs": ("outputs",),
                       "steps": ("step status",)}


def compare(client: Client, run_names: list[str]) -> dict[str, Any] | None:
    """Parameters, scalar outputs and step statuses of ``run_names`` side by side (the CLI's
    comparison, grouped for the page); ``None`` if a run is unknown."""
    runs = []
    for name in run_names:
        try:
            runs.append(client.get_run(name))
        except KeyError:
            return None
    table = compare_reports.compare_runs(runs)
    grouped: dict[str, list[dict[str, Any]]] = {group: [] for group in _DASHBOARD_SECTIONS}
    for row in table["rows"]:
        for group, sections in _DASHBOARD_SECTIONS.items():
            if row["section"] in sections:
                key = f"pipeline:{row['field']}" if row["section"] == "pipeline arguments" else row["field"]
                grouped[group].append({"key": key, "values": row["values"], "differs": row["differs"]})
    return {
        "runs": [{"name": r.name, "status": r.status, "version": r.version, "pipeline": r.pipeline_name,
                  "duration": r.duration, "start_time": r.start_time} for r in runs],
        **grouped,
    }


def trials(client: Client, pipeline: str, x: str | None = None, y: str | None = None) -> dict[str, Any] | None:
    """Every run of ``pipeline`` as a trial: the value of parameter ``x`` against output ``y``."""
    found = client.get_pipeline(pipeline)
    if found is None:
        return None
    return {"pipeline": pipeline, **compare_reports.trials(list(reversed(found.runs)), x, y)}
