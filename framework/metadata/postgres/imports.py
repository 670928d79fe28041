"""Runs copied from another store (``framework store copy``): each inserted as a new run
is, keeping its id, name, status and times, or skipped when a run with its id (already
copied) or its name (another run) is here. The caller's transaction holds them all."""

from __future__ import annotations

from typing import Any

from framework.metadata import checks
from framework.metadata.postgres import steps
from framework.metadata.postgres.runs import dumps


def _existing(conn: Any, run: dict[str, Any]) -> str | None:
    rows = conn.exec_driver_sql("SELECT id FROM runs WHERE id = %(id)s OR name = %(name)s",
                                {"id": run["id"], "name": run["name"]}).all()
    if any(row[0] == run["id"] for row in rows):
        return "present"
    return "name-taken" if rows else None


def import_run(conn: Any, run: dict[str, Any], prepared: list[checks.Prepared], others: list[dict[str, Any]],
               where: str) -> str:
    """Store one copied run (checked documents); ``"copied"``, ``"present"`` or ``"name-taken"``."""
    found = _existing(conn, run)
    if found is not None:
        return found
    pipeline = conn.exec_driver_sql("SELECT name, last_run_id FROM pipelines WHERE id = %(id)s FOR NO KEY UPDATE",
                                    {"id": run["pipeline_id"]}).first()
    if pipeline is None or pipeline[0] != run["pipeline_name"]:
        raise ValueError(f"run '{run['name']}': pipeline '{run['pipeline_name']}' is not registered with id "
                         f"{run['pipeline_id']!r}; import its versions first")
    inserted = conn.exec_driver_sql("INSERT INTO runs (doc) VALUES (%(doc)s::json) ON CONFLICT DO NOTHING RETURNING id",
                                    {"doc": dumps(run)}).first()
    if inserted is None:  # copied by another process meanwhile
        return _existing(conn, run) or "present"
    last = conn.exec_driver_sql("SELECT start_time, id FROM runs WHERE id = %(id)s",
                                {"id": pipeline[1]}).first() if pipeline[1] else None
    newest = last is None or tuple(last) <= (run["start_time"], run["id"])
    conn.exec_driver_sql(
        "UPDATE pipelines SET run_count = run_count + 1, last_run_id = %(last)s WHERE id = %(id)s",
        {"last": run["id"] if newest else pipeline[1], "id": run["pipeline_id"]})
    if prepared:
        steps.write(conn, run["id"], prepared, where)
    if others:
        conn.exec_driver_sql(steps.UPSERT_ARTIFACTS, {"run": run["id"], "artifacts": dumps(others)})
    return "copied"
