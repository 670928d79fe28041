"""``framework doctor [STORE] [--repair]``: check a metadata store, and rebuild what is derived.

Exit status 1 while problems remain, so scripts and CI can run it. The checks and the
repair are the store's own (``MetadataStore.doctor``; for TinyDB
``framework.metadata.tinydb.doctor`` and ``rebuild``); this module only prints.
"""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import json_option


# ---------------------------------------------------------------------- pure logic
def summary_lines(report: dict[str, Any]) -> list[str]:
    """What the command prints for a report (``MetadataStore.doctor``)."""
    lines = []
    done = report.get("repair")
    if done is not None:
        for path in done["restored"]:
            lines.append(f"restored from its backup: {path}")
        for path in done["moved_aside"]:
            lines.append(f"kept aside (damaged): {path}")
        lines.append(f"rewrote {done['sealed']} file(s) from the run records, each with its checksum.")
        for loss in done["lost"]:
            lines.append(f"lost (not in any record or backup): {loss}")
    checked = f"{report.get('runs', 0)} run(s) in {report.get('files', 0)} file(s)" if "runs" in report else \
        report.get("note", "")
    problems = report["problems"]
    if not problems:
        lines.append(f"No problems in the metadata store at {report['location']} ({checked}).")
        if report.get("without_checksum"):
            lines.append(f"{report['without_checksum']} file(s) were written before checksums existed; "
                         "`framework doctor --repair` adds them (damage to such a file that is still "
                         "valid JSON goes unnoticed until then).")
        return lines
    lines.append(f"{len(problems)} problem(s) in the metadata store at {report['location']} ({checked}):")
    for problem in problems:
        lines.append(f"  {problem['file']}: {problem['problem']}")
    if done is None and any(p["repairable"] for p in problems):
        lines.append("`framework doctor --repair` rebuilds indexes, name claims and pipelines from the run "
                     "records (damaged files are kept aside as <file>.damaged; nothing is deleted).")
    unrepairable = [p for p in problems if not p["repairable"]]
    if unrepairable:
        lines.append(f"{len(unrepairable)} cannot be rebuilt from the run records: restore those files from "
                     "your own backup" + (", then run `framework doctor --repair`." if done is None else "."))
    return lines


# ---------------------------------------------------------------------- click wiring
@click.command("doctor")
@click.argument("location", required=False, metavar="[STORE]")
@click.option("--repair", is_flag=True, help="Rebuild indexes, name claims, pipelines and cache files from the run "
                                             "records, restore damaged run files from their backups, seal the store.")
@json_option
def doctor(location: str | None, repair: bool, as_json: bool) -> None:
    """Check a metadata store (default: the active stack's) and name every damaged or missing
    file. STORE: a home or store directory, postgresql://…, or stack:NAME. Exit status 1 if
    problems remain.
    """
    from framework.commands.store import open_location

    report = open_location(location).doctor(repair=repair)
    if as_json:
        output.print_json(report)
    else:
        for line in summary_lines(report):
            click.echo(line)
    if report["problems"]:
        raise SystemExit(1)


__all__ = ["doctor", "summary_lines"]
