"""A run's step runs and artifacts: tables ``step_runs`` and ``artifacts``, keyed by
``(run_id, id)``, each row the record's document.

A step run recorded again (``running``, then ``completed``) replaces its document and keeps
its ``seq`` — the order it was first recorded in, which is the order readers get. The
foreign key to ``runs`` makes a step of an unknown run impossible (``KeyError``).
"""

from __future__ import annotations

from typing import Any

from framework.metadata import checks
from framework.metadata.postgres import cache_index
from framework.metadata.postgres.runs import dumps

FOREIGN_KEY_VIOLATION = "23503"

UPSERT_STEPS = (
    "INSERT INTO step_runs (run_id, doc) SELECT %(run)s, d FROM unnest(%(docs)s::json[]) WITH ORDINALITY AS t(d, n) "
    "ORDER BY n ON CONFLICT (run_id, id) DO UPDATE SET doc = excluded.doc")
UPSERT_ARTIFACTS = (
    "INSERT INTO artifacts (run_id, doc) SELECT %(run)s, d FROM unnest(%(docs)s::json[]) AS t(d) "
    "ON CONFLICT (run_id, id) DO UPDATE SET doc = excluded.doc")


def _last_versions(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each id once: its last version at its first place (one statement may not touch a row twice)."""
    return list({doc["id"]: doc for doc in docs}.values())


def write(conn: Any, run_id: str, prepared: list[checks.Prepared], where: str) -> None:
    """Upsert prepared step records (steps, then artifacts, then cache entries)."""
    import sqlalchemy

    steps = _last_versions([step for step, _, _ in prepared])
    artifacts = _last_versions([a for _, docs, _ in prepared for a in docs])
    try:
        conn.exec_driver_sql(UPSERT_STEPS, {"run": run_id, "docs": [dumps(d) for d in steps]})
        if artifacts:
            conn.exec_driver_sql(UPSERT_ARTIFACTS, {"run": run_id, "docs": [dumps(d) for d in artifacts]})
    except sqlalchemy.exc.IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
            raise KeyError(f"no run with id {run_id} in {where}") from None
        raise
    entries = [entry for _, _, entry in prepared if entry is not None]
    if entries:
        cache_index.add(conn, entries)


def mark_crashed(conn: Any, run_ids: list[str]) -> None:
    """Step runs still ``running`` in these runs become ``crashed``."""
    rows = conn.exec_driver_sql(
        "SELECT run_id, id, doc FROM step_runs WHERE run_id = ANY(%(ids)s) AND status = 'running' FOR NO KEY UPDATE",
        {"ids": run_ids}).all()
    for run_id, step_id, doc in rows:
        doc["status"] = "crashed"
        conn.exec_driver_sql("UPDATE step_runs SET doc = %(doc)s::json WHERE run_id = %(run)s AND id = %(id)s",
                             {"doc": dumps(doc), "run": run_id, "id": step_id})
