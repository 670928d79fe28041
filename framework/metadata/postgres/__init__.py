"""The PostgreSQL backend of the metadata store, for teams: one database every machine reaches.

``PostgresStore("postgresql://user@host/db")`` — or a stack registered with
``framework stack register team --metadata postgresql://user@host/db`` — keeps the same
records as the TinyDB store, with the same guarantees (``framework.metadata.protocol``),
on SQLAlchemy 2 and psycopg 3 (``pip install 'framework[postgres]'``; imported on first
connection only).

Tables (schema version 2, ``migrations``; ``?schema=NAME`` in the URL picks the schema)::

    schema_migrations  version, description, applied_at, framework_version
    pipelines          id, name (unique), created, latest_version, last_run_id, run_count,
                       tags, notes
    versions           (pipeline_id, number) primary, (pipeline_id, hash) unique, spec json
    runs               doc json + generated id (primary), name (unique), pipeline_id,
                       pipeline_name, status, start_time, host, tags (GIN-indexed) and
                       listing (the run's listing row); indexes for newest-first listings
                       (all, per pipeline, per status) and the running runs per host
    step_runs          (run_id, id) primary, doc json, generated status, seq (first-recorded order)
    artifacts          (run_id, id) primary, doc json
    cache_entries      (cache_key, step_run_id) primary, doc json, generated run_id (indexed),
                       created; index (cache_key, created desc, seq desc): a lookup reads ≤ 8 rows

How the guarantees are kept:

* **Uniqueness in the write**: ``runs.name`` and ``runs.id`` are unique constraints; a run is
  inserted with ``ON CONFLICT DO NOTHING`` and a conflict raises `DuplicateRunNameError`
  (or ``ValueError`` for an id) in the transaction that would have stored it.
* **All or nothing**: each write method is one transaction (``engine.Database.write``).
* **Order**: step runs keep the ``seq`` of their first recording; runs list by
  ``(start_time, id)`` descending in the "C" collation, like the other backends.
* **Liveness**: a run holds a session-level advisory lock for its life (``leases``); reads
  show a ``running`` run whose lease is free (runs without one: whose process on this host
  is gone) as ``crashed`` (``framework.liveness``), and `mark_crashed_runs` persists it.
* **Empty means empty; damage is named**: a row whose document does not fit its record is
  a `RecordError` naming the table and the record; the columns are generated from the
  document and ``NOT NULL``, so a document without its keys cannot be stored at all.
* **Cheap reads**: every read is an index lookup or an index range scan, one statement each
  (a run with its steps and artifacts is one statement), so 100,000 runs cost what 10 do.
  `query_runs` reads the runs' ``listing`` column only, page by page (``listing``).
* **Deletion is whole**: `delete_runs` and `delete_pipeline` check every run on locked rows,
  then delete its rows from every table and fix the pipeline's counters, in one
  transaction (``deletion``).
* **Writers and gc**: every write transaction holds an advisory lock shared; `exclusive`
  takes it exclusively, so gc's scan-and-delete holds off writers but no reader.

Credentials: the URL, ``PGPASSWORD``, ``PGPASSFILE`` / ``~/.pgpass`` and the other ``PG*``
variables, as libpq reads them. A stack's URL is stored in ``stacks.yaml`` and must not hold a
password (registration refuses one); `PostgresStore.location` never shows one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PostgresStore"]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from framework.metadata.postgres.store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'framework.metadata.postgres' has no attribute {name!r}")
