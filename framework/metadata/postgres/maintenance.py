"""Housekeeping: persisting crashed runs, the full scan gc needs, and what ``store info``
shows.

Whether a run's owner is gone is decided by ``framework.liveness`` (its lease — an advisory
lock, ``leases``, testable from any machine — else host, pid and process start) — this module
only asks it about the runs still ``running``, found through the partial index ``runs_running``.
"""

from __future__ import annotations

from typing import Any

from framework.liveness import is_dead, this_host
from framework.metadata.postgres import leases, runs, steps


def _owner_gone(conn: Any, doc: dict[str, Any]) -> bool:
    return doc.get("status") == "running" and is_dead(doc.get("host"), doc.get("pid"), doc.get("process_start"),
                                                      leases.tester(conn)(doc))


def dead_owner_runs(conn: Any) -> list[str]:
    """Ids of stored ``running`` runs whose owner is gone: runs with a lease from any host,
    others of this host only (a lock-free read)."""
    rows = conn.exec_driver_sql("SELECT doc FROM runs WHERE status = 'running' AND (host = %(host)s OR "
                                "doc->>'lease' IS NOT NULL)", {"host": this_host()}).all()
    return [row[0]["id"] for row in rows if _owner_gone(conn, row[0])]


def mark_crashed(conn: Any, run_ids: list[str]) -> list[str]:
    """Persist ``crashed`` for those of ``run_ids`` still running with their owner gone
    (checked again on the locked rows); return their ids."""
    marked = []
    for run_id in run_ids:
        doc = runs.locked_doc(conn, run_id)
        if doc is None or not _owner_gone(conn, doc):
            continue
        doc.update(status="crashed", error=f"process {doc.get('pid')} on {doc.get('host')} ended without "
                                           "finishing the run")
        runs.replace_doc(conn, run_id, doc)
        marked.append(run_id)
    if marked:
        steps.mark_crashed(conn, marked)
    return marked


REFERENCED = """
SELECT id FROM artifacts
UNION SELECT o.value #>> '{}' FROM step_runs s, json_each(s.doc -> 'outputs') o WHERE json_typeof(o.value) = 'string'
UNION SELECT k FROM cache_entries c, json_object_keys(c.doc -> 'artifacts') k
UNION SELECT o.value #>> '{}' FROM cache_entries c, json_each(c.doc -> 'outputs') o WHERE json_typeof(o.value) = 'string'
"""


def referenced_artifact_ids(conn: Any) -> set[str]:
    return {row[0] for row in conn.exec_driver_sql(REFERENCED)}


def counts(conn: Any) -> dict[str, int]:
    """How many records each table holds."""
    row = conn.exec_driver_sql(
        "SELECT (SELECT count(*) FROM pipelines), (SELECT count(*) FROM versions), (SELECT count(*) FROM runs), "
        "(SELECT count(*) FROM step_runs), (SELECT count(*) FROM artifacts), (SELECT count(*) FROM cache_entries)"
    ).one()
    return dict(zip(("pipelines", "versions", "runs", "step_runs", "artifacts", "cache_entries"), row, strict=True))
