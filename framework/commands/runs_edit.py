"""``framework runs tag RUN TAG... [--remove]``, ``runs note RUN TEXT`` and
``runs delete RUN... [--dry-run] [--yes]``: what users change about runs after the fact."""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import CommandError, json_option
from framework.commands.runs import find_run


@click.command("tag")
@click.argument("run")
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead of adding them.")
def tag(run: str, tags: tuple[str, ...], remove: bool) -> None:
    """Add TAGs to RUN (or remove them with --remove); `runs list --tag TAG` finds them."""
    from framework.client import Client

    client = Client()
    view = find_run(client, run)
    output.retagged("Run", lambda: client.untag_run(view.id, *tags) if remove else client.tag_run(view.id, *tags))


@click.command("note")
@click.argument("run")
@click.argument("text")
def note(run: str, text: str) -> None:
    """Set the notes of RUN to TEXT ("" clears them); `runs show` prints them."""
    from framework.client import Client

    client = Client()
    output.noted("Run", client.note_run(find_run(client, run).id, text))


def deletion_plan(runs: list[Any]) -> dict[str, Any]:
    """What deleting these run views means, as plain data; the runs still in progress."""
    rows = [{"name": r.name, "id": r.id, "pipeline": r.pipeline_name, "status": r.status,
             "start_time": r.start_time} for r in runs]
    return {"runs": rows, "running": [r["name"] for r in rows if r["status"] == "running"]}


def confirm_and_delete(plan: dict[str, Any], what: str, delete: Any, *, dry_run: bool, yes: bool,
                       as_json: bool) -> None:
    """Shared by ``runs delete`` and ``pipelines delete``: refuse runs in progress, show
    what goes, ask (unless --yes), delete, say how to free the space."""
    if plan["running"]:
        raise CommandError(f"Not deleting: run(s) {', '.join(plan['running'])} are still running; wait for them "
                           "to finish (or stop their process) and try again. Nothing was deleted.")
    count = len(plan["runs"])
    if as_json and dry_run:
        output.print_json({"dry_run": True, **plan})
        return
    if not as_json:
        click.echo(f"{'Would delete' if dry_run else 'Deleting'} {what}: {count} run(s)")
        for row in plan["runs"]:
            click.echo(f"  {row['name']}  ({row['pipeline']}, {row['status']}, "
                       f"started {output.format_time(row['start_time'])})")
    if dry_run:
        click.echo("Nothing deleted (--dry-run). Artifact files are freed afterwards by `framework gc`.")
        return
    if not yes:
        click.confirm(f"Delete {what}?", abort=True, err=True)
    deleted = delete()
    if as_json:
        output.print_json({"dry_run": False, "deleted": deleted, **plan})
        return
    click.echo(f"Deleted {len(deleted)} run(s). Their artifact files stay until `framework gc`, which frees "
               "every file no remaining run (or the cache) still uses.")


@click.command("delete")
@click.argument("refs", metavar="RUN...", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Only show what would be deleted.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def delete(refs: tuple[str, ...], dry_run: bool, yes: bool, as_json: bool) -> None:
    """Delete runs: their records, step records, cache entries and name (free for a new run).

    Asks first unless --yes. A run still in progress is refused. Artifact files are freed
    by `framework gc` afterwards; an artifact a remaining run uses (also through a cached
    step) is always kept.
    """
    from framework.client import Client

    client = Client()
    runs = list({view.id: view for view in (find_run(client, ref) for ref in refs)}.values())
    plan = deletion_plan(runs)
    what = f"run `{runs[0].name}`" if len(runs) == 1 else f"these {len(runs)} runs"
    confirm_and_delete(plan, what, lambda: client.delete_runs(*[r.id for r in runs]),
                       dry_run=dry_run, yes=yes, as_json=as_json)
