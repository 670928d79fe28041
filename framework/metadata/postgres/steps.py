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
from framework.metadata.postgres.runs import FOREIGN_KEY_VIOLATION, dumps

# Documents travel as one JSON array (json_array_elements keeps each element's text as written).
UPSERT_STEPS = (
    "INSERT INTO step_runs (run_id, doc) SELECT %(run)s, d FROM json_array_elements(%(steps)s::json) "
    "WITH ORDINALITY AS t(d, n) ORDER BY n ON CONFLICT (run_id, id) DO UPDATE SET doc = excluded.doc")
UPSERT_ARTIFACTS = (
    "INSERT INTO artifacts (run_id, doc) SELECT %(run)s, d FROM json_array_elements(%(artifacts)s::json) AS t(d) "
    "ON CONFLICT (run_id, id) DO UPDATE SET doc = excluded.doc")
#: Step runs, artifacts and cache entries in one statement (one round trip); it returns how
#: many entries the touched cache keys held before it, so the trim runs only when needed.
UPSERT_ALL = (
    f"WITH steps AS ({UPSERT_STEPS} RETURNING 1), artifacts AS ({UPSERT_ARTIFACTS} RETURNING 1), "
    f"entries AS ({cache_index.UPSERT} RETURNING 1) "
    "SELECT (SELECT count(*) FROM steps), (SELECT count(*) FROM artifacts), (SELECT count(*) FROM entries), "
    "(SELECT count(*) FROM cache_entries WHERE cache_key = ANY(%(keys)s))")


def _last_versions(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each id once: its last version at its first place (one statement may not touch a row twice)."""
    return list({doc["id"]: doc for doc in docs}.values())


def write(conn: Any, run_id: str, prepared: list[checks.Prepared], where: str) -> None:
    """Upsert prepared step records (steps, then artifacts, then cache entries)."""
    import sqlalchemy

    steps = _last_versions([step for step, _, _ in prepared])
    artifacts = _last_versions([a for _, docs, _ in prepared for a in docs])
    entries = cache_index.latest([entry for _, _, entry in prepared if entry is not None])
    keys = sorted({entry["cache_key"] for entry in entries})
    try:
        counts = conn.exec_driver_sql(UPSERT_ALL, {"run": run_id, "steps": dumps(steps), "artifacts": dumps(artifacts),
                                                   "entries": dumps(entries), "keys": keys}).one()
    except sqlalchemy.exc.IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
            raise KeyError(f"no run with id {run_id} in {where}") from None
        raise
    if counts[3] + len(entries) > cache_index.MAX_CACHE_ENTRIES:  # a key may hold too many now
        cache_index.trim(conn, keys)


def mark_crashed(conn: Any, run_ids: list[str]) -> None:
    """Step runs still ``running`` in these runs become ``crashed``."""
    rows = conn.exec_driver_sql(
        "SELECT run_id, id, doc FROM step_runs WHERE run_id = ANY(%(ids)s) AND status = 'running' FOR NO KEY UPDATE",
        {"ids": run_ids}).all()
    for run_id, step_id, doc in rows:
        doc["status"] = "crashed"
        conn.exec_driver_sql("UPDATE step_runs SET doc = %(doc)s::json WHERE run_id = %(run)s AND id = %(id)s",
                             {"doc": dumps(doc), "run": run_id, "id": step_id})
