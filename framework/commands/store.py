"""``framework store info [STORE]`` and ``framework store copy SRC DEST``: a metadata store's
backend, location and contents, and copying every record between stores (TinyDB ⇄ PostgreSQL).

STORE, SRC and DEST are each a PostgreSQL URL (``postgresql://user@host/db``), a framework
home or a TinyDB store directory, or ``stack:NAME`` (that stack's metadata store).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from framework.commands import output
from framework.commands.output import json_option


# ---------------------------------------------------------------------- pure logic
def resolve_location(spec: str) -> str:
    """The metadata store location ``spec`` names (see the module docstring)."""
    from framework import stacks
    from framework.metadata.postgres.urls import is_postgres_url

    if is_postgres_url(spec):
        return spec
    if spec.startswith("stack:"):
        stack = stacks.get_stack(spec.removeprefix("stack:"))
        return stack.metadata_url or str(stack.metadata_root)
    path = Path(spec).expanduser().resolve()
    if (path / "metadata").is_dir() and not (path / "pipelines.json").exists():
        return str(path / "metadata")  # a framework home
    return str(path)


def open_location(spec: str | None) -> Any:
    """The store ``spec`` names, or the active stack's when None."""
    from framework import stacks
    from framework.metadata import open_store

    if spec is None:
        return stacks.active_stack().metadata_store()
    return open_store(resolve_location(spec))


# ---------------------------------------------------------------------- click wiring
@click.group()
def store() -> None:
    """Metadata stores: what one holds, and copying records between them."""


@store.command("info")
@click.argument("location", required=False, metavar="[STORE]")
@json_option
def info(location: str | None, as_json: bool) -> None:
    """Show a metadata store's backend, location and how many records it holds (default:
    the active stack's store). STORE: postgresql://user@host/db, a home or store
    directory, or stack:NAME."""
    described = open_location(location).describe()
    if as_json:
        output.print_json(described)
        return
    output.show(output.key_values([(key.replace("_", " "), value) for key, value in described.items()]))


@store.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DEST")
@json_option
def copy(source: str, destination: str, as_json: bool) -> None:
    """Copy every pipeline, version and finished run from SRC into DEST (TinyDB ⇄ PostgreSQL).

    Idempotent and resumable: runs already in DEST are skipped, so running it again after an
    interruption copies the rest. Artifact files stay where they are. Exit status 1 if a run
    could not be copied because another run in DEST has its name. Example:

    \b
    framework store copy ~/.local/share/framework postgresql://me@db.example/ml
    """
    from framework.metadata.copy import copy_store

    src, dest = open_location(source), open_location(destination)
    interactive = sys.stderr.isatty() and not as_json

    def progress(report: Any, seen: int) -> None:
        if interactive:
            click.echo(f"\r{seen} runs read, {report.runs_copied} copied ...", nl=False, err=True)

    report = copy_store(src, dest, progress=progress)
    if interactive:
        click.echo("\r" + " " * 60 + "\r", nl=False, err=True)
    if as_json:
        output.print_json(report.to_dict())
    else:
        click.echo(f"Copied {report.runs_copied} run(s) of {report.pipelines} pipeline(s) from {report.source} "
                   f"to {report.destination} ({report.versions_created} new version(s); "
                   f"{report.runs_present} run(s) were there already).")
        if report.in_progress:
            click.echo(f"Not copied, still running: {', '.join(report.in_progress)}; copy again when they finish.")
        if report.name_taken:
            click.echo(f"Not copied, another run in the destination has the name: {', '.join(report.name_taken)}.",
                       err=True)
    if not report.complete:
        raise SystemExit(1)


__all__ = ["copy", "info", "open_location", "resolve_location", "store"]

