"""What users add to runs, step runs and pipelines after the fact: tags, notes, metadata.

Each change is a read-modify-write of one row inside the caller's transaction, the row
locked first (``FOR NO KEY UPDATE``: step inserts, whose foreign key only shares the run's
key, go on meanwhile). So two taggers of one run at once serialise on its row and neither
loses the other's tag — the merge happens on the row as last committed, never on a copy
read earlier. The values arrive checked (``framework.metadata.checks``); this module only
merges them the way every backend does (`checks.retagged`, `checks.merge_metadata`).

A run's listing row and tags columns are generated from its document, so retagging a run
is one ``UPDATE`` of ``doc`` and the index ``runs_tags`` follows in the same statement.
"""

from __future__ import annotations

from typing import Any

from framework.metadata import checks
from framework.metadata.postgres import pipelines, runs
from framework.metadata.run_changes import RunChange


def update_run(conn: Any, run_id: str, change: RunChange, where: str) -> dict[str, Any]:
    """Apply ``change`` to the stored run; return its new document (``KeyError``: no such run)."""
    doc = runs.locked_doc(conn, run_id) if type(run_id) is str else None
    if doc is None:
        raise KeyError(f"no run with id {run_id!r} in {where}")
    change.apply(doc)
    runs.replace_doc(conn, run_id, doc)
    return doc


def update_step_run(conn: Any, run_id: str, step_run_id: str, metadata: dict[str, Any] | None,
                    output_metadata: dict[str, dict[str, Any]] | None, where: str) -> dict[str, Any]:
    """Merge checked metadata into one step run; return its new document (``KeyError``
    naming the run or the step run that is not there)."""
    row = None
    if type(run_id) is str and type(step_run_id) is str:
        row = conn.exec_driver_sql(
            "SELECT doc FROM step_runs WHERE run_id = %(run)s AND id = %(id)s FOR NO KEY UPDATE",
            {"run": run_id, "id": step_run_id}).first()
    if row is None:
        if type(run_id) is not str or runs.locked_doc(conn, run_id) is None:
            raise KeyError(f"no run with id {run_id!r} in {where}")
        raise KeyError(f"run {run_id} has no step run {step_run_id!r} in {where}")
    doc = row[0]
    if metadata:
        doc["metadata"] = checks.merge_metadata(doc.get("metadata") or {}, metadata)
    if output_metadata:
        doc["output_metadata"] = checks.merge_output_metadata(doc.get("output_metadata") or {}, output_metadata)
    if metadata or output_metadata:
        conn.exec_driver_sql("UPDATE step_runs SET doc = %(doc)s::json WHERE run_id = %(run)s AND id = %(id)s",
                             {"doc": runs.dumps(doc), "run": run_id, "id": step_run_id})
    return doc


def update_pipeline(conn: Any, name: str, add: list[str], remove: list[str], set_notes: bool,
                    notes: str | None, where: str) -> dict[str, Any]:
    """Retag and annotate pipeline ``name``; return its new record as a document
    (``KeyError``: no such pipeline)."""
    row = conn.exec_driver_sql("SELECT tags FROM pipelines WHERE name = %(name)s FOR NO KEY UPDATE",
                               {"name": name}).first() if type(name) is str else None
    if row is None:
        raise KeyError(f"no pipeline named {name!r} in {where}")
    tags = checks.retagged(list(row[0]), add, remove)
    updated = conn.exec_driver_sql(
        f"UPDATE pipelines SET tags = %(tags)s, notes = CASE WHEN %(set)s THEN %(notes)s ELSE notes END "
        f"WHERE name = %(name)s RETURNING {pipelines.PIPELINE_COLUMNS}",
        {"tags": tags, "set": set_notes, "notes": notes, "name": name}).one()
    return dict(updated._mapping)
