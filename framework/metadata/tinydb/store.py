"""`TinyDBStore`: the metadata-store contract on JSON files below one directory.

The facade only checks records (``framework.metadata.checks``), runs each write as one
transaction (``files.StoreFiles.transaction``) and turns documents back into records;
each concept lives in its own module: ``pipelines`` (registration), ``runs`` (run files,
name claims, run index), ``steps`` (a run's step chunks), ``cache_index``, ``maintenance``.
See the package docstring for the file layout and what each operation costs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import attrs

from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.protocol import MetadataStore, StepRecord
from framework.metadata.run_changes import RunChange
from framework.metadata.tinydb import (
    cache_index,
    deletion,
    identity,
    imports,
    layout,
    leases,
    maintenance,
    pipelines,
    presence,
    rows,
    runs,
)
from framework.metadata.tinydb import steps as step_chunks
from framework.metadata.tinydb.files import StoreFiles, Transaction
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

_T = TypeVar("_T")


class TinyDBStore(MetadataStore):
    """The metadata of every pipeline run below ``root`` (created on the first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._files = StoreFiles(root)
        self._steps_chunk: dict[str, int] = {}  # run id -> its newest steps chunk, as last written here

    @property
    def root(self) -> str:
        return self._files.root

    @property
    def location(self) -> str:  # type: ignore[override]
        return self._files.root

    def __repr__(self) -> str:
        return f"TinyDBStore({self.root!r})"

    @property
    def store_id(self) -> str:
        """The id in ``store.json`` (``identity``), created with it if the store has none yet."""
        found = identity.read(self._files)
        if found is None:
            found = self._write(lambda txn: identity.ensure(txn, self._files))
        return found["id"]

    def known_store_id(self) -> str | None:
        found = identity.read(self._files)
        return found["id"] if found is not None else None

    def _where(self, relpath: str) -> str:
        return f"Metadata store file '{self._files.path(relpath)}'"

    def _write(self, operation: Callable[[Transaction], _T], *, durable: bool = True) -> _T:
        """Run ``operation`` as one transaction: every mutation of the store passes here.

        ``durable=False`` (step records during a run) defers the directory fsyncs to the
        next durable transaction of this object — ``finish_run`` at the latest.
        """
        with self._files.transaction(durable=durable) as txn:
            return operation(txn)

    # ------------------------------------------------------------------ pipelines
    def register_pipeline(self, name: str, version_hash: str, spec: dict[str, Any]) -> Registration:
        spec = checks.registration(name, version_hash, spec)
        found = pipelines.known_registration(self._files, name, version_hash)  # no lock, no write
        if found is not None:
            return found
        return self._write(lambda txn: pipelines.register(txn, self._files, name, version_hash, spec))

    def _pipeline(self, doc: dict[str, Any]) -> Pipeline:
        for key in pipelines.BACKEND_KEYS:
            doc.pop(key, None)
        return from_doc(Pipeline, doc, where=self._where(layout.PIPELINES))

    def get_pipeline(self, name: str) -> Pipeline | None:
        doc = pipelines.pipeline_doc(self._files, name)
        return self._pipeline(doc) if doc is not None else None

    def list_pipelines(self) -> list[Pipeline]:
        return [self._pipeline(doc) for doc in pipelines.pipeline_docs(self._files)]

    def list_versions(self, name: str) -> list[Version]:
        doc = pipelines.pipeline_doc(self._files, name)
        if doc is None:
            return []
        where = self._where(layout.VERSIONS)
        return [from_doc(Version, v, where=where) for v in pipelines.version_docs(self._files, doc)]

    def update_pipeline(self, name: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                        notes: str | None = None) -> Pipeline:
        tags = (checks.check_tags(add_tags, "add_tags"), checks.check_tags(remove_tags, "remove_tags"))
        new_notes = checks.check_notes(notes) if notes is not None else None
        doc = self._write(lambda txn: pipelines.update(txn, name, tags, new_notes, notes is not None, self.root))
        return self._pipeline(dict(doc))

    # ------------------------------------------------------------------ runs: writes
    def create_run(self, run: Run) -> Run:
        doc = checks.run_document(run)
        self._write(lambda txn: runs.create(txn, doc))
        return attrs.evolve(run, process_start=doc.get("process_start"))

    def record_steps(self, run_id: str, records: Sequence[StepRecord], *, durable: bool = True) -> None:
        prepared = checks.step_records(run_id, records)
        if not prepared:
            return

        def record(txn: Transaction) -> int:
            runs.check_exists(txn, run_id, self.root)
            return step_chunks.write(txn, run_id, prepared, self._steps_chunk.get(run_id, 0))

        self._steps_chunk[run_id] = self._write(record, durable=durable)

    def finish_run(self, run_id: str, *, status: str, end_time: str, duration: float,
                   error: str | None = None, steps: Sequence[StepRecord] = (),
                   metadata: dict[str, Any] | None = None, summary: dict[str, Any] | None = None) -> None:
        fields = checks.closing_fields(status, end_time, duration, error)
        metadata, summary = checks.closing_extras(metadata, summary)
        prepared = checks.step_records(run_id, steps)

        def finish(txn: Transaction) -> int | None:
            runs.check_exists(txn, run_id, self.root)
            known = self._steps_chunk.get(run_id, 0)
            chunk = step_chunks.write(txn, run_id, prepared, known) if prepared else None
            # after the steps: a crash in between leaves it running→crashed
            runs.finish(txn, run_id, fields, metadata, summary)
            presence.record_steps_files(txn, run_id, chunk if chunk is not None else known)
            return chunk

        chunk = self._write(finish)
        if chunk is not None:
            self._steps_chunk[run_id] = chunk

    def update_run(self, run_id: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                   notes: str | None = None, metadata: dict[str, Any] | None = None,
                   summary: dict[str, Any] | None = None) -> Run:
        change = RunChange.checked(add_tags, remove_tags, notes, metadata, summary)

        def update(txn: Transaction) -> dict[str, Any]:
            if not checks.is_safe_id(run_id):
                raise KeyError(f"no run with id {run_id!r} in the metadata store at {self.root}")
            runs.check_exists(txn, run_id, self.root)
            return runs.change(txn, run_id, change.fields)

        doc = self._write(update)
        crash_view(doc, lease=leases.tester(self.root))
        return from_doc(Run, doc, where=self._where(layout.run_file(run_id)))

    def update_step_run(self, run_id: str, step_run_id: str, *, metadata: dict[str, Any] | None = None,
                        output_metadata: dict[str, dict[str, Any]] | None = None) -> StepRun:
        new_metadata = checks.check_metadata(metadata) if metadata is not None else None
        new_outputs = checks.check_output_metadata(output_metadata) if output_metadata is not None else None

        def update(txn: Transaction) -> dict[str, Any]:
            if not checks.is_safe_id(run_id):
                raise KeyError(f"no run with id {run_id!r} in the metadata store at {self.root}")
            runs.check_exists(txn, run_id, self.root)
            return step_chunks.update(txn, run_id, step_run_id, new_metadata, new_outputs)

        return from_doc(StepRun, self._write(update), where=self._where(layout.steps_file(run_id)))

    def delete_runs(self, run_ids: Iterable[str]) -> list[str]:
        wanted = list(run_ids)
        if not wanted:
            return []
        deleted = self._write(lambda txn: deletion.delete_runs(txn, wanted, self.root))
        for run_id in deleted:
            self._steps_chunk.pop(run_id, None)
        self._discard_leases(deleted)
        return deleted

    def delete_pipeline(self, name: str) -> list[str]:
        deleted = self._write(lambda txn: deletion.delete_pipeline(txn, name, self.root))
        for run_id in deleted:
            self._steps_chunk.pop(run_id, None)
        self._discard_leases(deleted)
        return deleted

    # ------------------------------------------------------------------ runs: reads
    def run_id_for_name(self, name: str) -> str | None:
        return runs.run_id_for_name(self._files, name)

    def get_run_by_id(self, run_id: str) -> RunDetail | None:
        if not checks.is_safe_id(run_id):
            return None
        doc, expected = runs.run_record(self._files, run_id)
        if doc is None:
            return None
        step_docs, artifact_docs, read = step_chunks.read(self._files, run_id)
        presence.check_steps(self._files, doc, expected, len(read))
        crash_view(doc, step_docs, lease=leases.tester(self.root))
        where = self._where(read[0] if read else layout.steps_file(run_id))
        return RunDetail(
            run=from_doc(Run, doc, where=self._where(layout.run_file(run_id))),
            steps=tuple(from_doc(StepRun, d, where=where) for d in step_docs),
            artifacts={aid: from_doc(Artifact, d, where=where) for aid, d in artifact_docs.items()},
        )

    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None, *, offset: int = 0, name_contains: str | None = None) -> list[Run]:
        if limit is not None and limit <= 0:
            return []
        docs = pipelines.pipeline_docs(self._files)
        if pipeline_name is not None:
            docs = [p for p in docs if p["name"] == pipeline_name]
        return [from_doc(Run, doc, where=self._where(layout.run_file(doc.get("id", "?"))))
                for doc in runs.list_docs(self._files, docs, status, limit, offset, name_contains)]

    def query_runs(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                   tags: Sequence[str] = (), since: Any = None, until: Any = None) -> Iterator[RunRow]:
        query = checks.RunQuery(pipeline_name=pipeline_name, status=status, tags=tags, since=since, until=until)
        docs = pipelines.pipeline_docs(self._files)
        if pipeline_name is not None:
            docs = [p for p in docs if p["name"] == pipeline_name]
        return rows.query(self._files, docs, query)

    # ------------------------------------------------------------------ cache
    def cache_candidates(self, cache_key: str) -> list[CacheEntry]:
        if type(cache_key) is not str or not cache_key:
            return []
        docs, relpath = cache_index.candidates(self._files, cache_key)
        where = self._where(relpath)
        return [from_doc(CacheEntry, doc, where=where) for doc in docs]

    # ------------------------------------------------------------------ copies
    def import_version(self, version: Version, *, pipeline_id: str, pipeline_created: str) -> Registration:
        name, version_hash = version.pipeline_name, version.hash
        spec = checks.registration(name, version_hash, version.spec)
        found = pipelines.known_registration(self._files, name, version_hash)
        if found is not None:
            return found
        return self._write(lambda txn: pipelines.register(
            txn, self._files, name, version_hash, spec, pipeline_id=pipeline_id, pipeline_created=pipeline_created,
            version_created=version.created))

    def import_runs(self, details: Sequence[RunDetail]) -> list[str]:
        checked = [checks.imported_run(detail) for detail in details]
        return self._write(lambda txn: [imports.import_run(txn, *one) for one in checked])

    def evict_cache_entries(self, cache_key: str, artifact_id: str) -> int:
        if type(cache_key) is not str or not cache_key or not os.path.exists(self._files.path(
                layout.cache_file(cache_key))):
            return 0
        return self._write(lambda txn: cache_index.evict(txn, cache_key, artifact_id))

    # ------------------------------------------------------------------ maintenance
    def mark_crashed_runs(self) -> list[str]:
        """Persist ``crashed`` for running runs whose process died; return their ids.

        Finding any dead owner (even one that died while closing its run) also removes
        the store's temp files, in the same locked transaction — where every temp file is
        a leftover. Costs one read of ``pipelines.json`` when nothing crashed.
        """
        if not maintenance.any_dead_owner(self._files):
            return []

        def mark(txn: Transaction) -> list[str]:
            marked, any_dead = maintenance.mark_crashed(txn)
            if any_dead:
                maintenance.remove_temp_files(self.root)
            return marked

        marked = self._write(mark)
        self._discard_leases(marked)
        return marked

    def run_lease(self, run_id: str) -> contextlib.AbstractContextManager[str | None]:
        """A file lock on ``leases/<run_id>`` below the root (``leases.run_lease``)."""
        return leases.run_lease(self.root, checks.check_id(run_id, "run_id"))

    def _discard_leases(self, run_ids: Iterable[str]) -> None:
        """Remove the lease files runs that crashed (or were deleted) left behind."""
        for run_id in run_ids:
            leases.discard(leases.lease_file(self.root, run_id))

    def cleanup_temp_files(self) -> int:
        """Remove the temp files of writes that crashed; return how many. Taken under the
        store lock: temp files exist only while a writer holds it, so every one found then
        is a leftover. Walks the whole store: call it rarely (``framework gc`` does)."""
        if not os.path.isdir(self.root):
            return 0
        with self._files.locked():
            return maintenance.remove_temp_files(self.root)

    def temp_files(self) -> list[str]:
        """Paths of the store's temp files (meaningful under `exclusive`: gc's report)."""
        return list(maintenance.temp_files(self.root)) if os.path.isdir(self.root) else []

    def referenced_artifact_ids(self) -> set[str]:
        return maintenance.referenced_artifact_ids(self._files)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        if not os.path.isdir(self.root):
            yield  # no store yet: nothing to hold off (and nothing is created)
            return
        with self._files.locked():
            yield

    def describe(self) -> dict[str, Any]:
        return {"backend": "tinydb", "location": self.root}

    def doctor(self, *, repair: bool = False) -> dict[str, Any]:
        """Every file checked (``doctor``); ``repair`` rebuilds indexes, name claims, pipelines and
        cache files from the run records and seals the store (``rebuild``)."""
        from framework.metadata.tinydb import doctor, rebuild

        if not os.path.isdir(self.root):
            return {"backend": "tinydb", "location": self.root, "files": 0, "runs": 0, "problems": []}
        return rebuild.repair(self._files) if repair else doctor.report(self._files)

