"""``framework runs list | show RUN | compare RUN RUN ...``."""

from __future__ import annotations

import json
from typing import Any, Iterable

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option

RUN_STATUSES = ("running", "completed", "failed", "crashed")
SHORT_STR = 100  # str outputs up to this length count as scalars in a comparison
SCALAR_MAX_BYTES = 4096  # scalar outputs are loaded only when their file is this small
_ABSENT = object()


# ---------------------------------------------------------------------- lookups
def find_run(client: Any, name_or_id: str) -> Any:
    """The run view for a run name or id; ``NotFound`` (one line) if there is none."""
    try:
        return client.get_run(name_or_id)
    except KeyError:
        raise NotFound(f"No run named `{name_or_id}` in the store at {client.stack.metadata_root}; "
                       "`framework runs list` shows the runs.") from None


# ---------------------------------------------------------------------- pure logic: list
def run_row(record: dict[str, Any]) -> dict[str, Any]:
    """The listing fields of one run record."""
    return {
        "name": record["name"], "id": record["id"], "pipeline": record.get("pipeline_name"),
        "version": record.get("version"), "status": record.get("status"),
        "start_time": record.get("start_time"), "end_time": record.get("end_time"),
        "duration": record.get("duration"), "steps": len(record.get("step_order") or []),
        "api": record.get("api"), "unlisted": bool(record.get("unlisted")),
    }


# ---------------------------------------------------------------------- pure logic: show
def describe_run(run: Any, lookup_run: Any) -> dict[str, Any]:
    """A run as plain data: its fields, and per step status, timing, parameters, cache
    origin and outputs. ``lookup_run(run_id)`` returns a stored run record (or None); it
    names the run a cached step came from.
    """
    from framework.commands.artifacts import short_summary

    originals: dict[str, dict[str, Any] | None] = {}
    steps = []
    for key, step in run.steps.items():
        cached_from = None
        if step.original_run_id or step.original_step_run_id:
            run_id = step.original_run_id
            if run_id not in originals:
                originals[run_id] = lookup_run(run_id) if run_id else None
            original = originals[run_id]
            original_step = None
            if original is not None:
                record = next((s for s in original.get("step_runs", []) if s.get("id") == step.original_step_run_id),
                              None)
                if record is not None:
                    original_step = (record.get("step_name") if original.get("api") == "legacy"
                                     else record.get("invocation_id"))
            cached_from = {"run": original["name"] if original else None, "run_id": run_id,
                           "step": original_step, "step_run_id": step.original_step_run_id}
        outputs = []
        for name, artifact in step.outputs.items():
            record = artifact.to_dict()
            outputs.append({"name": name, "type": artifact.data_type, "size": artifact.size,
                            "path": artifact.path, "uri": artifact.uri, "id": artifact.id,
                            "summary": short_summary(record), "metadata": artifact.metadata})
        steps.append({
            "name": key, "step_name": step.name, "invocation_id": step.invocation_id, "slot": step.slot,
            "status": step.status, "start_time": step.start_time, "end_time": step.end_time,
            "duration": step.duration, "parameters": step.parameters, "cached_from": cached_from,
            "error": step.error, "outputs": outputs,
        })
    return {
        "name": run.name, "id": run.id, "pipeline": run.pipeline_name, "version": run.version,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "duration": run.duration, "stack": run.stack, "pipeline_parameters": run.pipeline_parameters,
        "error": run.error, "steps": steps,
    }


# ---------------------------------------------------------------------- pure logic: compare
def comparison_fields(run: Any, load_scalars: bool = True) -> dict[tuple[str, str], Any]:
    """What ``runs compare`` puts side by side for one run, keyed by (section, field).

    Sections: ``run`` (pipeline, version, status), ``step status``, ``pipeline arguments``,
    ``parameters`` (``step.param``, flattened per step) and ``outputs`` (``step.output``
    for int/float/bool/short str outputs: small JSON artifacts, loaded and verified; the
    recorded value is used if the file cannot be loaded).
    """
    from framework.commands.artifacts import SCALAR_TYPES

    fields: dict[tuple[str, str], Any] = {
        ("run", "pipeline"): run.pipeline_name,
        ("run", "version"): run.version,
        ("run", "status"): run.status,
    }
    steps = list(run.steps.items())
    for key, step in steps:
        fields[("step status", key)] = step.status
    for name, value in sorted(run.pipeline_parameters.items()):
        fields[("pipeline arguments", name)] = value
    for key, step in steps:
        for name, value in step.parameters.items():
            fields[("parameters", f"{key}.{name}")] = value
    for key, step in steps:
        for name, artifact in step.outputs.items():
            value = _scalar_output(artifact, SCALAR_TYPES, load_scalars)
            if value is not _ABSENT:
                fields[("outputs", f"{key}.{name}")] = value
    return fields


def _scalar_output(artifact: Any, scalar_types: Iterable[str], load: bool) -> Any:
    data_type = artifact.data_type or ""
    metadata = artifact.metadata
    recorded = metadata.get("value", _ABSENT)
    if data_type in scalar_types:
        if data_type == "builtins.str" and recorded is _ABSENT:
            return _ABSENT  # a long string: not a scalar worth a column
        if load and (artifact.size or 0) <= SCALAR_MAX_BYTES:
            try:
                value = artifact.load()
            except Exception:  # missing or altered: fall back to what the record says
                return recorded
            if isinstance(value, str) and len(value) > SHORT_STR:
                return _ABSENT
            return value
        return recorded
    if data_type.startswith("numpy.") and "shape" not in metadata and recorded is not _ABSENT:
        return recorded  # a numpy scalar (e.g. numpy.float64): its value is in the record
    return _ABSENT


def _canonical(value: Any) -> str:
    if value is _ABSENT:
        return "\0absent"
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def compare_table(names: list[str], runs_fields: list[dict[tuple[str, str], Any]]) -> dict[str, Any]:
    """Align the fields of several runs: one row per (section, field) in first-seen order.

    Each row: ``section``, ``field``, ``values`` (one per run, ``None`` where the run lacks
    the field), ``present`` (which runs have it) and ``differs`` (not all the same, a
    missing field counting as different).
    """
    order: dict[tuple[str, str], None] = {}
    for fields in runs_fields:
        for key in fields:
            order.setdefault(key, None)
    sections = ["run", "step status", "pipeline arguments", "parameters", "outputs"]
    keys = sorted(order, key=lambda k: sections.index(k[0]) if k[0] in sections else len(sections))
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


# ---------------------------------------------------------------------- click wiring
@click.group()
def runs() -> None:
    """Pipeline runs: list them, show one, compare several."""


@runs.command("list")
@click.option("--pipeline", "pipeline_name", metavar="NAME", help="Only runs of this pipeline.")
@click.option("--status", type=click.Choice(RUN_STATUSES), help="Only runs with this status.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Show at most N runs, newest first (0: all).")
@json_option
def list_runs(pipeline_name: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """List runs, newest first, with pipeline, version, status, start time and duration."""
    from framework.client import Client

    store = Client().metadata_store
    if pipeline_name is not None and store.get_pipeline(pipeline_name) is None:
        raise NotFound(f"No pipeline named `{pipeline_name}` in the store at {store.root}; "
                       "`framework pipelines list` shows the pipelines.")
    rows = [run_row(r) for r in store.list_runs(pipeline_name, status, limit or None)]
    if as_json:
        output.print_json(rows)
        return
    if not rows:
        click.echo("No runs match." if (pipeline_name or status) else "No runs yet.")
        return
    output.show(output.table(
        "Runs", ["run", "pipeline", "version", "status", "started", "duration", "steps"],
        [[r["name"], r["pipeline"], r["version"], output.status_text(r["status"]),
          output.format_time(r["start_time"]), output.format_duration(r["duration"]), r["steps"]]
         for r in rows],
        caption=f"newest {limit} shown; --limit N for more" if limit and len(rows) == limit else None))


@runs.command("show")
@click.argument("run")
@json_option
def show(run: str, as_json: bool) -> None:
    """Show RUN (a name or id): its steps with status, duration, parameters and, for cached
    steps, the run and step they came from; and each output's type, size and location."""
    from framework.client import Client

    client = Client()
    data = describe_run(find_run(client, run), client.metadata_store.get_run_by_id)
    if as_json:
        output.print_json(data)
        return
    header = [("run", data["name"]), ("id", data["id"]), ("pipeline", f"{data['pipeline']} (version {data['version']})"),
              ("status", data["status"]), ("started", output.format_time(data["start_time"])),
              ("duration", output.format_duration(data["duration"])), ("stack", data["stack"])]
    if data["pipeline_parameters"]:
        header.append(("arguments", output.format_params(data["pipeline_parameters"])))
    if data["error"]:
        header.append(("error", data["error"]))
    step_rows, output_rows = [], []
    for step in data["steps"]:
        origin = step["cached_from"]
        cached = ""
        if origin is not None:
            cached = f"{origin['run'] or origin['run_id']} / {origin['step'] or origin['step_run_id']}"
        label = step["name"] if step["slot"] in (None, step["name"]) else f"{step['name']} ({step['slot']})"
        step_rows.append([label, output.status_text(step["status"]), output.format_duration(step["duration"]),
                          cached, output.format_params(step["parameters"])])
        for out in step["outputs"]:
            output_rows.append([f"{step['name']}.{out['name']}", out["type"], output.format_size(out["size"]),
                                out["summary"], out["path"]])
    renderables: list[Any] = [output.key_values(header), "",
                              output.table("Steps", ["step", "status", "duration", "cached from (run / step)",
                                                     "parameters"], step_rows)]
    errors = [(s["name"], s["error"]) for s in data["steps"] if s["error"] and s["status"] != "skipped"]
    if errors:
        renderables.append(output.key_values([(f"{name} error", error) for name, error in errors]))
    if output_rows:
        renderables += ["", output.table("Outputs", ["output", "type", "size", "summary", "location"], output_rows)]
    output.show(*renderables)


@runs.command("compare")
@click.argument("run_names", metavar="RUN RUN...", nargs=-1, required=True)
@click.option("--diff-only", is_flag=True, help="Show only the rows whose values differ.")
@json_option
def compare(run_names: tuple[str, ...], diff_only: bool, as_json: bool) -> None:
    """Compare runs side by side: status, step statuses, pipeline arguments, parameters
    (as step.param) and scalar outputs (int, float, bool, short str). Rows whose values
    differ are marked with * (and highlighted on a terminal)."""
    from framework.client import Client

    if len(run_names) < 2:
        raise click.UsageError("compare needs at least two runs.")
    client = Client()
    views = [find_run(client, name) for name in run_names]
    result = compare_table([v.name for v in views], [comparison_fields(v) for v in views])
    if diff_only:
        result["rows"] = [row for row in result["rows"] if row["differs"]]
    if as_json:
        output.print_json(result)
        return
    rows, styles, previous = [], [], None
    for row in result["rows"]:
        cells = [output.format_value(v) if present else output.MISSING
                 for v, present in zip(row["values"], row["present"])]
        rows.append(["*" if row["differs"] else "", row["section"] if row["section"] != previous else "",
                     row["field"], *cells])
        styles.append("bold yellow" if row["differs"] else None)
        previous = row["section"]
    differing = sum(row["differs"] for row in result["rows"])
    notes = [f"* {differing} row(s) differ" if differing else "no differences"]
    if not any(row["section"] in ("parameters", "pipeline arguments") for row in result["rows"]) and not diff_only:
        notes.append("no parameters recorded for these runs")
    output.show(output.table(None, ["", "section", "field", *result["runs"]], rows, styles,
                             caption="; ".join(notes)))
