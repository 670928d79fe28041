"""Runs side by side, and a pipeline's runs as trials (a parameter against an output)."""

from __future__ import annotations

import json
from typing import Any

from framework.reports.runs import flat_parameters, run_metrics, scalar_outputs
from framework.views import RunView

SECTIONS = ("run", "step status", "pipeline arguments", "parameters", "outputs", "metrics")
_ABSENT = object()


def comparison_fields(run: RunView) -> dict[tuple[str, str], Any]:
    """What a comparison puts side by side for one run, keyed by (section, field): ``run``
    (pipeline, version, status), ``step status``, ``pipeline arguments``, ``parameters``
    (``step.param``), ``outputs`` (scalar outputs, ``step.output``) and ``metrics`` (the
    numbers logged with ``log_metadata``: on the run ``key``, a step ``step.key``, an
    output ``step.output.key``)."""
    fields: dict[tuple[str, str], Any] = {
        ("run", "pipeline"): run.pipeline_name, ("run", "version"): run.version, ("run", "status"): run.status,
    }
    for key, step in run.steps.items():
        fields[("step status", key)] = step.status
    for name, value in sorted(run.pipeline_parameters.items()):
        fields[("pipeline arguments", name)] = value
    for key, value in flat_parameters(run).items():
        if not key.startswith("pipeline:"):
            fields[("parameters", key)] = value
    outputs = scalar_outputs(run)
    for key, value in outputs.items():
        fields[("outputs", key)] = value
    for key, value in run_metrics(run).items():
        if key not in outputs:  # a scalar output is a metric too, shown once, with the outputs
            fields[("metrics", key)] = value
    return fields


def _canonical(value: Any) -> str:
    if value is _ABSENT:
        return "\0absent"
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def compare_table(names: list[str], runs_fields: list[dict[tuple[str, str], Any]]) -> dict[str, Any]:
    """Align the fields of several runs: one row per (section, field), sections in
    `SECTIONS` order, fields in first-seen order.

    Each row: ``section``, ``field``, ``values`` (one per run, ``None`` where the run lacks
    the field), ``present`` (which runs have it) and ``differs`` (not all the same, a
    missing field counting as different).
    """
    order: dict[tuple[str, str], None] = {}
    for fields in runs_fields:
        for key in fields:
            order.setdefault(key, None)
    keys = sorted(order, key=lambda k: SECTIONS.index(k[0]) if k[0] in SECTIONS else len(SECTIONS))
    rows = []
    for section, field in keys:
        raw = [fields.get((section, field), _ABSENT) for fields in runs_fields]
        rows.append({
            "section": section, "field": field,
            "values": [None if v is _ABSENT else v for v in raw],
            "present": [v is not _ABSENT for v in raw],
            "differs": len({_canonical(v) for v in raw}) > 1,
        })
    return {"runs": names, "rows": rows}


def compare_runs(runs: list[RunView]) -> dict[str, Any]:
    """`compare_table` of these runs."""
    return compare_table([r.name for r in runs], [comparison_fields(r) for r in runs])


def trials(runs: list[RunView], x: str | None = None, y: str | None = None) -> dict[str, Any]:
    """Runs (oldest first: trial 1, 2, …) as points: parameter ``x`` against numeric scalar
    output or metric ``y``. Without a valid ``x``, the first parameter whose value varies; without a
    valid ``y``, the first numeric output."""
    rows = [(run, flat_parameters(run), {**scalar_outputs(run), **run_metrics(run)}) for run in runs]
    param_keys: list[str] = []
    output_keys: list[str] = []
    for _run, params, outs in rows:
        param_keys.extend(k for k in params if k not in param_keys)
        output_keys.extend(k for k, v in outs.items() if k not in output_keys and isinstance(v, (int, float)))

    def varies(key: str) -> bool:
        return len({_canonical(p[key]) for _r, p, _o in rows if key in p}) > 1

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
    return {"parameters": param_keys, "outputs": output_keys, "x": x, "y": y, "points": points,
            "runs": [r.name for r, _p, _o in rows]}
