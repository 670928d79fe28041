"""``framework pipelines list`` and ``framework pipelines versions NAME``."""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- reading
def pipeline_rows(client: Any) -> list[dict[str, Any]]:
    """One row per pipeline: name, latest version, run count, last run (name and status)."""
    from framework.reports.pipelines import pipeline_row

    return [pipeline_row(pipeline.record, client.last_run_record(pipeline)) for pipeline in client.list_pipelines()]


def version_rows(client: Any, name: str) -> list[dict[str, Any]]:
    """The versions of pipeline ``name`` (ascending); ``NotFound`` if there is no such pipeline."""
    from framework.reports.pipelines import version_row

    if client.get_pipeline(name) is None:
        raise NotFound(f"No pipeline named `{name}` in the store at {client.store_location}; "
                       "`framework pipelines list` shows the pipelines.")
    return [version_row(version) for version in client.list_versions(name)]


# ---------------------------------------------------------------------- click wiring
@click.group()
def pipelines() -> None:
    """Pipelines in the store and their versions."""


@pipelines.command("list")
@json_option
def list_pipelines(as_json: bool) -> None:
    """List every pipeline with its latest version, run count and last run."""
    from framework.client import Client

    rows = pipeline_rows(Client())
    if as_json:
        output.print_json(rows)
        return
    if not rows:
        click.echo("No pipelines yet: run one, then they appear here.")
        return
    output.show(output.table(
        "Pipelines", ["name", "latest version", "runs", "last run", "status", "started"],
        [[r["name"], r["latest_version"], r["runs"], r["last_run"], output.status_text(r["last_run_status"]),
          output.format_time(r["last_run_start"])] for r in rows]))


@pipelines.command("versions")
@click.argument("name")
@json_option
def versions(name: str, as_json: bool) -> None:
    """List the versions of pipeline NAME (a new version is registered when its definition changes)."""
    from framework.client import Client

    rows = version_rows(Client(), name)
    if as_json:
        output.print_json(rows)
        return
    output.show(output.table(
        f"Versions of pipeline `{name}`", ["version", "created", "api", "steps", "hash"],
        [[r["number"], output.format_time(r["created"]), r["api"], ", ".join(s for s in r["steps"] if s),
          (r["hash"] or "").rpartition(":")[2][:12]] for r in rows]))
