"""The cache index: table ``cache_entries``, keyed by ``(cache_key, step_run_id)``.

Each key keeps its newest `MAX_CACHE_ENTRIES` entries (by ``created``, then by the order
they were written: ``seq``, renewed when an entry is written again), and a lookup is one
index range scan of at most that many rows. Trimming happens in the writing transaction;
two writers of one key at once may leave one entry too many until the next write, which
a lookup never returns (it reads the newest `MAX_CACHE_ENTRIES`).
"""

from __future__ import annotations

from typing import Any

from framework.metadata.postgres.runs import dumps
from framework.metadata.protocol import MAX_CACHE_ENTRIES

NEWEST = f"ORDER BY created DESC, seq DESC LIMIT {MAX_CACHE_ENTRIES}"


def add(conn: Any, entries: list[dict[str, Any]]) -> None:
    """Make each entry the newest of its key (replacing an older version of the same step run)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:  # one version each (one statement may not touch a row twice), last write last
        latest.pop((entry["cache_key"], entry["step_run_id"]), None)
        latest[(entry["cache_key"], entry["step_run_id"])] = entry
    ordered = list(latest.values())
    conn.exec_driver_sql(
        "INSERT INTO cache_entries (doc) SELECT d FROM unnest(%(docs)s::json[]) WITH ORDINALITY AS t(d, n) "
        "ORDER BY n ON CONFLICT (cache_key, step_run_id) DO UPDATE SET doc = excluded.doc, seq = excluded.seq",
        {"docs": [dumps(e) for e in ordered]})
    conn.exec_driver_sql(
        "DELETE FROM cache_entries c USING (SELECT cache_key, step_run_id, row_number() OVER "
        "(PARTITION BY cache_key ORDER BY created DESC, seq DESC) AS rank FROM cache_entries "
        "WHERE cache_key = ANY(%(keys)s)) r "
        f"WHERE r.rank > {MAX_CACHE_ENTRIES} AND c.cache_key = r.cache_key AND c.step_run_id = r.step_run_id",
        {"keys": sorted({e["cache_key"] for e in ordered})})


def candidates(conn: Any, cache_key: str) -> list[dict[str, Any]]:
    """The entry documents of ``cache_key``, newest first."""
    return [row[0] for row in conn.exec_driver_sql(
        f"SELECT doc FROM cache_entries WHERE cache_key = %(key)s {NEWEST}", {"key": cache_key})]
