"""`InMemoryStore`: the metadata-store contract in one process's memory.

Why it exists: it proves the contract is backend-free — the launcher, the client, gc and
the contract test suite run on it unchanged — and it is the smallest reading of the
contract for anyone writing a new backend. Records are kept as the same checked
documents the file backend writes (``checks``), so a value one backend refuses every
backend refuses, and callers never share mutable state with the store. One lock makes
each write a transaction; reads copy under it.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from framework.exceptions import DuplicateRunNameError
from framework.liveness import crash_view, is_dead
from framework.metadata import checks
from framework.metadata.memory_history import MemoryHistory, copy_doc
from framework.metadata.protocol import MAX_CACHE_ENTRIES, MetadataStore, StepRecord
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


class InMemoryStore(MemoryHistory, MetadataStore):
    """Everything in dicts; gone with the object."""

    location = "memory"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pipelines: dict[str, dict[str, Any]] = {}  # name -> pipeline doc
        self._versions: list[dict[str, Any]] = []
        self._runs: dict[str, dict[str, Any]] = {}  # id -> run doc (insertion = creation order)
        self._names: dict[str, str] = {}  # run name -> id
        self._steps: dict[str, dict[str, dict[str, Any]]] = {}  # run id -> step run id -> doc (first-recorded order)
        self._artifacts: dict[str, dict[str, dict[str, Any]]] = {}  # run id -> artifact id -> doc
        self._cache: dict[str, list[dict[str, Any]]] = {}  # key -> entries, oldest first
        self._store_id = uuid.uuid4().hex  # every in-memory store is a store of its own

    @property
    def store_id(self) -> str:
        return self._store_id

    def __repr__(self) -> str:
        return "InMemoryStore()"

    # ------------------------------------------------------------------ pipelines
    def register_pipeline(self, name: str, version_hash: str, spec: dict[str, Any]) -> Registration:
        return self._register(name, version_hash, spec)

    def _register(self, name: str, version_hash: str, spec: dict[str, Any], *, pipeline_id: str | None = None,
                  pipeline_created: str | None = None, version_created: str | None = None) -> Registration:
        spec = checks.registration(name, version_hash, spec)
        with self._lock:
            pipeline = self._pipelines.get(name)
            if pipeline is not None:
                for version in self._versions:
                    if version["pipeline_id"] == pipeline["id"] and version["hash"] == version_hash:
                        return Registration(pipeline["id"], version["number"], False, False)
            now = checks.now()
            if pipeline is None and (pipeline_id is None or any(p["id"] == pipeline_id
                                                                for p in self._pipelines.values())):
                pipeline_id = uuid.uuid4().hex
            pipeline_id = pipeline["id"] if pipeline else pipeline_id
            number = 1 + max((v["number"] for v in self._versions if v["pipeline_id"] == pipeline_id), default=0)
            self._versions.append({"pipeline_id": pipeline_id, "pipeline_name": name, "number": number,
                                   "hash": version_hash, "spec": spec, "created": version_created or now})
            if pipeline is None:
                self._pipelines[name] = {"id": pipeline_id, "name": name, "created": pipeline_created or now,
                                         "latest_version": number, "last_run_id": None, "run_count": 0}
            else:
                pipeline["latest_version"] = number
            return Registration(pipeline_id, number, pipeline is None, True)

    def get_pipeline(self, name: str) -> Pipeline | None:
        with self._lock:
            doc = self._pipelines.get(name)
            return from_doc(Pipeline, dict(doc)) if doc is not None else None

    def list_pipelines(self) -> list[Pipeline]:
        with self._lock:
            return [from_doc(Pipeline, dict(self._pipelines[name])) for name in sorted(self._pipelines)]

    def list_versions(self, name: str) -> list[Version]:
        with self._lock:
            pipeline = self._pipelines.get(name)
            if pipeline is None:
                return []
            mine = [v for v in self._versions if v["pipeline_id"] == pipeline["id"]]
            return [from_doc(Version, copy_doc(v)) for v in sorted(mine, key=lambda v: v["number"])]

    # ------------------------------------------------------------------ runs: writes
    def create_run(self, run: Run) -> Run:
        doc = checks.run_document(run)
        with self._lock:
            taken = self._names.get(doc["name"])
            if taken is not None:
                raise DuplicateRunNameError(
                    f"A run named '{doc['name']}' already exists (run id {taken}); run names are unique in "
                    "the store and the existing run was left untouched. Choose another name, or put the "
                    "{date} and {time} placeholders in run_name so each run gets its own.")
            pipeline = self._pipelines.get(doc["pipeline_name"])
            if pipeline is None or pipeline["id"] != doc["pipeline_id"]:
                raise ValueError(f"run '{doc['name']}' names pipeline '{doc['pipeline_name']}' with id "
                                 f"{doc['pipeline_id']!r}, which is not registered; call register_pipeline first")
            if doc["id"] in self._runs:
                raise ValueError(f"a run with id {doc['id']} already exists")
            self._runs[doc["id"]] = doc
            self._names[doc["name"]] = doc["id"]
            self._steps[doc["id"]], self._artifacts[doc["id"]] = {}, {}
            pipeline["last_run_id"] = doc["id"]
            pipeline["run_count"] += 1
        return attrs.evolve(run, process_start=doc.get("process_start"))

    def _write_steps(self, run_id: str, prepared: list[checks.Prepared]) -> None:
        steps, artifacts = self._steps[run_id], self._artifacts[run_id]
        for step_doc, artifact_docs, entry in prepared:
            steps[step_doc["id"]] = step_doc  # an existing key keeps its place
            for doc in artifact_docs:
                artifacts[doc["id"]] = doc
            if entry is not None:
                entries = [e for e in self._cache.get(entry["cache_key"], []) if e["step_run_id"] != entry["step_run_id"]]
                entries.append(entry)
                entries.sort(key=lambda e: e.get("created") or "")
                self._cache[entry["cache_key"]] = entries[-MAX_CACHE_ENTRIES:]

    def _known_run(self, run_id: str) -> None:
        if run_id not in self._runs:
            raise KeyError(f"no run with id {run_id} in the in-memory metadata store")

    def record_steps(self, run_id: str, records: Sequence[StepRecord], *, durable: bool = True) -> None:
        prepared = checks.step_records(run_id, records)
        if not prepared:
            return
        with self._lock:
            self._known_run(run_id)
            self._write_steps(run_id, prepared)

    def finish_run(self, run_id: str, *, status: str, end_time: str, duration: float,
                   error: str | None = None, steps: Sequence[StepRecord] = (),
                   metadata: dict[str, Any] | None = None, summary: dict[str, Any] | None = None) -> None:
        fields = checks.closing_fields(status, end_time, duration, error)
        metadata, summary = checks.closing_extras(metadata, summary)
        prepared = checks.step_records(run_id, steps)
        with self._lock:
            self._known_run(run_id)
            self._write_steps(run_id, prepared)
            run = self._runs[run_id]
            run.update(fields)
            if metadata:
                run["metadata"] = checks.merge_metadata(run.get("metadata") or {}, metadata)
            if summary is not None:
                run["summary"] = summary

    # ------------------------------------------------------------------ runs: reads
    def run_id_for_name(self, name: str) -> str | None:
        with self._lock:
            return self._names.get(name)

    def _run_doc(self, run_id: str) -> dict[str, Any]:
        doc = copy_doc(self._runs[run_id])
        crash_view(doc)
        return doc

    def get_run_by_id(self, run_id: str) -> RunDetail | None:
        with self._lock:
            if run_id not in self._runs:
                return None
            run = copy_doc(self._runs[run_id])
            steps = [copy_doc(d) for d in self._steps[run_id].values()]
            artifacts = {aid: copy_doc(d) for aid, d in self._artifacts[run_id].items()}
        crash_view(run, steps)
        return RunDetail(run=from_doc(Run, run), steps=tuple(from_doc(StepRun, d) for d in steps),
                         artifacts={aid: from_doc(Artifact, d) for aid, d in artifacts.items()})

    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None, *, offset: int = 0, name_contains: str | None = None) -> list[Run]:
        if limit is not None and limit <= 0:
            return []
        with self._lock:
            docs = [self._run_doc(run_id) for run_id in self._runs]
        needle = name_contains.casefold() if name_contains else None
        docs = [d for d in docs if (pipeline_name is None or d["pipeline_name"] == pipeline_name)
                and (status is None or d["status"] == status)
                and (needle is None or needle in d["name"].casefold())]
        docs.sort(key=lambda d: (d["start_time"], d["id"]), reverse=True)
        return [from_doc(Run, d) for d in docs[offset:][:limit]]

    def query_runs(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                   tags: Sequence[str] = (), since: Any = None, until: Any = None) -> Iterator[RunRow]:
        query = checks.RunQuery(pipeline_name=pipeline_name, status=status, tags=tags, since=since, until=until)
        with self._lock:
            docs = [self._run_doc(run_id) for run_id in self._runs]
        docs.sort(key=lambda d: (d["start_time"], d["id"]), reverse=True)
        return iter([checks.row_record(checks.row_document(d)) for d in docs if query.accepts(d)])

    # ------------------------------------------------------------------ cache
    def cache_candidates(self, cache_key: str) -> list[CacheEntry]:
        with self._lock:
            entries = [copy_doc(e) for e in self._cache.get(cache_key, [])]
        return [from_doc(CacheEntry, e) for e in reversed(entries)]

    # ------------------------------------------------------------------ copies
    def import_version(self, version: Version, *, pipeline_id: str, pipeline_created: str) -> Registration:
        return self._register(version.pipeline_name, version.hash, version.spec, pipeline_id=pipeline_id,
                              pipeline_created=pipeline_created, version_created=version.created)

    def import_runs(self, details: Sequence[RunDetail]) -> list[str]:
        checked = [checks.imported_run(detail) for detail in details]
        outcomes = []
        with self._lock:
            for doc, prepared, artifacts in checked:
                pipeline = self._pipelines.get(doc["pipeline_name"])
                if pipeline is None or pipeline["id"] != doc["pipeline_id"]:
                    raise ValueError(f"run '{doc['name']}': pipeline '{doc['pipeline_name']}' is not registered "
                                     f"with id {doc['pipeline_id']!r}; import its versions first")
                if doc["id"] in self._runs:
                    outcomes.append("present")
                    continue
                if doc["name"] in self._names:
                    outcomes.append("name-taken")
                    continue
                self._runs[doc["id"]] = doc
                self._names[doc["name"]] = doc["id"]
                self._steps[doc["id"]], self._artifacts[doc["id"]] = {}, {}
                self._write_steps(doc["id"], prepared)
                self._artifacts[doc["id"]].update({a["id"]: a for a in artifacts})
                last = self._runs.get(pipeline["last_run_id"] or "")
                if last is None or (last["start_time"], last["id"]) <= (doc["start_time"], doc["id"]):
                    pipeline["last_run_id"] = doc["id"]
                pipeline["run_count"] += 1
                outcomes.append("copied")
        return outcomes

    def evict_cache_entries(self, cache_key: str, artifact_id: str) -> int:
        with self._lock:
            entries = self._cache.get(cache_key, [])
            kept = [e for e in entries if artifact_id not in e["artifacts"]]
            self._cache[cache_key] = kept
            return len(entries) - len(kept)

    # ------------------------------------------------------------------ maintenance
    def mark_crashed_runs(self) -> list[str]:
        marked = []
        with self._lock:
            for run_id, doc in self._runs.items():
                if doc["status"] == "running" and is_dead(doc.get("host"), doc.get("pid"), doc.get("process_start")):
                    doc.update(status="crashed", error=f"process {doc.get('pid')} on {doc.get('host')} ended "
                                                       "without finishing the run")
                    for step in self._steps[run_id].values():
                        if step["status"] == "running":
                            step["status"] = "crashed"
                    marked.append(run_id)
        return marked

    def referenced_artifact_ids(self) -> set[str]:
        ids: set[str] = set()
        with self._lock:
            for run_id, steps in self._steps.items():
                ids.update(self._artifacts[run_id])
                for step in steps.values():
                    ids.update(v for v in step["outputs"].values() if type(v) is str)
            for entries in self._cache.values():
                for entry in entries:
                    ids.update(entry["artifacts"])
        return ids

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield
