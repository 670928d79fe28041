"""Runs: table ``runs``, one row per run holding its document; ``id``, ``name``,
``pipeline_id``, ``pipeline_name``, ``status``, ``start_time`` and ``host`` are generated
from it and indexed.

Uniqueness is the database's: ``name`` and ``id`` are unique, so `create` inserts with
``ON CONFLICT DO NOTHING`` and, when nothing was inserted, says which one was taken. Two
processes claiming one name at once: the second waits for the first's transaction and then
finds the name taken (or free, if the first rolled back). The pipeline's counters are
updated in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from framework.exceptions import DuplicateRunNameError
from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.postgres import leases

FOREIGN_KEY_VIOLATION = "23503"

#: One run with its step runs (first-recorded order) and artifacts, read in one statement.
DETAIL = (
    "SELECT r.doc, "
    "(SELECT coalesce(json_agg(s.doc ORDER BY s.seq), '[]') FROM step_runs s WHERE s.run_id = r.id), "
    "(SELECT coalesce(json_agg(a.doc), '[]') FROM artifacts a WHERE a.run_id = r.id) FROM runs r ")


def dumps(doc: Any) -> str:
    """A checked document as the JSON text stored (compact; the checks already made it strict)."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False)


def create(conn: Any, run: dict[str, Any]) -> None:
    """Store the checked run document ``run`` (see the module docstring)."""
    import sqlalchemy

    pipeline = conn.exec_driver_sql("SELECT name FROM pipelines WHERE id = %(id)s", {"id": run["pipeline_id"]}).first()
    if pipeline is None or pipeline[0] != run["pipeline_name"]:
        raise ValueError(f"run '{run['name']}' names pipeline '{run['pipeline_name']}' with id "
                         f"{run['pipeline_id']!r}, which is not registered; call register_pipeline first")
    try:
        inserted = conn.exec_driver_sql(
            "INSERT INTO runs (doc) VALUES (%(doc)s::json) ON CONFLICT DO NOTHING RETURNING id",
            {"doc": dumps(run)}).first()
    except sqlalchemy.exc.IntegrityError as exc:  # the pipeline was deleted meanwhile
        if getattr(exc.orig, "sqlstate", None) != FOREIGN_KEY_VIOLATION:
            raise
        raise ValueError(f"run '{run['name']}' names pipeline '{run['pipeline_name']}', which was just "
                         "deleted; call register_pipeline again") from None
    if inserted is None:
        taken = conn.exec_driver_sql("SELECT id FROM runs WHERE name = %(name)s", {"name": run["name"]}).first()
        if taken is not None:
            raise DuplicateRunNameError(
                f"A run named '{run['name']}' already exists (run id {taken[0]}); run names are unique in the "
                "store and the existing run was left untouched. Choose another name, or put the {date} and "
                "{time} placeholders in run_name (e.g. run_name='my_run-{date}-{time}') so each run gets its own.")
        raise ValueError(f"a run with id {run['id']} already exists")
    conn.exec_driver_sql("UPDATE pipelines SET last_run_id = %(run)s, run_count = run_count + 1 WHERE id = %(id)s",
                         {"run": run["id"], "id": run["pipeline_id"]})


def locked_doc(conn: Any, run_id: str) -> dict[str, Any] | None:
    """The stored run document, its row locked for this transaction (None: no such run).
    ``NO KEY UPDATE``: concurrent step inserts (whose foreign key only shares the key) go on."""
    row = conn.exec_driver_sql("SELECT doc FROM runs WHERE id = %(id)s FOR NO KEY UPDATE", {"id": run_id}).first()
    return row[0] if row is not None else None


def replace_doc(conn: Any, run_id: str, doc: dict[str, Any]) -> None:
    conn.exec_driver_sql("UPDATE runs SET doc = %(doc)s::json WHERE id = %(id)s", {"doc": dumps(doc), "id": run_id})


def finish(conn: Any, run_id: str, fields: dict[str, Any], where: str, metadata: dict[str, Any] | None = None,
           summary: dict[str, Any] | None = None) -> None:
    """Update the run's closing fields, merge ``metadata`` into its own and replace its
    ``summary`` (checked values; ``KeyError`` for an unknown run)."""
    doc = locked_doc(conn, run_id)
    if doc is None:
        raise KeyError(f"no run with id {run_id} in {where}")
    doc.update(fields)
    if metadata:
        doc["metadata"] = checks.merge_metadata(doc.get("metadata") or {}, metadata)
    if summary is not None:
        doc["summary"] = summary
    replace_doc(conn, run_id, doc)


def detail_docs(conn: Any, run_id: str) -> tuple[Any, Any, Any] | None:
    """(run document, step run documents, artifact documents) as stored, or None."""
    row = conn.exec_driver_sql(DETAIL + "WHERE r.id = %(id)s", {"id": run_id}).first()
    return tuple(row) if row is not None else None


def detail_docs_by_name_or_id(conn: Any, key: str) -> tuple[Any, Any, Any] | None:
    """As `detail_docs` for the run called ``key``, else the run with id ``key``."""
    row = conn.exec_driver_sql(
        f"{DETAIL}WHERE r.name = %(key)s OR r.id = %(key)s ORDER BY r.name = %(key)s DESC LIMIT 1",
        {"key": key}).first()
    return tuple(row) if row is not None else None


def run_id_for_name(conn: Any, name: str) -> str | None:
    row = conn.exec_driver_sql("SELECT id FROM runs WHERE name = %(name)s", {"name": name}).first()
    return row[0] if row is not None else None


def newest_docs(conn: Any, pipeline_name: str | None, status: str | None, limit: int | None,
                batch: int = 200, *, offset: int = 0, name_contains: str | None = None) -> Iterator[dict[str, Any]]:
    """Run documents newest ``start_time`` first (``id`` breaks ties), as readers show them
    (``crash_view``), filtered by pipeline and shown status, after skipping ``offset`` of
    them; read in index order, in batches, so ``limit=k`` reads about k rows whatever the
    table holds (an unfiltered page is skipped by the database itself)."""
    where, params = [], {}
    if pipeline_name is not None:
        where.append("pipeline_name = %(pipeline)s")
        params["pipeline"] = pipeline_name
    if name_contains:
        where.append("strpos(lower(name), lower(%(needle)s)) > 0")
        params["needle"] = name_contains
    if status in ("running", "crashed"):  # a stored `running` run may read `crashed`
        where.append("status IN ('running', 'crashed')")
    elif status is not None:
        where.append("status = %(status)s")
        params["status"] = status
    size = batch if limit is None else max(limit, 1)
    lease = leases.tester(conn)
    after: tuple[str, str] | None = None
    skip_in_sql = offset if status is None else 0  # a shown status may differ from the stored one
    skip = offset - skip_in_sql
    while True:
        clauses = list(where)
        if after is not None:
            clauses.append("(start_time, id) < (%(after_start)s, %(after_id)s)")
            params.update(after_start=after[0], after_id=after[1])
        sql = (f"SELECT doc, start_time, id FROM runs {'WHERE ' + ' AND '.join(clauses) if clauses else ''} "
               f"ORDER BY start_time DESC, id DESC LIMIT {int(size)}"
               + (f" OFFSET {int(skip_in_sql)}" if after is None and skip_in_sql else ""))
        rows = conn.exec_driver_sql(sql, params).all()
        for doc, _start, _id in rows:
            crash_view(doc, lease=lease)
            if status is None or doc.get("status") == status:
                if skip:
                    skip -= 1
                    continue
                yield doc
        if len(rows) < size:
            return
        after = (rows[-1][1], rows[-1][2])
        size = min(size * 2, 5000)
