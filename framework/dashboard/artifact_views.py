"""One step's panel and one output's page, as plain dicts (see ``views``).

An artifact's value is loaded only when its file is small enough and its materializer
neither unpickles nor imports user code (JSON builtins, numpy, pandas, scikit-learn): the
step panel previews values up to ``PREVIEW_MAX_BYTES``, an output's own page inspects
values up to ``VIEW_MAX_BYTES`` (``framework.reports.artifact_values``: tables,
statistics, histograms, images, model parameters). Everything else is described from its
record alone, and can still be downloaded (the verified bytes).
"""

from __future__ import annotations

import math
from typing import Any

from framework.client import Client
from framework.dashboard import png
from framework.dashboard.paging import clipped
from framework.dashboard.views import cached_from, human_size
from framework.reports.artifact_values import inspect_value
from framework.reports.artifacts import artifact_kind, short_summary
from framework.reports.runs import Origins
from framework.views import ArtifactView, StepView

PREVIEW_MAX_BYTES = 1_000_000  # artifacts larger than this are described in the panel, never loaded
VIEW_MAX_BYTES = 64_000_000  # an output's own page loads up to this
DOWNLOAD_MAX_BYTES = 256_000_000
ARRAY_VALUES_MAX_BYTES = 64_000
LOG_TAIL_CHARS = 20_000
# materializers whose load neither unpickles nor imports user code: safe to preview
_LOADABLE = {
    "framework.artifacts.materializers.builtin_types.BuiltinsMaterializer": "value",
    "framework.artifacts.materializers.numpy_arrays.NumpyMaterializer": "array",
    "framework.artifacts.materializers.pandas_frames.PandasMaterializer": "frame",
    "framework.artifacts.materializers.sklearn_estimators.SklearnMaterializer": "model",
}
_EXTENSIONS = {"value": ".json", "array": ".npy", "frame": ".parquet", "model": ".skops"}


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _preview(artifact: ArtifactView, kind: str | None) -> dict[str, Any]:
    """Load ``artifact`` if small and safe, and describe it in a few lines (the panel)."""
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
        return {"columns": [str(c)[:80] for c in head.columns][:20],
                "index": [str(i)[:80] for i in head.index],
                "rows": [[_cell(v) for v in row[:20]] for row in head.itertuples(index=False)]}
    if kind == "array":
        import numpy as np

        return {"text": np.array2string(value, threshold=40, edgeitems=4, max_line_width=100)}
    text = repr(value)
    return {"text": text if len(text) <= 2000 else text[:2000] + " …"}


def artifact_summary(artifact: ArtifactView, name: str, preview: bool = True) -> dict[str, Any]:
    materializer = artifact.materializer or ""
    kind = _LOADABLE.get(materializer)
    return {
        "name": name, "id": artifact.id, "data_type": artifact.data_type,
        "materializer": materializer.rsplit(".", 1)[-1], "size": artifact.size,
        "size_human": human_size(artifact.size), "content_hash": artifact.content_hash,
        "metadata": artifact.metadata, "summary": short_summary(artifact.record) or None,
        "kind": artifact_kind(artifact.record), "loadable": kind is not None,
        "downloadable": isinstance(artifact.size, int) and artifact.size <= DOWNLOAD_MAX_BYTES,
        "file_name": f"{name}{_EXTENSIONS.get(kind or '', '.bin')}",
        "preview": _preview(artifact, kind) if preview else {},
    }


def _logs(step: StepView) -> dict[str, Any] | None:
    """The tail of the step's captured output and what was kept of it, when recorded."""
    info = getattr(step, "log_info", None)
    if info is None and not getattr(step.record, "logs", None):
        return None
    try:
        text = step.logs or ""
    except Exception as exc:  # noqa: BLE001 - a missing log file must not break the page
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "info": info}
    cut = len(text) > LOG_TAIL_CHARS
    return {"text": text[-LOG_TAIL_CHARS:] if cut else text, "cut": cut, "chars": len(text), "info": info}


def step_detail(client: Client, run_name: str, step_key: str, run: Any = None) -> dict[str, Any] | None:
    """One step's panel; ``run``: the run's view when the caller has read it already."""
    try:
        run = run if run is not None else client.get_run(run_name)
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
        inputs.append({"name": name, "artifact_id": artifact_id, "from_step": from_step, "from_output": from_output})
    outputs = []
    output_metadata = getattr(step.record, "output_metadata", None) or {}
    for name, artifact_id in step.record.outputs.items():
        try:
            summary = artifact_summary(step.outputs[name], name)
        except KeyError:
            summary = {"name": name, "id": artifact_id, "missing": True}
        summary["added_metadata"] = [clipped(k, v, ref=f"{key}:output:{name}:{k}")
                                     for k, v in (output_metadata.get(name) or {}).items()]
        outputs.append(summary)
    return {
        "run": run.name, "key": key, "name": step.name, "invocation_id": step.invocation_id,
        "status": step.status, "start_time": step.start_time, "end_time": step.end_time,
        "duration": step.duration,
        "parameters": [clipped(k, v, ref=f"{key}:param:{k}") for k, v in step.parameters.items()],
        "cache_key": step.cache_key, "step_class": step.record.step_class, "error": step.error,
        "cached_from": cached_from(Origins(client), step), "inputs": inputs, "outputs": outputs,
        "metadata": [clipped(k, v, ref=f"{key}:metadata:{k}")
                     for k, v in (getattr(step.record, "metadata", None) or {}).items()],
        "logs": _logs(step),
    }


def _output(client: Client, run_name: str, step_key: str, output: str) -> tuple[Any, Any, ArtifactView] | None:
    try:
        run = client.get_run(run_name)
        step = run.steps[step_key]
        return run, step, step.outputs[output]
    except KeyError:
        return None


def artifact_detail(client: Client, run_name: str, step_key: str, output: str) -> dict[str, Any] | None:
    """One output's page: its record, and (small and safe to load) its value inspected."""
    found = _output(client, run_name, step_key, output)
    if found is None:
        return None
    run, step, artifact = found
    detail = artifact_summary(artifact, output, preview=False)
    detail.update(run=run.name, pipeline=run.pipeline_name, step=step.key, step_status=step.status,
                  produced_by=artifact.record.run_name)
    kind = _LOADABLE.get(artifact.materializer or "")
    size = artifact.size if isinstance(artifact.size, int) else VIEW_MAX_BYTES + 1
    if kind is None:
        detail["view"] = {"kind": "none", "reason": "its materializer may run code when loading; download it instead"}
    elif size > VIEW_MAX_BYTES:
        detail["view"] = {"kind": "none", "reason": f"it is larger than {human_size(VIEW_MAX_BYTES)}"}
    else:
        try:
            value = artifact.load()
            detail["view"] = inspect_value(value)
            if detail["view"].get("image"):
                detail["images"] = png.data_uris(value, detail["view"]["image"])
        except Exception as exc:  # a broken artifact must not break the page
            detail["view"] = {"kind": "error", "error": f"{type(exc).__name__}: {exc}"[:500]}
    return detail


def artifact_bytes(client: Client, run_name: str, step_key: str, output: str) -> tuple[bytes, str] | None:
    """The verified file of one output and the name to save it under; None if unknown or
    too large to serve."""
    found = _output(client, run_name, step_key, output)
    if found is None:
        return None
    summary = artifact_summary(found[2], output, preview=False)
    if not summary["downloadable"]:
        return None
    return found[2].read_bytes(), summary["file_name"]
