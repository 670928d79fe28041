"""Runs copied from another store (``framework store copy``): each stored as `runs.create`
and `steps.write` store a new one, keeping its id, name, status and times, or skipped when
a run with its id (already copied) or its name (another run) is here."""

from __future__ import annotations

from typing import Any

from framework.metadata.tinydb import layout, presence, runs
from framework.metadata.tinydb import steps as step_chunks
from framework.metadata.tinydb.files import Transaction


def import_run(txn: Transaction, run: dict[str, Any], prepared: list[step_chunks.Prepared],
               artifacts: list[dict[str, Any]]) -> str:
    """Store one copied run (checked documents); ``"copied"``, ``"present"`` or ``"name-taken"``."""
    if txn.exists(layout.run_file(run["id"])):
        return "present"
    if runs.name_taken(txn, run["name"]):
        return "name-taken"
    runs.create(txn, run, copied=True)
    if prepared:
        chunk = step_chunks.write(txn, run["id"], prepared, 0)
        if artifacts:  # artifacts no step output names (rare): kept too
            step_chunks.upsert_by_id(txn.db(layout.steps_file(run["id"], chunk)).table("artifacts"), artifacts)
    if run.get("status") != "running":
        presence.record_steps_files(txn, run["id"])
    return "copied"
