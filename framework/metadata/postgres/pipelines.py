"""Pipelines and their versions: tables ``pipelines`` and ``versions``.

Registration reads first without a transaction (a known version, the common case, writes
nothing), then, if the version is new, inserts the pipeline unless it exists and locks its
row (``FOR UPDATE``) before it numbers the version: two processes registering at once
create one pipeline and one version. ``UNIQUE (pipeline_id, hash)`` and the primary key
``(pipeline_id, number)`` make a duplicate impossible whatever the code does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from framework.metadata import checks
from framework.records import Registration

PIPELINE_COLUMNS = "id, name, created, latest_version, last_run_id, run_count, tags, notes"


def find_registration(conn: Any, name: str, version_hash: str) -> Registration | None:
    row = conn.exec_driver_sql(
        "SELECT p.id, v.number FROM pipelines p JOIN versions v ON v.pipeline_id = p.id "
        "WHERE p.name = %(name)s AND v.hash = %(hash)s", {"name": name, "hash": version_hash}).first()
    return Registration(row[0], row[1], False, False) if row is not None else None


def register(conn: Any, name: str, version_hash: str, spec: dict[str, Any], *, pipeline_id: str | None = None,
             pipeline_created: str | None = None, version_created: str | None = None) -> Registration:
    """Create the version (and the pipeline if new) unless another writer just did. The
    keywords are for copies from another store: the id and times to keep (if free)."""
    created = checks.now()
    inserted = conn.exec_driver_sql(
        "INSERT INTO pipelines (id, name, created, latest_version) VALUES (%(id)s, %(name)s, %(created)s, 0) "
        "ON CONFLICT DO NOTHING RETURNING id",
        {"id": pipeline_id or uuid.uuid4().hex, "name": name, "created": pipeline_created or created}).first()
    row = conn.exec_driver_sql("SELECT id FROM pipelines WHERE name = %(name)s FOR UPDATE", {"name": name}).first()
    if row is None:  # the id (not the name) was taken: a copy whose pipeline id is used here by another name
        inserted = conn.exec_driver_sql(
            "INSERT INTO pipelines (id, name, created, latest_version) VALUES (%(id)s, %(name)s, %(created)s, 0) "
            "RETURNING id", {"id": uuid.uuid4().hex, "name": name, "created": pipeline_created or created}).first()
        row = inserted
    again = find_registration(conn, name, version_hash)
    if again is not None:
        return again
    number = conn.exec_driver_sql("SELECT coalesce(max(number), 0) + 1 FROM versions WHERE pipeline_id = %(id)s",
                                  {"id": row[0]}).scalar()
    conn.exec_driver_sql(
        "INSERT INTO versions (pipeline_id, number, hash, spec, created) "
        "VALUES (%(id)s, %(number)s, %(hash)s, %(spec)s::json, %(created)s)",
        {"id": row[0], "number": number, "hash": version_hash, "spec": json.dumps(spec),
         "created": version_created or created})
    conn.exec_driver_sql("UPDATE pipelines SET latest_version = %(number)s WHERE id = %(id)s",
                         {"id": row[0], "number": number})
    return Registration(row[0], number, inserted is not None, True)


def pipeline_doc(conn: Any, name: str) -> dict[str, Any] | None:
    row = conn.exec_driver_sql(f"SELECT {PIPELINE_COLUMNS} FROM pipelines WHERE name = %(name)s",
                               {"name": name}).first()
    return dict(row._mapping) if row is not None else None


def pipeline_docs(conn: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.exec_driver_sql(f"SELECT {PIPELINE_COLUMNS} FROM pipelines ORDER BY name")]


def version_docs(conn: Any, name: str) -> list[dict[str, Any]]:
    rows = conn.exec_driver_sql(
        "SELECT v.pipeline_id, p.name AS pipeline_name, v.number, v.hash, v.spec, v.created "
        "FROM versions v JOIN pipelines p ON p.id = v.pipeline_id WHERE p.name = %(name)s ORDER BY v.number",
        {"name": name})
    return [dict(row._mapping) for row in rows]
