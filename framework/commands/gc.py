"""``framework gc [--dry-run]``: delete artifact files no run points to, and leftover temp
files (the rules and why they are safe: ``framework.gc``)."""

from __future__ import annotations

import click

from framework.commands import output
from framework.commands.output import json_option
from framework.gc import DEFAULT_MIN_AGE_S


# ---------------------------------------------------------------------- click wiring
@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option("--min-age", type=click.FloatRange(min=0), default=DEFAULT_MIN_AGE_S, show_default=True,
              metavar="SECONDS", help="Keep unreferenced files younger than this (margin for runs in progress).")
@json_option
def gc(dry_run: bool, min_age: float, as_json: bool) -> None:
    """Delete artifact files no run refers to, logs of runs that no longer exist, and temp
    files left by crashed writes.

    A file any run (or the cache) still refers to is never deleted, nor one that the runs
    of another home sharing the artifact store reference (their records in .refs/). Files
    newer than the start of gc, or of the oldest run still in progress (here or in such a
    home), are kept too, so a run that is writing its outputs right now loses nothing.
    Prints how much space was (or, with --dry-run, would be) freed.
    """
    from framework import stacks
    from framework.gc import collect_garbage

    report = collect_garbage(stacks.active_stack(), dry_run=dry_run, min_age=min_age)
    if as_json:
        output.print_json(report)
        return
    verb = "Would delete" if dry_run else "Deleted"
    kinds = {"artifact": 0, "artifact-temp": 0, "store-temp": 0, "log": 0}
    for item in report["deleted"]:
        kinds[item["kind"]] += 1
    if dry_run:
        for item in report["deleted"]:
            click.echo(f"would delete {item['path']} ({output.format_size(item['size'])})")
    logs = f", {kinds['log']} log file(s) of runs that no longer exist" if kinds["log"] else ""
    click.echo(f"{verb} {kinds['artifact']} orphaned artifact file(s){logs} and "
               f"{kinds['artifact-temp'] + kinds['store-temp']} temp file(s); "
               f"{'would free' if dry_run else 'freed'} {output.format_size(report['freed_bytes'])}. "
               f"{report['referenced_files']} referenced artifact file(s) kept.")
    if report.get("kept_for_other_stores"):
        click.echo(f"Kept {report['kept_for_other_stores']} artifact file(s) that other homes sharing this artifact "
                   f"store still reference ({len(report['other_stores'])} other metadata store(s)).")
    if report["kept_recent"]:
        reason = (f"runs in progress: {', '.join(report['running_runs'])}" if report["running_runs"]
                  else f"younger than {min_age:g}s, or age unknown")
        click.echo(f"Kept {len(report['kept_recent'])} unreferenced recent file(s) ({reason}); "
                   "run gc again later to remove them.")
