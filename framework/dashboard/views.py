"""What the dashboard shows, as plain JSON-ready dicts read through the ``Client``.

No web framework here: the HTML pages, the ``/api`` endpoints and the static export all
render these same dicts. Nothing here writes to the store.

Flat keys used across pages: a step parameter is ``"<step>.<name>"``, a pipeline
argument ``"pipeline:<name>"``, a scalar output ``"<step>.<output>"``.
"""

from __future__ import annotations

import math
from typing import Any

from framework.client import ArtifactView, Client, RunView, StepView

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
def flat_parameters(run: RunView) -> dict[str, Any]:
    """Pipeline arguments then every step's parameters, flat (see the module docstring)."""
    flat: dict[str, Any] = {f"pipeline:{k}": v for k, v in run.pipeline_parameters.items()}
    for key, step in run.steps.items():
        for name, value in step.parameters.items():
            flat[f"{key}.{name}"] = value
    return flat


def scalar_outputs(run: RunView) -> dict[str, Any]:
    """Outputs whose recorded summary carries a scalar value (metrics, scores, counts)."""
    found: dict[str, Any] = {}
    for key, step in run.steps.items():
        for name, artifact_id in (step.to_dict().get("outputs") or {}).items():
            record = run._record.get("artifacts", {}).get(artifact_id) or {}
            meta = record.get("metadata") or {}
            if "value" in meta and _scalar(meta["value"]) and "shape" not in meta:
                found[f"{key}.{name}"] = meta["value"]
    return found


def run_summary(run: RunView) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for step in run.steps.values():
        counts[step.status] = counts.get(step.status, 0) + 1
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "duration": run.duration, "error": run.error, "api": run._record.get("api"),
        "pipeline_parameters": run.pipeline_parameters, "parameters": flat_parameters(run),
        "step_counts": counts,
    }


def pipelines_summary(client: Client) -> list[dict[str, Any]]:
    out = []
    for pipeline in client.list_pipelines():
        runs = [r for r in client.metadata_store.list_runs(pipeline_name=pipeline.name) if not r.get("unlisted")]
        last = runs[0] if runs else None
        out.append({
            "name": pipeline.name,
            "latest_version": pipeline._record.get("latest_version"),
            "versions": len(pipeline.versions),
            "run_count": len(runs),
            "last_run": None if last is None else {
                "name": last["name"], "status": last["status"], "start_time": last.get("start_time"),
                "duration": last.get("duration"),
            },
        })
    return out


def pipeline_detail(client: Client, name: str) -> dict[str, Any] | None:
    pipeline = client.get_pipeline(name)
    if pipeline is None:
        return None
    versions = []
    for version in pipeline.versions:
        spec = version.get("spec") or {}
        versions.append({
            "number": version["number"], "created": version.get("created"),
            "api": spec.get("api"),
            "steps": [inv.get("step_name") or inv.get("id") for inv in spec.get("invocations", [])],
        })
    return {"name": pipeline.name, "versions": versions,
            "runs": [run_summary(run) for run in pipeline.runs]}


# ---------------------------------------------------------------- one run
def _step_key_by_id(run: RunView) -> dict[str, str]:
    return {step.id: key for key, step in run.steps.items()}


class _Origins:
    """Resolve a cached step's original run id to ``(run name, step key)``, reading each run once."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._runs: dict[str, RunView | None] = {}

    def __call__(self, step: StepView) -> dict[str, Any] | None:
        run_id = step.original_run_id
        if not step.is_cached or not run_id:
            return None
        if run_id not in self._runs:
            record = self.client.metadata_store.get_run_by_id(run_id)
            self._runs[run_id] = RunView(record, self.client) if record is not None else None
        origin = self._runs[run_id]
        if origin is None:
            return {"run_id": run_id, "run": None, "step": None}
        return {"run_id": run_id, "run": origin.name,
                "step": _step_key_by_id(origin).get(step.original_step_run_id)}


def _spec_of(client: Client, run: RunView) -> dict[str, Any]:
    for version in client.metadata_store.list_versions(run.pipeline_name):
        if version.get("number") == run.version:
            return version.get("spec") or {}
    return {}


def run_graph(client: Client, run: RunView, origins: _Origins | None = None) -> dict[str, Any]:
    """Nodes (every invocation of the run's pipeline version, ``pending`` until it starts) and edges."""
    origins = origins or _Origins(client)
    steps_by_inv: dict[str, tuple[str, StepView]] = {}
    for key, step in run.steps.items():
        steps_by_inv[step.invocation_id] = (key, step)
    invocations = _spec_of(client, run).get("invocations") or []
    order = list(run._record.get("step_order") or [inv.get("id") for inv in invocations])
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
            "cached_from": origins(step) if step else None,
        })
        for binding in (inv.get("inputs") or {}).values():
            if isinstance(binding, (list, tuple)) and binding:
                edges.append([binding[0], inv_id])
        for upstream in inv.get("after") or []:
            edges.append([upstream, inv_id])
    return {"nodes": nodes, "edges": edges}


def signature(run: RunView) -> str:
    """Changes whenever the run or any of its steps changes status (the page polls it)."""
    return run.status + "|" + ",".join(f"{k}={s.status}" for k, s in run.steps.items())


def run_detail(client: Client, name: str) -> dict[str, Any] | None:
    try:
        run = client.get_run(name)
    except KeyError:
        return None
    origins = _Origins(client)
    steps = []
    for key, step in run.steps.items():
        steps.append({
            "key": key, "name": step.name, "invocation_id": step.invocation_id, "status": step.status,
            "duration": step.duration, "start_time": step.start_time, "parameters": step.parameters,
            "outputs": list((step.to_dict().get("outputs") or {})), "error": step.error,
            "cached_from": origins(step),
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
    kind = _LOADABLE.get(materializer)
    meta = artifact.metadata
    summary = None
    if "shape" in meta:
        summary = f"shape ({', '.join(str(d) for d in meta['shape'])}) · dtype {meta.get('dtype')}"
    elif "rows" in meta:
        summary = f"{meta['rows']} rows" + (f" × {meta['n_columns']} columns" if "n_columns" in meta else "")
    elif "value" in meta:
        summary = f"value {meta['value']!r}"
    elif "estimator" in meta:
        summary = f"estimator {meta['estimator']}"
    elif "model" in meta:
        summary = f"model {meta['model']}"
    elif "len" in meta:
        summary = f"length {meta['len']}"
    return {
        "name": name, "id": artifact.id, "data_type": artifact.data_type,
        "materializer": materializer.rsplit(".", 1)[-1], "size": artifact.size,
        "size_human": human_size(artifact.size), "content_hash": artifact.content_hash,
        "metadata": meta, "summary": summary, "preview": _preview(artifact, kind),
    }


def step_detail(client: Client, run_name: str, step_key: str) -> dict[str, Any] | None:
    try:
        run = client.get_run(run_name)
        step = run.steps[step_key]
    except KeyError:
        return None
    key = next(k for k, s in run.steps.items() if s.id == step.id)
    producers: dict[str, tuple[str, str]] = {}
    for other_key, other in run.steps.items():
        for out_name, artifact_id in (other.to_dict().get("outputs") or {}).items():
            producers.setdefault(artifact_id, (other_key, out_name))
    inputs = []
    for name, artifact_id in (step.to_dict().get("inputs") or {}).items():
        from_step, from_output = producers.get(artifact_id, (None, None))
        inputs.append({"name": name, "artifact_id": artifact_id, "from_step": from_step,
                       "from_output": from_output})
    outputs = []
    for name, artifact_id in (step.to_dict().get("outputs") or {}).items():
        try:
            outputs.append(artifact_detail(step.outputs[name], name))
        except KeyError:
            outputs.append({"name": name, "id": artifact_id, "missing": True})
    return {
        "run": run.name, "key": key, "name": step.name, "invocation_id": step.invocation_id,
        "status": step.status, "start_time": step.start_time, "end_time": step.end_time,
        "duration": step.duration, "parameters": step.parameters, "cache_key": step.cache_key,
        "step_class": step.to_dict().get("step_class"), "error": step.error,
        "cached_from": _Origins(client)(step), "inputs": inputs, "outputs": outputs,
    }


# ---------------------------------------------------------------- runs as trials
def _differs(values: list[Any]) -> bool:
    present = [repr(v) for v in values]
    return len(set(present)) > 1


_MISSING = None


def compare(client: Client, run_names: list[str]) -> dict[str, Any] | None:
    """Parameters and scalar outputs of ``run_names`` side by side; ``None`` if one is unknown."""
    runs = []
    for name in run_names:
        try:
            runs.append(client.get_run(name))
        except KeyError:
            return None
    params = [flat_parameters(r) for r in runs]
    outputs = [scalar_outputs(r) for r in runs]
    statuses = [{key: step.status for key, step in r.steps.items()} for r in runs]

    def rows(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys: list[str] = []
        for table in tables:
            keys.extend(k for k in table if k not in keys)
        return [{"key": k, "values": [t.get(k, _MISSING) for t in tables],
                 "differs": _differs([t.get(k, _MISSING) for t in tables])} for k in keys]

    return {
        "runs": [{"name": r.name, "status": r.status, "version": r.version, "pipeline": r.pipeline_name,
                  "duration": r.duration, "start_time": r.start_time} for r in runs],
        "parameters": rows(params), "outputs": rows(outputs), "steps": rows(statuses),
    }


def trials(client: Client, pipeline: str, x: str | None = None, y: str | None = None) -> dict[str, Any] | None:
    """Every run of ``pipeline`` as a trial: the value of parameter ``x`` against output ``y``."""
    found = client.get_pipeline(pipeline)
    if found is None:
        return None
    rows = []
    for run in reversed(found.runs):  # oldest first: trial 1, 2, ...
        rows.append((run, flat_parameters(run), scalar_outputs(run)))
    param_keys: list[str] = []
    output_keys: list[str] = []
    for _run, params, outs in rows:
        param_keys.extend(k for k in params if k not in param_keys)
        output_keys.extend(k for k, v in outs.items()
                           if k not in output_keys and isinstance(v, (int, float)))

    def varies(key: str) -> bool:
        return _differs([p.get(key) for _r, p, _o in rows if key in p])

    if x not in param_keys:
        x = next((k for k in param_keys if varies(k)), param_keys[0] if param_keys else None)
    if y not in output_keys:
        y = output_keys[0] if output_keys else None
    points = []
    for run, params, outs in rows:
        if x in params and y in outs and isinstance(outs[y], (int, float)):
            value = outs[y]
            points.append({"run": run.name, "status": run.status, "x": params[x],
                           "y": float(value) if not isinstance(value, bool) else int(value)})
    return {"pipeline": pipeline, "parameters": param_keys, "outputs": output_keys,
            "x": x, "y": y, "points": points, "runs": [r.name for r, _p, _o in rows]}
