"""``framework pipelines list`` and ``framework pipelines versions NAME``."""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- pure logic
def pipeline_rows(store: Any) -> list[dict[str, Any]]:
    """One dict per pipeline: name, latest version, run count, last run (name and status)."""
    rows = []
    for record in store.list_pipelines():
        last = store.get_run_by_id(record["last_run_id"]) if record.get("last_run_id") else None
        rows.append({
            "name": record["name"],
            "latest_version": record.get("latest_version"),
            "runs": record.get("run_count", 0),
            "last_run": last["name"] if last else None,
            "last_run_status": last["status"] if last else None,
            "last_run_start": last.get("start_time") if last else None,
            "created": record.get("created"),
        })
    return rows


def version_rows(store: Any, name: str) -> list[dict[str, Any]]:
    """The versions of pipeline ``name`` (ascending); ``NotFound`` if there is no such pipeline."""
    if store.get_pipeline(name) is None:
        raise NotFound(f"No pipeline named `{name}` in the store at {store.root}; "
                       "`framework pipelines list` shows the pipelines.")
    rows = []
    for version in store.list_versions(name):
        spec = version.get("spec") or {}
        key = "step_name" if spec.get("api") == "legacy" else "id"
        steps = [inv.get(key) for inv in spec.get("invocations", [])]
        rows.append({
            "number": version["number"],
            "hash": version.get("hash"),
            "created": version.get("created"),
            "api": spec.get("api"),
            "steps": steps,
        })
    return rows


# ---------------------------------------------------------------------- click wiring
@click.group()
def pipelines() -> None:
    """Pipelines in the store and their versions."""


@pipelines.command("list")
@json_option
def list_pipelines(as_json: bool) -> None:
    """List every pipeline with its latest version, run count and last run."""
    from framework.client import Client

    rows = pipeline_rows(Client().metadata_store)
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

    rows = version_rows(Client().metadata_store, name)
    if as_json:
        output.print_json(rows)
        return
    output.show(output.table(
        f"Versions of pipeline `{name}`", ["version", "created", "api", "steps", "hash"],
        [[r["number"], output.format_time(r["created"]), r["api"], ", ".join(s for s in r["steps"] if s),
          (r["hash"] or "").rpartition(":")[2][:12]] for r in rows]))
