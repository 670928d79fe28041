"""``MetadataStore``: pipelines, versions, runs, step runs, artifacts and the cache index.

Plain dicts in and out. Every write is one ``StoreFiles.transaction()`` (lock, fresh read,
atomic replace of the few files it changes) through ``_write``; every read is a lock-free
fresh read of the one or two files it needs. No operation a run performs reads or writes
a file whose size grows with the number of stored runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, TypeVar

from tinydb import TinyDB
from tinydb.table import Table

from framework.exceptions import DuplicateRunNameError
from framework.metadata import layout, run_index
from framework.metadata.liveness import crash_view, is_dead, process_token, this_host
from framework.metadata.records import Registration
from framework.metadata.storage import StoreFiles, Transaction
from framework.metadata.strict_json import to_strict_json

MAX_CACHE_ENTRIES = 8  # newest completed step runs kept per cache key (each is read by every lookup)
_RUN_REQUIRED = ("id", "name", "pipeline_name", "pipeline_id", "version", "status", "start_time")
_T = TypeVar("_T")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _replace_with(new: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def replace(doc: dict[str, Any]) -> None:
        doc.clear()
        doc.update(new)

    return replace


def _upsert_by_id(table: Table, docs: list[dict[str, Any]]) -> None:
    """Replace the documents whose ``id`` matches, append the others (keeping their order).

    An id given twice counts once: the last version, at the first one's place.
    """
    if not docs:
        return
    docs = list({doc["id"]: doc for doc in docs}.values())
    wanted = {doc["id"] for doc in docs}
    existing = {d["id"]: d.doc_id for d in table.search(lambda d: d.get("id") in wanted)}
    for doc in docs:
        if doc["id"] in existing:
            table.update(_replace_with(doc), doc_ids=[existing[doc["id"]]])
    table.insert_multiple(doc for doc in docs if doc["id"] not in existing)


def _first(db: TinyDB, table: str) -> dict[str, Any] | None:
    docs = db.table(table).all()
    return dict(docs[0]) if docs else None


class MetadataStore:
    """The metadata of every pipeline run below ``root`` (created on the first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._files = StoreFiles(root)
        self._steps_chunk: dict[str, int] = {}  # run id -> its newest steps chunk, as last written here

    @property
    def root(self) -> str:
        return self._files.root

    def __repr__(self) -> str:
        return f"MetadataStore({self.root!r})"

    # ------------------------------------------------------------------ the write funnel
    def _write(self, operation: Callable[[Transaction], _T], *, durable: bool = True) -> _T:
        """Run ``operation`` as one transaction: every mutation of the store passes here.

        ``durable=False`` (step records during a run) defers the directory fsyncs to the
        next durable transaction of this object — ``finish_run`` at the latest.
        """
        with self._files.transaction(durable=durable) as txn:
            return operation(txn)

    # ------------------------------------------------------------------ writes
    def register_pipeline(self, name: str, version_hash: str, spec: dict[str, Any]) -> Registration:
        """The version of pipeline ``name`` whose definition hashes to ``version_hash``.

        Same name and hash → that existing version (no write). A new hash → version max+1.
        """
        if type(name) is not str or not name:
            raise ValueError(f"pipeline name must be a non-empty str, got {name!r}")
        if type(version_hash) is not str or not version_hash:
            raise ValueError(f"version_hash must be a non-empty str, got {version_hash!r}")
        spec = to_strict_json(spec, "spec")
        found = self._find_registration(
            self._files.snapshot(layout.PIPELINES), self._files.snapshot(layout.VERSIONS),
            name, version_hash,
        )  # fast path: a known version needs no lock and no write
        if found is not None:
            return found

        def register(txn: Transaction) -> Registration:
            pipelines_db, versions_db = txn.db(layout.PIPELINES), txn.db(layout.VERSIONS)
            again = self._find_registration(pipelines_db, versions_db, name, version_hash)
            if again is not None:
                return again
            now = _now()
            pipelines = pipelines_db.table("pipelines")
            pipeline = next((doc for doc in pipelines if doc["name"] == name), None)
            pipeline_id = pipeline["id"] if pipeline else uuid.uuid4().hex
            versions = versions_db.table("versions")
            number = 1 + max(
                (v["number"] for v in versions if v["pipeline_id"] == pipeline_id), default=0
            )
            # The version first, then the pipeline that points at it (first-change order).
            versions.insert({
                "pipeline_id": pipeline_id, "pipeline_name": name, "number": number,
                "hash": version_hash, "spec": spec, "created": now,
            })
            if pipeline is None:
                pipelines.insert({
                    "id": pipeline_id, "name": name, "created": now, "latest_version": number,
                    "last_run_id": None, "run_count": 0, "index_chunk": 0,
                })
            else:
                pipelines.update({"latest_version": number}, doc_ids=[pipeline.doc_id])
            return Registration(pipeline_id, number, pipeline is None, True)

        return self._write(register)

    @staticmethod
    def _find_registration(
        pipelines_db: TinyDB, versions_db: TinyDB, name: str, version_hash: str
    ) -> Registration | None:
        pipeline = next((p for p in pipelines_db.table("pipelines") if p["name"] == name), None)
        if pipeline is None:
            return None
        for version in versions_db.table("versions"):
            if version["pipeline_id"] == pipeline["id"] and version["hash"] == version_hash:
                return Registration(pipeline["id"], version["number"], False, False)
        return None

    def create_run(self, run: dict[str, Any]) -> None:
        """Store a new run; ``DuplicateRunNameError`` (nothing written) if its name is taken.

        Writes, in this order: the run file, the name claim, the pipeline's run index, and
        ``pipelines.json`` (``last_run_id``, ``run_count``, the ``running`` table).
        """
        run = to_strict_json(run, "run")
        if type(run) is not dict:
            raise ValueError(f"run must be a dict, got {type(run).__name__}")
        missing = [key for key in _RUN_REQUIRED if key not in run]
        if missing:
            raise ValueError(f"run is missing the field(s) {', '.join(missing)}")
        run_id = layout.check_id(run["id"], "run['id']")
        name = run["name"]
        if type(name) is not str or not name:
            raise ValueError(f"run['name'] must be a non-empty str, got {name!r}")
        if run.get("host") == this_host() and type(run.get("pid")) is int:
            run["process_start"] = process_token(run["pid"])

        def create(txn: Transaction) -> None:
            names = txn.db(layout.name_file(name)).table("names")
            taken = next((doc for doc in names if doc["name"] == name), None)
            if taken is not None:
                raise DuplicateRunNameError(
                    f"A run named '{name}' already exists (run id {taken['run_id']}); run names "
                    "are unique in the store and the existing run was left untouched. Choose "
                    "another name, or put the {date} and {time} placeholders in run_name "
                    "(e.g. run_name='my_run-{date}-{time}') so each run gets its own."
                )
            pipelines = txn.db(layout.PIPELINES).table("pipelines")
            pipeline = next((p for p in pipelines if p["id"] == run["pipeline_id"]), None)
            if pipeline is None or pipeline["name"] != run["pipeline_name"]:
                raise ValueError(
                    f"run '{name}' names pipeline '{run['pipeline_name']}' with id "
                    f"{run['pipeline_id']!r}, which is not registered; call register_pipeline first"
                )
            run_db = txn.db(layout.run_file(run_id))
            if txn.exists(layout.run_file(run_id)):
                raise ValueError(f"a run with id {run_id} already exists")
            run_db.table("run").insert(run)
            names.insert({"name": name, "run_id": run_id})
            chunk = pipeline.get("index_chunk", 0)
            index = txn.db(layout.index_file(pipeline["id"], chunk)).table("runs")
            if len(index) >= layout.INDEX_CHUNK:
                chunk += 1
                index = txn.db(layout.index_file(pipeline["id"], chunk)).table("runs")
            index.insert({"run_id": run_id, "start_time": run["start_time"]})
            pipelines.update(
                {"last_run_id": run_id, "run_count": pipeline.get("run_count", 0) + 1,
                 "index_chunk": chunk},
                doc_ids=[pipeline.doc_id],
            )
            if run["status"] == "running":
                txn.db(layout.PIPELINES).table("running").insert({
                    "run_id": run_id, "host": run.get("host"), "pid": run.get("pid"),
                    "process_start": run.get("process_start"),
                })

        self._write(create)

    def record_step(self, run_id: str, step_run: dict[str, Any], artifacts: list[dict[str, Any]]) -> None:
        """Upsert ``step_run`` (by its ``id``) and ``artifacts`` (by ``id``) into the run.

        A ``completed`` step run with a ``cache_key`` also becomes the newest entry of that
        key's cache file (written after the run file).
        """
        self.record_steps(run_id, [(step_run, artifacts)])

    def record_steps(
        self, run_id: str, records: list[tuple[dict[str, Any], list[dict[str, Any]]]], *, durable: bool = True
    ) -> None:
        """``record_step`` for several ``(step_run, artifacts)`` pairs, in order, as ONE transaction.

        The launcher records a run's cached and skipped steps this way together with the
        next executed step (or with ``finish_run``), so they cost no transaction of their
        own. ``durable=False``: see ``_write``.
        """
        layout.check_id(run_id, "run_id")
        prepared = [self._prepare_step(run_id, step, artifacts) for step, artifacts in records]
        if not prepared:
            return

        def record(txn: Transaction) -> int:
            if not txn.exists(layout.run_file(run_id)):
                raise KeyError(f"no run with id {run_id} in the metadata store at {self.root}")
            return self._write_steps(txn, run_id, prepared)

        self._steps_chunk[run_id] = self._write(record, durable=durable)

    @staticmethod
    def _prepare_step(
        run_id: str, step_run: dict[str, Any], artifacts: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
        """Validate one step record: (step run, artifacts, cache entry or None)."""
        step = to_strict_json(step_run, "step_run")
        if type(step) is not dict or type(step.get("id")) is not str or not step["id"]:
            raise ValueError("step_run must be a dict with a non-empty str 'id'")
        new_artifacts = to_strict_json(list(artifacts), "artifacts")
        for index, artifact in enumerate(new_artifacts):
            if type(artifact) is not dict or type(artifact.get("id")) is not str:
                raise ValueError(f"artifacts[{index}] must be a dict with a str 'id'")
        entry = None
        cache_key = step.get("cache_key")
        if step.get("status") == "completed" and cache_key:
            if type(cache_key) is not str:
                raise ValueError(f"step_run.cache_key must be a str, got {cache_key!r}")
            entry = {
                "cache_key": cache_key, "run_id": run_id, "step_run_id": step["id"],
                "outputs": step.get("outputs") or {},
                "artifacts": {artifact["id"]: artifact for artifact in new_artifacts},
                "created": step.get("end_time") or step.get("start_time") or _now(),
            }
        return step, new_artifacts, entry

    def _steps_chunk_for(self, txn: Transaction, run_id: str) -> int:
        """The steps chunk new step runs go to: the newest one, or a fresh one when it is full."""
        chunk = self._steps_chunk.get(run_id, 0)
        while txn.exists(layout.steps_file(run_id, chunk + 1)):  # another writer (crash marking) went on
            chunk += 1
        if len(txn.db(layout.steps_file(run_id, chunk)).table("step_runs")) >= layout.STEPS_CHUNK:
            chunk += 1
        return chunk

    def _write_steps(self, txn: Transaction, run_id: str, prepared: list[tuple[Any, Any, Any]]) -> int:
        """Upsert prepared step records into the run's newest steps chunk, then their cache entries.

        A step run already stored in an older chunk gets its new version in the newest
        one; readers keep each step run at its first place with its last version.
        """
        chunk = self._steps_chunk_for(txn, run_id)
        steps_db = txn.db(layout.steps_file(run_id, chunk))
        _upsert_by_id(steps_db.table("step_runs"), [step for step, _, _ in prepared])
        _upsert_by_id(steps_db.table("artifacts"), [a for _, artifacts, _ in prepared for a in artifacts])
        for step, _, entry in prepared:
            if entry is None:
                continue
            entries = txn.db(layout.cache_file(entry["cache_key"]), index=True).table("entries")
            entries.remove(lambda doc: doc.get("step_run_id") == step["id"])
            entries.insert(entry)
            docs = sorted(entries.all(), key=lambda doc: (doc.get("created") or "", doc.doc_id))
            if len(docs) > MAX_CACHE_ENTRIES:
                entries.remove(doc_ids=[doc.doc_id for doc in docs[:-MAX_CACHE_ENTRIES]])
        return chunk

    def finish_run(
        self, run_id: str, status: str, end_time: str, duration: float, error: str | None = None,
        *, steps: list[tuple[dict[str, Any], list[dict[str, Any]]]] | None = None,
    ) -> None:
        """Set the run's final status, end time, duration (s) and error text.

        ``steps``: step records not yet written (``record_steps`` pairs), stored first in
        the same transaction. Also makes every earlier non-durable write of this object durable.
        """
        layout.check_id(run_id, "run_id")
        fields = to_strict_json(
            {"status": status, "end_time": end_time, "duration": duration, "error": error}, "finish_run"
        )
        prepared = [self._prepare_step(run_id, step, artifacts) for step, artifacts in steps or ()]

        def finish(txn: Transaction) -> int | None:
            run_db = txn.db(layout.run_file(run_id))
            if not txn.exists(layout.run_file(run_id)):
                raise KeyError(f"no run with id {run_id} in the metadata store at {self.root}")
            chunk = self._write_steps(txn, run_id, prepared) if prepared else None  # steps first
            run_db.table("run").update(fields)
            if status != "running":
                running = txn.db(layout.PIPELINES).table("running")
                gone = [doc.doc_id for doc in running if doc.get("run_id") == run_id]
                if gone:
                    running.remove(doc_ids=gone)
            return chunk

        chunk = self._write(finish)
        if chunk is not None:
            self._steps_chunk[run_id] = chunk

    def mark_crashed_runs(self, *, remove_temp_files: bool = False) -> list[str]:
        """Persist ``crashed`` for running runs whose process died; return their ids.

        With ``remove_temp_files``, finding any dead process (even one that died while
        closing its run) also removes the store's temp files, in the same locked
        transaction — where every temp file is a leftover (see `cleanup_temp_files`).
        """
        snapshot = self._files.snapshot(layout.PIPELINES).table("running").all()
        if not any(is_dead(e.get("host"), e.get("pid"), e.get("process_start")) for e in snapshot):
            return []

        def mark(txn: Transaction) -> list[str]:
            running = txn.db(layout.PIPELINES).table("running")
            marked, done = [], []
            for entry in running.all():
                if not is_dead(entry.get("host"), entry.get("pid"), entry.get("process_start")):
                    continue
                run_db = txn.db(layout.run_file(entry["run_id"]))
                run = _first(run_db, "run")
                if run is not None and run.get("status") == "running":
                    # steps first: a crash in between leaves a run still shown as crashed
                    chunk = 0
                    while txn.exists(layout.steps_file(entry["run_id"], chunk)):
                        txn.db(layout.steps_file(entry["run_id"], chunk)).table("step_runs").update(
                            {"status": "crashed"}, cond=lambda doc: doc.get("status") == "running"
                        )
                        chunk += 1
                    run_db.table("run").update({
                        "status": "crashed",
                        "error": f"process {entry.get('pid')} on {entry.get('host')} ended "
                                 "without finishing the run",
                    })
                    marked.append(entry["run_id"])
                done.append(entry.doc_id)
            if done:
                running.remove(doc_ids=done)
                if remove_temp_files:
                    self._remove_temp_files()
            return marked

        return self._write(mark)

    def cleanup_temp_files(self) -> int:
        """Remove the temp files of writes that crashed (``.<file>.<hex>.tmp``); return how many.

        Taken under the store lock: temp files exist only while a writer holds it, so every
        one found then is a leftover. Walks the whole store: call it rarely (the launcher
        does when it finds a crashed run; ``framework gc`` does too).
        """
        if not os.path.isdir(self.root):
            return 0
        return self._write(lambda _txn: self._remove_temp_files())

    def _remove_temp_files(self) -> int:
        """Delete every ``.*.tmp`` below the root; only ever called holding the store lock."""
        removed = 0
        for directory, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".") and name.endswith(".tmp"):
                    try:
                        os.unlink(os.path.join(directory, name))
                    except FileNotFoundError:
                        continue
                    removed += 1
        return removed

    # ------------------------------------------------------------------ reads
    def get_run_by_id(self, run_id: str) -> dict[str, Any] | None:
        """The run with ``step_runs`` (execution order) and ``artifacts`` (id → artifact)."""
        if not layout.is_safe_id(run_id):
            return None
        run = _first(self._files.snapshot(layout.run_file(run_id)), "run")
        if run is None:
            return None
        run["step_runs"], run["artifacts"] = self._read_steps(run_id)
        crash_view(run, run["step_runs"])
        return run

    def _read_steps(self, run_id: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """The run's step runs (each at its first place, in its last version) and artifacts,
        merged from its steps chunks 0, 1, … up to the first missing one."""
        step_runs: dict[str, dict[str, Any]] = {}
        artifacts: dict[str, dict[str, Any]] = {}
        chunk = 0
        while True:
            tables = self._files.snapshot(layout.steps_file(run_id, chunk)).storage.read()
            if tables is None:
                break
            for doc in (tables.get("step_runs") or {}).values():
                step_runs[doc.get("id")] = dict(doc)
            for doc in (tables.get("artifacts") or {}).values():
                artifacts[doc["id"]] = dict(doc)
            chunk += 1
        return list(step_runs.values()), artifacts

    def _run_id_for_name(self, name: str) -> str | None:
        for doc in self._files.snapshot(layout.name_file(name)).table("names"):
            if doc["name"] == name:
                return doc["run_id"]
        return None

    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        """The run with this name, else with this id, else ``None``."""
        if type(name_or_id) is not str or not name_or_id:
            return None
        run_id = self._run_id_for_name(name_or_id)
        return self.get_run_by_id(run_id if run_id is not None else name_or_id)

    def get_step_run(self, run_id: str, step_run_id: str) -> dict[str, Any] | None:
        """One step run of one run (step run ids are unique within their run)."""
        if not layout.is_safe_id(run_id):
            return None
        run = _first(self._files.snapshot(layout.run_file(run_id)), "run")
        if run is None:
            return None
        steps, _ = self._read_steps(run_id)
        step = next((doc for doc in steps if doc.get("id") == step_run_id), None)
        if step is not None:
            crash_view(run, [step])
        return step

    def list_runs(
        self, pipeline_name: str | None = None, status: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Run records (without step runs), newest ``start_time`` first."""
        if limit is not None and limit <= 0:
            return []
        pipelines = self.list_pipelines()
        if pipeline_name is not None:
            pipelines = [p for p in pipelines if p["name"] == pipeline_name]
        runs: list[dict[str, Any]] = []
        for entry in run_index.newest_first(self._files, pipelines):
            run = _first(self._files.snapshot(layout.run_file(entry["run_id"])), "run")
            if run is None:
                continue  # an index entry whose run file never made it (crash mid-commit)
            crash_view(run)
            if status is not None and run.get("status") != status:
                continue
            runs.append(run)
            if limit is not None and len(runs) >= limit:
                break
        return runs

    def get_pipeline(self, name: str) -> dict[str, Any] | None:
        """``{id, name, created, latest_version, last_run_id, run_count, index_chunk}`` or ``None``.

        ``index_chunk`` is the number of the pipeline's newest run index file.
        """
        for doc in self._files.snapshot(layout.PIPELINES).table("pipelines"):
            if doc["name"] == name:
                return dict(doc)
        return None

    def list_pipelines(self) -> list[dict[str, Any]]:
        docs = self._files.snapshot(layout.PIPELINES).table("pipelines").all()
        return sorted((dict(doc) for doc in docs), key=lambda p: p["name"])

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        """The versions of pipeline ``name``, ascending by number."""
        pipeline = self.get_pipeline(name)
        if pipeline is None:
            return []
        versions = self._files.snapshot(layout.VERSIONS).table("versions")
        mine = [dict(v) for v in versions if v["pipeline_id"] == pipeline["id"]]
        return sorted(mine, key=lambda v: v["number"])

    def cache_candidates(self, cache_key: str) -> list[dict[str, Any]]:
        """Completed step runs stored under ``cache_key``, newest first (at most 8).

        The caller still checks that artifacts exist and verify (and may skip runs it
        does not trust); a failed or cached step run never becomes an entry.
        """
        if type(cache_key) is not str or not cache_key:
            return []
        # The parsed file itself, not TinyDB documents: this runs for every step of every
        # cached run (a full cache file: 8 entries, ~7 KB for a one-output step).
        tables = self._files.snapshot(layout.cache_file(cache_key)).storage.read() or {}
        mine = [(doc.get("created") or "", int(doc_id), doc)
                for doc_id, doc in (tables.get("entries") or {}).items() if doc.get("cache_key") == cache_key]
        mine.sort(key=lambda item: item[:2], reverse=True)
        return [doc for _created, _doc_id, doc in mine]

    def referenced_artifact_ids(self) -> set[str]:
        """Every artifact id a run or cache entry refers to (a full scan: for the GC only)."""
        ids: set[str] = set()
        for path in self._store_files("runs", ".json"):
            if not layout.STEPS_FILE_NAME.match(path.rpartition("/")[2]):
                continue
            db = self._files.snapshot(path)
            ids.update(doc["id"] for doc in db.table("artifacts"))
            for step in db.table("step_runs"):
                ids.update(v for v in (step.get("outputs") or {}).values() if type(v) is str)
        for path in self._store_files("cache", ".json"):
            for entry in self._files.snapshot(path).table("entries"):
                ids.update(entry.get("artifacts") or {})
                ids.update(v for v in (entry.get("outputs") or {}).values() if type(v) is str)
        return ids

    def _store_files(self, top: str, suffix: str) -> Iterator[str]:
        """Relative paths of the live ``*<suffix>`` files two levels below ``top``."""
        try:
            shards = sorted(entry.name for entry in os.scandir(self._files.path(top)) if entry.is_dir())
        except FileNotFoundError:
            return
        for shard in shards:
            for entry in os.scandir(self._files.path(f"{top}/{shard}")):
                if entry.name.endswith(suffix) and not entry.name.startswith("."):
                    yield f"{top}/{shard}/{entry.name}"
