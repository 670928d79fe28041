"""The compare page's data: runs side by side, and a pipeline's recent runs as trials.

Side by side uses the CLI's comparison (``framework.reports.compare``) of the few runs
chosen. The charts — a chosen parameter against a metric, every metric over the runs,
and parameters against metrics in parallel coordinates — read the newest ``window`` runs'
summaries (``framework.reports.run_values``): one small record per run, so the page costs
the same with 10,000 runs stored as with 100.
"""

from __future__ import annotations

import math
from typing import Any

from framework.client import Client
from framework.dashboard.paging import PAGE_SIZE, Page, clipped
from framework.reports import compare as compare_reports
from framework.reports.run_values import runs_table

DEFAULT_RUNS = 5  # runs compared when fewer than two are chosen
WINDOW = 100  # newest runs a chart covers (?window= up to MAX_WINDOW)
MAX_WINDOW = 1000
READ_STEPS = 50  # runs without a summary whose steps a chart may read
PARALLEL_PARAMS, PARALLEL_METRICS = 8, 6
_SECTIONS = {"parameters": ("pipeline arguments", "parameters"), "outputs": ("outputs",), "steps": ("step status",)}


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def compare(client: Client, run_names: list[str]) -> dict[str, Any] | None:
    """Parameters, scalar outputs and step statuses of ``run_names`` side by side (values
    clipped); ``None`` if a run is unknown."""
    runs = []
    for name in run_names:
        try:
            runs.append(client.get_run(name))
        except KeyError:
            return None
    table = compare_reports.compare_runs(runs)
    grouped: dict[str, list[dict[str, Any]]] = {group: [] for group in _SECTIONS}
    for row in table["rows"]:
        for group, sections in _SECTIONS.items():
            if row["section"] in sections:
                key = f"pipeline:{row['field']}" if row["section"] == "pipeline arguments" else row["field"]
                values = [None if v is None else clipped(key, v) for v in row["values"]]
                grouped[group].append({"key": key, "values": values, "differs": row["differs"]})
    steps = grouped["steps"]  # a 200-step pipeline: only the steps whose status differs are worth a row
    grouped["steps"] = [row for row in steps if row["differs"]]
    return {
        "runs": [{"name": r.name, "status": r.status, "version": r.version, "pipeline": r.pipeline_name,
                  "duration": r.duration, "start_time": r.start_time} for r in runs],
        "same_steps": len(steps) - len(grouped["steps"]), **grouped,
    }


def choices(client: Client, pipeline: str, selected: list[str], query: str | None, page: int) -> dict[str, Any]:
    """A page of the pipeline's runs to tick (name search), selected ones first."""
    where = Page(page, PAGE_SIZE, query=query)
    runs = client.list_runs(pipeline, None, PAGE_SIZE + 1, offset=where.offset, name_contains=query)
    where = Page(page, PAGE_SIZE, None if query else client.get_pipeline(pipeline).run_count,
                 len(runs) > PAGE_SIZE, query)
    listed = [{"name": r.name, "status": r.status, "checked": r.name in selected} for r in runs[:PAGE_SIZE]]
    shown = {c["name"] for c in listed}
    kept = [{"name": n, "status": None, "checked": True} for n in selected if n not in shown]
    return {"items": kept + listed, "listed": len(listed), "page": where.to_dict()}


def trials(client: Client, pipeline: str, x: str | None = None, y: str | None = None,
           window: int = WINDOW) -> dict[str, Any] | None:
    """The newest ``window`` runs of ``pipeline`` (oldest first) as trials: parameter ``x``
    against metric ``y`` (defaults: the first parameter that varies, the first metric),
    every metric over the runs, and the rows of a parallel-coordinates plot."""
    found = client.get_pipeline(pipeline)
    if found is None:
        return None
    window = max(2, min(int(window or WINDOW), MAX_WINDOW))
    runs = list(reversed(client.list_runs(pipeline, limit=window)))
    table = runs_table(list(reversed(runs)), read_steps=READ_STEPS)  # the newest read their steps first
    rows = list(reversed(table["rows"]))
    params, metrics = table["params"], table["metrics"]
    if x not in params:
        x = next((k for k in table["varying"]), params[0] if params else None)
    if y not in metrics:
        y = metrics[0] if metrics else None
    points = []
    for row in rows:
        if x in row["params"] and _numeric(row["metrics"].get(y)):
            points.append({"run": row["run"], "status": row["status"], "x": row["params"][x],
                           "y": float(row["metrics"][y])})
    return {
        "pipeline": pipeline, "parameters": params, "outputs": metrics, "x": x, "y": y, "points": points,
        "runs": [r["run"] for r in rows], "window": window, "total": found.run_count,
        "over_runs": _over_runs(rows, metrics), "parallel": _parallel(rows, table["varying"] or params, metrics),
    }


def _over_runs(rows: list[dict[str, Any]], metrics: list[str]) -> dict[str, Any]:
    """Each numeric metric's value per run, runs oldest first (gaps as None)."""
    series = []
    for key in metrics:
        values = [row["metrics"].get(key) for row in rows]
        if any(_numeric(v) for v in values):
            series.append({"name": key, "values": [float(v) if _numeric(v) else None for v in values]})
    return {"runs": [row["run"] for row in rows], "series": series}


def _parallel(rows: list[dict[str, Any]], params: list[str], metrics: list[str]) -> dict[str, Any]:
    """Axes (parameters, then metrics; numeric or categorical) and one line per run."""
    axes = []
    for source, keys in (("params", params[:PARALLEL_PARAMS]), ("metrics", metrics[:PARALLEL_METRICS])):
        for key in keys:
            values = [row[source].get(key) for row in rows]
            present = [v for v in values if v is not None]
            if not present:
                continue
            numeric = all(_numeric(v) for v in present)
            axis = {"name": key, "kind": source, "type": "value" if numeric else "category"}
            if numeric and min(present) > 0 and max(present) / min(present) >= 100:
                axis["log"] = True  # learning rates, regularisation: decades apart
            if not numeric:
                axis["categories"] = list(dict.fromkeys(clipped(key, v, 40)["text"] for v in present))[:50]
            axes.append(axis)
    lines = []
    for row in rows:
        line = []
        for axis in axes:
            value = row[axis["kind"]].get(axis["name"])
            if value is None:
                line.append(None)
            elif axis["type"] == "value":
                line.append(float(value))
            else:
                text = clipped(axis["name"], value, 40)["text"]
                line.append(text if text in axis["categories"] else None)
        lines.append({"run": row["run"], "status": row["status"], "values": line})
    return {"axes": axes, "lines": lines}
