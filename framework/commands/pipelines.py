"""``framework pipelines list | versions NAME | tag NAME TAG... | note NAME TEXT | delete NAME``."""

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
    """Pipelines in the store: list them, their versions; tag, annotate or delete one."""


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


def _known(client: Any, name: str) -> None:
    if client.get_pipeline(name) is None:
        raise NotFound(f"No pipeline named `{name}` in the store at {client.store_location}; "
                       "`framework pipelines list` shows the pipelines.")


@pipelines.command("tag")
@click.argument("name")
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead of adding them.")
def tag(name: str, tags: tuple[str, ...], remove: bool) -> None:
    """Add TAGs to pipeline NAME (or remove them with --remove)."""
    from framework.client import Client

    client = Client()
    _known(client, name)
    output.retagged("Pipeline", lambda: client.untag_pipeline(name, *tags) if remove
                    else client.tag_pipeline(name, *tags))


@pipelines.command("note")
@click.argument("name")
@click.argument("text")
def note(name: str, text: str) -> None:
    """Set the notes of pipeline NAME to TEXT ("" clears them)."""
    from framework.client import Client

    client = Client()
    _known(client, name)
    output.noted("Pipeline", client.note_pipeline(name, text))


@pipelines.command("delete")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Only show what would be deleted.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def delete(name: str, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Delete pipeline NAME: its versions and every one of its runs (asks first unless --yes).

    Refused while one of its runs is in progress. Artifact files are freed by `framework gc`
    afterwards; an artifact a run of another pipeline uses is always kept.
    """
    from framework.client import Client
    from framework.commands.runs_edit import confirm_and_delete

    client = Client()
    _known(client, name)
    rows = list(client.query_runs(pipeline_name=name))
    plan = {"pipeline": name,
            "runs": [{"name": r.name, "id": r.id, "pipeline": r.pipeline_name, "status": r.status,
                      "start_time": r.start_time} for r in rows],
            "running": [r.name for r in rows if r.status == "running"]}
    confirm_and_delete(plan, f"pipeline `{name}` with its versions", lambda: client.delete_pipeline(name),
                       dry_run=dry_run, yes=yes, as_json=as_json)
