"""What the dashboard shows, as plain JSON-ready dicts read through the ``Client``.

No web framework here: the HTML pages, the ``/api`` endpoints and the static export all
render these same dicts. The facts come from ``framework.reports`` (the read model the CLI
uses too); this module shapes them for pages and reads only what a page shows: a page
of pipelines reads one run record per pipeline shown, a page of runs one run record per
run shown (parameters and metrics from ``Run.summary``), never a run's steps; a page of
the runs with a tag reads the store's listing rows up to the end of the page. Tags and
notes are the user's words: shown as given (escaped by the templates), notes cut at
`NOTES_CHARS` with a link to all of them. Artifacts and comparisons live in
``artifact_views`` and ``compare_views``. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from framework.client import Client
from framework.dashboard.paging import NOTES_CHARS, PAGE_SIZE, VALUE_CHARS, Page, clipped, paged, value_text
from framework.records import RunRow
from framework.reports.pipelines import version_row
from framework.reports.run_list import page_of_rows
from framework.reports.run_values import run_values, summary_values
from framework.reports.runs import Origins, scalar_outputs
from framework.views import RunView, StepsView, StepView

LISTED_VALUES = 8  # parameters (and metrics) a run's row shows; the run page shows all
LISTED_CHARS = 40  # of each value in a row
STATUSES = ("running", "completed", "failed", "crashed")
# A run's notes as a value key (`full_value`): no parameter, metadata or step key has this
# form, and the one metric that could (a number logged on the run as "notes") is never clipped.
NOTES_KEY = "notes"


def human_size(size: Any) -> str:
    if not isinstance(size, int):
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _values(values: dict[str, Any], limit: int | None = None, prefix: str = "", chars: int = VALUE_CHARS) -> dict:
    """Clipped values, at most ``limit`` of them, and how many were left out."""
    keys = list(values)
    shown = keys if limit is None else keys[:limit]
    return {"items": [clipped(k, values[k], chars, ref=prefix + k) for k in shown], "more": len(keys) - len(shown)}


# ---------------------------------------------------------------- pipelines
def pipelines_page(client: Client, query: str | None = None, page: int = 1) -> dict[str, Any]:
    """A page of pipelines (name search), each with its newest run: one run read per row."""
    records = [p for p in client.list_pipelines() if not query or query.casefold() in p.name.casefold()]
    shown, where = paged(records, page, query=query)
    rows = []
    for pipeline in shown:
        last = client.list_runs(pipeline.name, limit=1)
        run = last[0] if last else None
        rows.append({
            "name": pipeline.name, "latest_version": pipeline.latest_version, "versions": pipeline.latest_version,
            "run_count": pipeline.run_count,
            "last_run": None if run is None else {"name": run.name, "status": run.status,
                                                  "start_time": run.start_time, "duration": run.duration},
        })
    return {"pipelines": rows, "page": where.to_dict()}


def notes_shown(notes: str | None, ref: str = NOTES_KEY) -> dict[str, Any] | None:
    """Notes as a page shows them: the first `NOTES_CHARS` (user text: the templates escape
    it), and whether there is more behind the link to all of it; None for no notes."""
    return clipped(ref, notes, NOTES_CHARS) if notes else None


def run_row(run: RunView | RunRow, values: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
    """One run of a list: from its view (``values`` read from it unless given) or from its
    listing row (``values`` required: see `_row_values`)."""
    params, metrics = values if values is not None else run_values(run)
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time, "duration": run.duration,
        "unlisted": bool(run.unlisted), "tags": list(run.tags),
        "parameters": _values(params, LISTED_VALUES, chars=LISTED_CHARS),
        "metrics": _values(metrics, LISTED_VALUES, chars=LISTED_CHARS),
    }


def _row_values(client: Client, row: RunRow) -> tuple[dict[str, Any], dict[str, Any]]:
    """A listing row's parameters and metrics: its summary, else (a running run, or one
    stored before summaries) read from the run as the unfiltered list reads them."""
    found = summary_values(row.summary)
    if found is not None:
        return found
    try:
        return run_values(client.get_run_by_id(row.id))
    except KeyError:  # deleted since it was listed
        return {}, {}


def _tagged_runs(client: Client, name: str, where: Page) -> tuple[list[dict[str, Any]], bool]:
    """A page of the runs tagged ``where.tag`` (and of its status and name search), read from
    the store's listing rows (`page_of_rows`): tags are in the rows, not in the index that
    `Client.list_runs` pages. Rows shown and whether another page follows."""
    try:
        rows = page_of_rows(client, pipeline=name, status=where.status, tags=[where.tag],
                            name_contains=where.query, offset=where.offset, limit=PAGE_SIZE + 1)
    except ValueError:  # no tag can be spelled so: no run has it
        return [], False
    return [run_row(row, _row_values(client, row)) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def pipeline_detail(client: Client, name: str, query: str | None = None, status: str | None = None,
                    page: int = 1, versions_page: int = 1, tag: str | None = None) -> dict[str, Any] | None:
    """The pipeline (with its tags and notes), a page of its runs (newest first; name
    search, status and tag filters done by the store) and a page of its versions."""
    pipeline = client.get_pipeline(name)
    if pipeline is None:
        return None
    status = status if status in STATUSES else None
    where = Page(page, PAGE_SIZE, query=query, status=status, tag=tag)
    if tag:
        rows, more = _tagged_runs(client, name, where)
    else:
        runs = client.list_runs(name, status, PAGE_SIZE + 1, offset=where.offset, name_contains=query)
        rows, more = [run_row(r) for r in runs[:PAGE_SIZE]], len(runs) > PAGE_SIZE
    total = pipeline.run_count if not (query or status or tag) else None
    where = Page(page, PAGE_SIZE, total, more, query, status, tag)
    versions = [{"number": v["number"], "created": v["created"], "api": v["api"], "steps": v["steps"],
                 "step_count": len(v["steps"])}
                for v in map(version_row, reversed(client.list_versions(name)))]
    versions, versions_where = paged(versions, versions_page, 20)
    return {"name": pipeline.name, "run_count": pipeline.run_count, "latest_version": pipeline.latest_version,
            "tags": pipeline.tags, "notes": pipeline.notes, "notes_shown": notes_shown(pipeline.notes),
            "runs": rows, "page": where.to_dict(), "versions": versions, "versions_page": versions_where.to_dict()}


def pipeline_notes(client: Client, name: str) -> str | None:
    """All of a pipeline's notes (the page shows their start), or None."""
    pipeline = client.get_pipeline(name)
    return None if pipeline is None else pipeline.notes


# ---------------------------------------------------------------- one run
def _spec_of(client: Client, run: RunView) -> dict[str, Any]:
    for version in client.list_versions(run.pipeline_name):
        if version.number == run.version:
            return version.spec or {}
    return {}


def run_graph(client: Client, run: RunView, origins: Origins | None = None,
              steps: StepsView | None = None) -> dict[str, Any]:
    """Nodes (every invocation of the run's pipeline version, ``pending`` until it starts,
    with the nested pipeline calls that added it as ``group``) and edges."""
    origins = origins or Origins(client)
    steps_by_inv: dict[str, tuple[str, StepView]] = {}
    for key, step in (steps if steps is not None else run.steps).items():
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
            "id": inv_id, "step": key, "label": key or inv.get("step_name", inv_id),
            "step_name": step.name if step else inv.get("step_name", inv_id),
            "status": step.status if step else ("pending" if run.status == "running" else "not-run"),
            "cached_from": cached_from(origins, step), "group": list(inv.get("group") or []),
        })
        for binding in (inv.get("inputs") or {}).values():
            if isinstance(binding, (list, tuple)) and binding:
                edges.append([binding[0], inv_id])
        for upstream in inv.get("after") or []:
            edges.append([upstream, inv_id])
    return {"nodes": nodes, "edges": edges}


def cached_from(origins: Origins, step: StepView | None) -> dict[str, Any] | None:
    """A cached step's origin (``run_id``, ``run``, ``step``); None for any other step."""
    if step is None or not step.is_cached:
        return None
    origin = origins(step)
    return None if origin is None else {"run_id": origin["run_id"], "run": origin["run"], "step": origin["step"]}


def signature(run: RunView, steps: StepsView | None = None) -> str:
    """Changes whenever the run or any of its steps changes status (the page polls it)."""
    steps = steps if steps is not None else run.steps
    return run.status + "|" + ",".join(f"{k}={s.status}" for k, s in steps.items())


def run_detail(client: Client, name: str, query: str | None = None, page: int | None = None,
               selected: str | None = None, run: RunView | None = None) -> dict[str, Any] | None:
    """The run, its graph, and a page of its steps (name search; by default the page that
    holds ``selected``); ``run``: its view when the caller has read it already."""
    try:
        run = run if run is not None else client.get_run(name)
    except KeyError:
        return None
    origins = Origins(client)
    all_steps = run.steps  # read once: a 200-step run is 200 records
    counts: dict[str, int] = {}
    steps = []
    for key, step in all_steps.items():
        counts[step.status] = counts.get(step.status, 0) + 1
        if query and query.casefold() not in key.casefold() and query.casefold() not in step.name.casefold():
            continue
        steps.append({
            "key": key, "name": step.name, "invocation_id": step.invocation_id, "status": step.status,
            "duration": step.duration, "start_time": step.start_time, "cached_from": cached_from(origins, step),
        })
    if page is None:
        index = next((i for i, s in enumerate(steps) if s["key"] == selected), 0)
        page = index // PAGE_SIZE + 1
    shown, where = paged(steps, page, query=query)
    params, metrics = run_values(run)
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time, "duration": run.duration,
        "error": run.error, "api": run.api, "stack": run.stack, "step_counts": counts,
        "tags": run.tags, "notes": run.notes, "notes_shown": notes_shown(run.notes),
        "pipeline_parameters": _values(run.pipeline_parameters, prefix="pipeline:"), "parameters": _values(params),
        "metrics": _values(metrics), "metadata": _values(getattr(run.record, "metadata", None) or {}, prefix="metadata:"),
        "steps": shown, "steps_page": where.to_dict(), "step_total": len(all_steps),
        "graph": run_graph(client, run, origins, all_steps), "signature": signature(run, all_steps),
    }


def full_value(client: Client, run_name: str, key: str) -> str | None:
    """The whole of one value a page clipped: the run's notes (``notes``), a parameter
    (``step.param``, ``pipeline:arg``), a metric, or a run or step metadata entry
    (``metadata:key``, ``step:metadata:key``)."""
    try:
        run = client.get_run(run_name)
    except KeyError:
        return None
    if key == NOTES_KEY:
        return run.notes
    params, metrics = run_values(run)
    for source in (params, metrics, scalar_outputs(run), {f"pipeline:{k}": v for k, v in run.pipeline_parameters.items()},
                   {f"metadata:{k}": v for k, v in (getattr(run.record, "metadata", None) or {}).items()}):
        if key in source:
            return value_text(source[key])
    step_key, _, rest = key.partition(":")
    if step_key not in run.steps:
        return None
    step = run.steps[step_key]
    kind, _, name = rest.partition(":")
    if kind == "param" and name in step.parameters:
        return value_text(step.parameters[name])
    if kind == "metadata" and name in (getattr(step.record, "metadata", None) or {}):
        return value_text(step.record.metadata[name])
    if kind == "output":
        output, _, entry = name.partition(":")
        added = (getattr(step.record, "output_metadata", None) or {}).get(output) or {}
        if entry in added:
            return value_text(added[entry])
    return None
