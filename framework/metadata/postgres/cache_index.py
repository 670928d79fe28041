"""The cache index: table ``cache_entries``, keyed by ``(cache_key, step_run_id)``.

Each key keeps its newest `MAX_CACHE_ENTRIES` entries (by ``created``, then by the order
they were written: ``seq``, renewed when an entry is written again), and a lookup is one
index range scan of at most that many rows. Trimming happens in the writing transaction;
two writers of one key at once may leave one entry too many until the next write, which
a lookup never returns (it reads the newest `MAX_CACHE_ENTRIES`).
"""

from __future__ import annotations

from typing import Any

from framework.metadata.protocol import MAX_CACHE_ENTRIES

NEWEST = f"ORDER BY created DESC, seq DESC LIMIT {MAX_CACHE_ENTRIES}"


UPSERT = (
    "INSERT INTO cache_entries (doc) SELECT d FROM json_array_elements(%(entries)s::json) WITH ORDINALITY AS t(d, n) "
    "ORDER BY n ON CONFLICT (cache_key, step_run_id) DO UPDATE SET doc = excluded.doc, seq = excluded.seq")


def latest(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each (key, step run) once, in its last version, in the order last written (one
    statement may not touch a row twice)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        found.pop((entry["cache_key"], entry["step_run_id"]), None)
        found[(entry["cache_key"], entry["step_run_id"])] = entry
    return list(found.values())


def trim(conn: Any, keys: list[str]) -> None:
    """Drop all but the newest `MAX_CACHE_ENTRIES` entries of each of ``keys``."""
    conn.exec_driver_sql(
        "DELETE FROM cache_entries c USING (SELECT cache_key, step_run_id, row_number() OVER "
        "(PARTITION BY cache_key ORDER BY created DESC, seq DESC) AS rank FROM cache_entries "
        "WHERE cache_key = ANY(%(keys)s)) r "
        f"WHERE r.rank > {MAX_CACHE_ENTRIES} AND c.cache_key = r.cache_key AND c.step_run_id = r.step_run_id",
        {"keys": keys})


def candidates(conn: Any, cache_key: str) -> list[dict[str, Any]]:
    """The entry documents of ``cache_key``, newest first."""
    return [row[0] for row in conn.exec_driver_sql(
        f"SELECT doc FROM cache_entries WHERE cache_key = %(key)s {NEWEST}", {"key": cache_key})]


def evict(conn: Any, cache_key: str, artifact_id: str) -> int:
    """Delete the entries of ``cache_key`` whose artifacts include ``artifact_id``."""
    result = conn.exec_driver_sql(
        "DELETE FROM cache_entries WHERE cache_key = %(key)s AND (doc -> 'artifacts' -> %(artifact)s) IS NOT NULL",
        {"key": cache_key, "artifact": artifact_id})
    return int(result.rowcount or 0)
