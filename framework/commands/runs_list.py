"""``framework runs list``: filter, sort and pick columns over every run, as a table that
fits the terminal, or as JSON, CSV or Markdown (what to show: ``framework.reports.run_list``)."""

from __future__ import annotations

import csv
import datetime as _dt
import io
from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound
from framework.records import RUN_STATUSES

FORMATS = ("table", "json", "csv", "markdown")
FIXED = ("status", "started", "ended", "duration", "version", "steps")  # never shortened in a table


def _moment(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from framework.reports.run_list import parse_moment

    try:
        return parse_moment(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _cell(column: str, value: Any) -> str:
    """A value as a table shows it: times local and to the minute, durations in s/m/h."""
    if value is None:
        return output.MISSING
    if column in ("started", "ended", "start_time", "end_time"):
        try:
            return _dt.datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            return str(value)
    if column == "duration":
        return output.format_duration(value)
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return output.format_value(value, 10_000)


def _plain(value: Any) -> Any:
    """A value for CSV and Markdown: full, lists joined by commas, None empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return output.format_value(value, 10_000) if not isinstance(value, str) else value


def print_rows(result: dict[str, Any], fmt: str, limit: int | None, filtered: bool) -> None:
    columns, rows = result["columns"], result["rows"]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(row[c]) for c in columns] for row in rows])
        click.echo(buffer.getvalue(), nl=False)
        return
    if fmt == "markdown":
        def escape(text: Any) -> str:
            return str(_plain(text)).replace("|", "\\|").replace("\n", " ")

        click.echo("| " + " | ".join(columns) + " |")
        click.echo("|" + "|".join(" --- " for _ in columns) + "|")
        for row in rows:
            click.echo("| " + " | ".join(escape(row[c]) for c in columns) + " |")
        return
    if not rows:
        click.echo("No runs match." if filtered else "No runs yet.")
        return
    cells = [[_cell(c, row[c]) for c in columns] for row in rows]
    styles = [[output.STATUS_STYLES.get(row[c], None) if c == "status" else None for c in columns] for row in rows]
    fixed = [i for i, c in enumerate(columns) if c in FIXED]
    keep = [i for i, c in enumerate(columns) if c == "name"]
    output.show(*output.fitted_table(columns, cells, width=output.terminal_width(), styles=styles, fixed=fixed,
                                     keep=keep))
    total = result["total"]
    if limit and (total is None or total > limit):
        click.echo(f"newest {limit} shown{'' if total is None else f' of {total}'}; --limit N for more (0: all)")


@click.command("list")
@click.option("--pipeline", "pipeline_name", metavar="NAME", help="Only runs of this pipeline.")
@click.option("--status", "statuses", type=click.Choice(RUN_STATUSES), multiple=True,
              help="Only runs with this status (repeat for several).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only runs with this tag (repeat: all of them).")
@click.option("--since", metavar="WHEN", help="Only runs started since: 2d, 12h, 30m, 1w, today, 2026-01-31, …")
@click.option("--until", metavar="WHEN", help="Only runs started before this (same forms as --since).")
@click.option("--where", "where", multiple=True, metavar="EXPR",
              help="Only runs for which EXPR holds, e.g. 'params.gamma>0.001 and status=completed' "
                   "(fields: name, status, pipeline, duration, tags, params.NAME, metrics.NAME, …).")
@click.option("--sort", metavar="FIELDS", help="Sort by these fields, '-' for descending: -metrics.accuracy,name "
                                               "(default: newest first).")
@click.option("--columns", metavar="FIELDS", help="Columns to show: name,status,params.gamma,metrics.accuracy.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Show at most N runs (0: all).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (fits the terminal), json, csv or markdown (full values).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def list_runs(pipeline_name: str | None, statuses: tuple[str, ...], tags: tuple[str, ...], since: str | None,
              until: str | None, where: tuple[str, ...], sort: str | None, columns: str | None, limit: int,
              fmt: str, as_json: bool) -> None:
    """List runs, newest first: filter them (--pipeline, --status, --tag, --since/--until,
    --where), sort them (--sort) and choose what to show (--columns, --format).

    \b
    framework runs list --where 'params.gamma>0.001' --sort -metrics.accuracy \\
        --columns name,status,params.gamma,metrics.accuracy
    """
    from framework.client import Client
    from framework.reports.run_list import list_rows
    from framework.reports.where import WhereError

    client = Client()
    if pipeline_name is not None and client.get_pipeline(pipeline_name) is None:
        raise NotFound(f"No pipeline named `{pipeline_name}` in the store at {client.store_location}; "
                       "`framework pipelines list` shows the pipelines.")
    try:
        result = list_rows(client, pipeline=pipeline_name, status=statuses, tags=tags,
                           since=_moment(since, "--since"), until=_moment(until, "--until"), where=where,
                           sort=sort, columns=columns, limit=limit or None)
    except WhereError as exc:
        raise click.BadParameter(str(exc), param_hint="--where/--sort/--columns") from None
    except ValueError as exc:  # a tag or status the store refuses
        raise click.BadParameter(str(exc)) from None
    fmt = "json" if as_json else fmt
    if fmt == "json":
        output.print_json(result["rows"] if columns else result["runs"])
        return
    filtered = bool(pipeline_name or statuses or tags or since or until or where)
    print_rows(result, fmt, limit, filtered)
