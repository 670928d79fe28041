"""``framework runs list | show RUN | compare RUN RUN ... | logs | tag | note | delete``.

``list`` lives in ``runs_list``, ``tag``/``note``/``delete`` in ``runs_edit``, ``logs`` in
``logs``; this module
holds the group, the lookups every subcommand shares, ``show`` and ``compare``.
"""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- lookups
def find_run(client: Any, name_or_id: str) -> Any:
    """The run view for any run reference (name, id, unique prefix, ``latest``,
    ``PIPELINE@-2``); ``NotFound`` (one line, saying how to list runs) if there is none."""
    try:
        return client.get_run(name_or_id)
    except KeyError as exc:
        raise NotFound(str(exc)) from None


# ---------------------------------------------------------------------- click wiring
@click.group()
def runs() -> None:
    """Pipeline runs: list them, show one, compare several, tag, annotate and delete them.

    Wherever a RUN is asked for, give its name, its id, a unique prefix of either,
    `latest`, or PIPELINE@latest / PIPELINE@-2 (the run before the latest).
    """


@runs.command("show")
@click.argument("run")
@json_option
def show(run: str, as_json: bool) -> None:
    """Show RUN (a name or id): its steps with status, duration, parameters and, for cached
    steps, the run and step they came from; and each output's type, size and location."""
    from framework.client import Client
    from framework.reports.runs import Origins, describe_run

    client = Client()
    data = describe_run(find_run(client, run), Origins(client))
    if as_json:
        output.print_json(data)
        return
    header = [("run", data["name"]), ("id", data["id"]), ("pipeline", f"{data['pipeline']} (version {data['version']})"),
              ("status", data["status"]), ("started", output.format_time(data["start_time"])),
              ("duration", output.format_duration(data["duration"])), ("stack", data["stack"])]
    if data["pipeline_parameters"]:
        header.append(("arguments", output.format_params(data["pipeline_parameters"])))
    if data["tags"]:
        header.append(("tags", ", ".join(data["tags"])))
    if data["notes"]:
        header.append(("notes", data["notes"]))
    if data["metadata"]:
        header.append(("metadata", output.format_params(data["metadata"])))
    if data["metrics"]:
        header.append(("metrics", output.format_params(data["metrics"])))
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
    tracked = [(f"{s['name']} (tracker run)", s["metadata"]["experiment_tracker_url"]) for s in data["steps"]
               if s.get("metadata", {}).get("experiment_tracker_url")]
    if tracked:
        renderables += ["", output.key_values(tracked)]
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
    from framework.reports.compare import compare_runs

    if len(run_names) < 2:
        raise click.UsageError("compare needs at least two runs.")
    client = Client()
    result = compare_runs([find_run(client, name) for name in run_names])
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


def _subcommands() -> None:
    from framework.commands.logs import logs
    from framework.commands.runs_edit import delete, note, tag
    from framework.commands.runs_list import list_runs

    for command in (list_runs, logs, tag, note, delete):
        runs.add_command(command)


_subcommands()
