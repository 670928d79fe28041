"""`PostgresStore`: the metadata-store contract on a PostgreSQL database.

The facade checks records (``framework.metadata.checks``, as every backend does), runs
each write as one transaction (``engine.Database.write``) and turns documents back into
records; each concept lives in its own module: ``pipelines``, ``runs``, ``steps``,
``cache_index``, ``maintenance``; for run history ``edits`` (tags, notes, metadata),
``listing`` (`query_runs`) and ``deletion``; and ``migrations`` for the schema. See the
package docstring for the tables and the guarantees.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.postgres import (
    cache_index,
    deletion,
    edits,
    imports,
    leases,
    listing,
    maintenance,
    migrations,
    pipelines,
    runs,
)
from framework.metadata.postgres import steps as step_rows
from framework.metadata.postgres.engine import Database
from framework.metadata.postgres.urls import parse
from framework.metadata.protocol import MetadataStore, StepRecord
from framework.records import (
    Artifact,
    CacheEntry,
    Pipeline,
    Registration,
    Run,
    RunDetail,
    RunRow,
    StepRun,
    Version,
    from_doc,
)


class PostgresStore(MetadataStore):
    """The metadata of every pipeline run in one PostgreSQL database (schema created on first use).

    ``url``: ``postgresql://user@host[:port]/database[?schema=NAME&sslmode=...]``; the
    password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass`` (libpq's rules).
    ``schema`` overrides the URL's. Nothing connects until the first operation.
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        parsed = parse(url)
        if schema is not None:
            parsed = parse(_with_schema(url, schema))
        self.url = parsed
        self._db = Database(parsed)

    @property
    def location(self) -> str:  # type: ignore[override]
        return self.url.location

    @property
    def schema(self) -> str:
        return self.url.schema

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    def _where(self, table: str) -> str:
        return f"PostgreSQL metadata store {self.location}, table {self.url.schema}.{table}"

    # ------------------------------------------------------------------ pipelines
    def register_pipeline(self, name: str, version_hash: str, spec: dict[str, Any]) -> Registration:
        spec = checks.registration(name, version_hash, spec)
        with self._db.read() as conn:
            found = pipelines.find_registration(conn, name, version_hash)
        if found is not None:
            return found
        with self._db.write() as conn:
            return pipelines.register(conn, name, version_hash, spec)

    def get_pipeline(self, name: str) -> Pipeline | None:
        with self._db.read() as conn:
            doc = pipelines.pipeline_doc(conn, name)
        return from_doc(Pipeline, doc, where=self._where("pipelines")) if doc is not None else None

    def list_pipelines(self) -> list[Pipeline]:
        with self._db.read() as conn:
            docs = pipelines.pipeline_docs(conn)
        return [from_doc(Pipeline, doc, where=self._where("pipelines")) for doc in docs]

    def list_versions(self, name: str) -> list[Version]:
        with self._db.read() as conn:
            docs = pipelines.version_docs(conn, name)
        return [from_doc(Version, doc, where=self._where("versions")) for doc in docs]

    def update_pipeline(self, name: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                        notes: str | None = None) -> Pipeline:
        add, remove = checks.check_tags(add_tags, "add_tags"), checks.check_tags(remove_tags, "remove_tags")
        new_notes = checks.check_notes(notes) if notes is not None else None
        with self._db.write() as conn:
            doc = edits.update_pipeline(conn, name, add, remove, notes is not None, new_notes, self.location)
        return from_doc(Pipeline, doc, where=self._where("pipelines"))

    # ------------------------------------------------------------------ runs: writes
    def create_run(self, run: Run) -> Run:
        doc = checks.run_document(run)
        with self._db.write() as conn:
            runs.create(conn, doc)
        return attrs.evolve(run, process_start=doc.get("process_start"))

    def record_steps(self, run_id: str, records: Sequence[StepRecord], *, durable: bool = True) -> None:
        prepared = checks.step_records(run_id, records)
        if not prepared:
            return
        with self._db.write(durable=durable) as conn:
            step_rows.write(conn, run_id, prepared, self.location)

    def finish_run(self, run_id: str, *, status: str, end_time: str, duration: float,
                   error: str | None = None, steps: Sequence[StepRecord] = (),
                   metadata: dict[str, Any] | None = None, summary: dict[str, Any] | None = None) -> None:
        fields = checks.closing_fields(status, end_time, duration, error)
        metadata, summary = checks.closing_extras(metadata, summary)
        prepared = checks.step_records(run_id, steps)
        with self._db.write() as conn:
            runs.finish(conn, run_id, fields, self.location, metadata, summary)  # locks the run row first
            if prepared:
                step_rows.write(conn, run_id, prepared, self.location)

    def update_run(self, run_id: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                   notes: str | None = None, metadata: dict[str, Any] | None = None,
                   summary: dict[str, Any] | None = None) -> Run:
        change = edits.RunChange.checked(add_tags, remove_tags, notes, metadata, summary)
        with self._db.write() as conn:
            doc = edits.update_run(conn, run_id, change, self.location)
            crash_view(doc, lease=leases.tester(conn))
        return from_doc(Run, doc, where=self._where("runs"))

    def update_step_run(self, run_id: str, step_run_id: str, *, metadata: dict[str, Any] | None = None,
                        output_metadata: dict[str, dict[str, Any]] | None = None) -> StepRun:
        new_metadata = checks.check_metadata(metadata) if metadata is not None else None
        new_outputs = checks.check_output_metadata(output_metadata) if output_metadata is not None else None
        with self._db.write() as conn:
            doc = edits.update_step_run(conn, run_id, step_run_id, new_metadata, new_outputs, self.location)
        return from_doc(StepRun, doc, where=self._where("step_runs"))

    def delete_runs(self, run_ids: Iterable[str]) -> list[str]:
        wanted = list(run_ids)
        if not wanted:
            return []
        with self._db.write() as conn:
            return deletion.delete_runs(conn, wanted, self.location)

    def delete_pipeline(self, name: str) -> list[str]:
        with self._db.write() as conn:
            return deletion.delete_pipeline(conn, name, self.location)

    # ------------------------------------------------------------------ runs: reads
    def _detail(self, docs: tuple[Any, Any, Any] | None, conn: Any) -> RunDetail | None:
        if docs is None:
            return None
        run_doc, step_docs, artifact_docs = docs
        if isinstance(run_doc, dict) and isinstance(step_docs, list):
            crash_view(run_doc, [d for d in step_docs if isinstance(d, dict)], lease=leases.tester(conn))
        return RunDetail(
            run=from_doc(Run, run_doc, where=self._where("runs")),
            steps=tuple(from_doc(StepRun, d, where=self._where("step_runs")) for d in step_docs),
            artifacts={a.id: a for a in (from_doc(Artifact, d, where=self._where("artifacts")) for d in artifact_docs)},
        )

    def get_run_by_id(self, run_id: str) -> RunDetail | None:
        if type(run_id) is not str or not run_id:
            return None
        with self._db.read() as conn:
            return self._detail(runs.detail_docs(conn, run_id), conn)

    def get_run(self, name_or_id: str) -> RunDetail | None:
        if type(name_or_id) is not str or not name_or_id:
            return None
        import unicodedata

        with self._db.read() as conn:  # names are stored in NFC (see `MetadataStore.get_run`)
            return self._detail(runs.detail_docs_by_name_or_id(conn, unicodedata.normalize("NFC", name_or_id)), conn)

    def run_id_for_name(self, name: str) -> str | None:
        with self._db.read() as conn:
            return runs.run_id_for_name(conn, name)

    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None, *, offset: int = 0, name_contains: str | None = None) -> list[Run]:
        if limit is not None and limit <= 0:
            return []
        found = []
        with self._db.read() as conn:
            wanted = None if limit is None else limit + offset
            for doc in runs.newest_docs(conn, pipeline_name, status, wanted, offset=offset,
                                        name_contains=name_contains):
                found.append(from_doc(Run, doc, where=self._where("runs")))
                if limit is not None and len(found) >= limit:
                    break
        return found

    def query_runs(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                   tags: Sequence[str] = (), since: Any = None, until: Any = None) -> Iterator[RunRow]:
        """Listing rows from the runs' ``listing`` column, filtered in SQL (``listing``)."""
        query = checks.RunQuery(pipeline_name=pipeline_name, status=status, tags=tags, since=since, until=until)
        return (checks.row_record(row) for row in listing.rows(self._db, query))

    # ------------------------------------------------------------------ cache
    def cache_candidates(self, cache_key: str) -> list[CacheEntry]:
        if type(cache_key) is not str or not cache_key:
            return []
        with self._db.read() as conn:
            docs = cache_index.candidates(conn, cache_key)
        return [from_doc(CacheEntry, doc, where=self._where("cache_entries")) for doc in docs]

    def evict_cache_entries(self, cache_key: str, artifact_id: str) -> int:
        if type(cache_key) is not str or not cache_key:
            return 0
        with self._db.write() as conn:
            return cache_index.evict(conn, cache_key, artifact_id)

    # ------------------------------------------------------------------ copies
    def import_version(self, version: Version, *, pipeline_id: str, pipeline_created: str) -> Registration:
        name, version_hash = version.pipeline_name, version.hash
        spec = checks.registration(name, version_hash, version.spec)
        with self._db.read() as conn:
            found = pipelines.find_registration(conn, name, version_hash)
        if found is not None:
            return found
        with self._db.write() as conn:
            return pipelines.register(conn, name, version_hash, spec, pipeline_id=pipeline_id,
                                      pipeline_created=pipeline_created, version_created=version.created)

    def import_runs(self, details: Sequence[RunDetail]) -> list[str]:
        checked = [checks.imported_run(detail) for detail in details]
        with self._db.write() as conn:
            return [imports.import_run(conn, *one, self.location) for one in checked]

    # ------------------------------------------------------------------ maintenance
    @contextlib.contextmanager
    def run_lease(self, run_id: str) -> Iterator[str | None]:
        """A session-level advisory lock, on a connection of its own for the run (``leases``)."""
        run_id = checks.check_id(run_id, "run_id")
        with self._db.read() as conn, leases.hold(conn, run_id):
            yield leases.KIND

    def mark_crashed_runs(self) -> list[str]:
        """Persist ``crashed`` for running runs whose lease is free (without one: of this host,
        whose process died); return their ids. Costs one indexed read when nothing crashed."""
        with self._db.read() as conn:
            dead = maintenance.dead_owner_runs(conn)
        if not dead:
            return []
        with self._db.write() as conn:
            return maintenance.mark_crashed(conn, dead)

    def referenced_artifact_ids(self) -> set[str]:
        with self._db.read() as conn:
            return maintenance.referenced_artifact_ids(conn)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._db.exclusive():
            yield

    def describe(self) -> dict[str, Any]:
        """Backend, location, server and schema versions, and how many records each table holds."""
        with self._db.read() as conn:
            server = conn.exec_driver_sql("SHOW server_version").scalar()
            version = migrations.current_version(conn, self.url.schema)
            counts = maintenance.counts(conn)
        return {"backend": "postgresql", "location": self.location, "schema": self.url.schema,
                "server_version": server, "schema_version": version, **counts}


def _with_schema(url: str, schema: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "schema"] + [("schema", schema)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
