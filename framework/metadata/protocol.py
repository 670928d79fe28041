"""The metadata-store contract: what the launcher, the client and gc need of a store.

Every backend — TinyDB files (the embedded default), the in-memory store the tests use,
a SQL database — implements these methods with the same meaning, and one contract test
suite (``tests/test_metadata_contract.py``) runs against each of them. Nothing here is
specific to a backend: records go in and come out as the typed values of
``framework.records``, never as a backend's documents.

The guarantees every backend gives (the launcher relies on them):

* **Uniqueness in the write.** A run name is claimed in the same transaction that stores
  the run; a taken name raises `DuplicateRunNameError` and writes nothing.
* **All or nothing.** Each write method is one transaction: on an error nothing of it is
  stored. Records a crash cuts short are never half-visible.
* **Order.** A run's step runs come back in the order they were first recorded, each
  once, in its last recorded version; runs are listed newest ``start_time`` first.
* **Liveness.** A ``running`` run whose owner process is known to be gone reads back as
  ``crashed`` (with its running step runs), before and after `mark_crashed_runs` persists it.
* **Empty means empty.** A store nothing was written to answers with empty lists and
  ``None``; a damaged one raises `StoreCorruptedError` (or its `RecordError`) naming what
  is damaged — it never silently starts over.
* **Cheap reads.** No read takes the write lock; the operations of a run cost the same
  with 10,000 runs stored as with none (`referenced_artifact_ids`, for gc, is the one
  full scan; `query_runs` reads one compact row per run it yields, never a run's steps).
* **Run history** (`query_runs`, `update_run`, `update_pipeline`, `update_step_run`,
  `delete_runs`, `delete_pipeline`, and ``metadata``/``summary`` in `finish_run`): the
  TinyDB, in-memory and PostgreSQL backends implement them; their defaults here (a slow
  `query_runs` over `list_runs`, ``NotImplementedError`` for the writes) keep a backend
  written before them storing and reading runs; the launcher then closes runs without a
  summary, which the read model computes from the steps instead.
* **Deletion is whole.** `delete_runs` and `delete_pipeline` remove everything of a run in
  one transaction — its record, its step runs and artifact records, its name (free for a
  new run), its cache entries, its place in listings and counters — or nothing. They
  refuse a run still owned by a live process. Artifact *files* are gc's business: a run
  that was cached from a deleted run keeps its own records of the artifacts it uses.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

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
)

#: A step run and the artifacts it produced (or, for a cached step, reuses).
StepRecord = tuple[StepRun, Sequence[Artifact]]

#: Newest completed step runs a store must keep per cache key (older ones may be dropped).
MAX_CACHE_ENTRIES = 8


class MetadataStore(abc.ABC):
    """Pipelines, versions, runs, step runs, artifact records and the cache index."""

    #: Where the store lives, for messages: a directory, a URL (without credentials), ``memory``.
    location: str

    @property
    def store_id(self) -> str:
        """A stable id of this store: the name of its reference records in shared artifact
        stores (``framework.artifacts.refs``). This default hashes `location`; a backend
        whose location can differ between its users (a home mounted elsewhere) keeps a
        generated id in the store instead."""
        import hashlib

        return hashlib.sha1(self.location.encode("utf-8")).hexdigest()[:32]

    def known_store_id(self) -> str | None:
        """`store_id` if the store has one already (None: it would be created by a write)."""
        return self.store_id

    # ------------------------------------------------------------------ pipelines
    @abc.abstractmethod
    def register_pipeline(self, name: str, version_hash: str, spec: dict[str, Any]) -> Registration:
        """The version of pipeline ``name`` whose definition hashes to ``version_hash``.

        Same name and hash → that existing version (nothing written). A new hash → version
        max+1 (the pipeline is created with version 1 if new). ``spec`` is strict JSON.
        """

    @abc.abstractmethod
    def get_pipeline(self, name: str) -> Pipeline | None:
        """The pipeline called ``name``, or None."""

    @abc.abstractmethod
    def list_pipelines(self) -> list[Pipeline]:
        """Every pipeline, by name."""

    @abc.abstractmethod
    def list_versions(self, name: str) -> list[Version]:
        """The versions of pipeline ``name``, ascending by number ([] for an unknown name)."""

    def update_pipeline(self, name: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                        notes: str | None = None) -> Pipeline:
        """Tags and notes of pipeline ``name``, as `update_run` changes a run's; return the
        pipeline as stored. ``KeyError`` if there is no such pipeline."""
        raise self._not_yet("update_pipeline (tags, notes)")

    # ------------------------------------------------------------------ runs: writes
    @abc.abstractmethod
    def create_run(self, run: Run) -> Run:
        """Store a new run and return it as stored (the store may add ``process_start``).

        `DuplicateRunNameError` if the name is taken; ``ValueError`` if the pipeline id is
        not registered under that name or the run id exists. Nothing is written then.
        """

    @abc.abstractmethod
    def record_steps(self, run_id: str, records: Sequence[StepRecord], *, durable: bool = True) -> None:
        """Upsert step runs (by id, within the run) and their artifacts (by id), in order, as
        one transaction. A ``completed`` step run with a ``cache_key`` becomes the newest
        entry of that key. ``durable=False`` lets the backend defer making the write durable
        until the next durable write of this object (`finish_run` at the latest); the
        records are visible to readers at once either way. ``KeyError`` for an unknown run.
        """

    def record_step(self, run_id: str, step: StepRun, artifacts: Sequence[Artifact] = ()) -> None:
        """`record_steps` for one step run."""
        self.record_steps(run_id, [(step, artifacts)])

    @abc.abstractmethod
    def finish_run(self, run_id: str, *, status: str, end_time: str, duration: float,
                   error: str | None = None, steps: Sequence[StepRecord] = (),
                   metadata: dict[str, Any] | None = None, summary: dict[str, Any] | None = None) -> None:
        """Close a run: its final status, end time, duration (s) and error; ``steps`` not yet
        recorded are stored first in the same transaction. ``metadata`` (logged on the run
        while it ran) is merged into ``Run.metadata`` key by key; ``summary`` replaces
        ``Run.summary``. ``KeyError`` for an unknown run."""

    def update_run(self, run_id: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                   notes: str | None = None, metadata: dict[str, Any] | None = None,
                   summary: dict[str, Any] | None = None) -> Run:
        """Change what users add to a run after the fact; return the run as stored.

        ``add_tags`` are appended (a tag present stays once), then ``remove_tags`` removed —
        inside the transaction, so concurrent taggers lose nothing. ``notes``: None leaves
        them, ``""`` clears them, any other str replaces them. ``metadata`` is merged into
        ``Run.metadata`` key by key; ``summary`` replaces ``Run.summary`` (the client
        recomputes it when metadata is logged after the run closed). Values are checked first (`checks.check_tags`, strict
        JSON): ``ValueError`` and nothing written. ``KeyError`` for an unknown run.
        """
        raise self._not_yet("update_run (tags, notes, metadata)")

    def update_step_run(self, run_id: str, step_run_id: str, *, metadata: dict[str, Any] | None = None,
                        output_metadata: dict[str, dict[str, Any]] | None = None) -> StepRun:
        """Merge ``metadata`` into the step run's ``metadata`` and ``output_metadata``
        (output name -> values) into its ``output_metadata``, key by key; return it as
        stored. ``KeyError`` for an unknown run or step run."""
        raise self._not_yet("update_step_run (metadata on a step or an output)")

    def delete_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Delete these runs, wholly and in one transaction (see "Deletion is whole");
        return their ids. Every id is checked before anything is removed: ``KeyError``
        naming an unknown id, `RunInProgressError` naming a run still owned by a live
        process (a ``running`` run on another host counts as live). Pipeline counters
        follow: ``run_count`` drops, ``last_run_id`` moves to the newest run left."""
        raise self._not_yet("delete_runs")

    def delete_pipeline(self, name: str) -> list[str]:
        """Delete pipeline ``name``: its versions and every run of it, as `delete_runs` does,
        in one transaction; return the deleted run ids. ``KeyError`` if there is no such
        pipeline; `RunInProgressError` if one of its runs is still live."""
        raise self._not_yet("delete_pipeline")

    # ------------------------------------------------------------------ runs: reads
    @abc.abstractmethod
    def get_run_by_id(self, run_id: str) -> RunDetail | None:
        """The run with its step runs and artifacts, or None."""

    @abc.abstractmethod
    def run_id_for_name(self, name: str) -> str | None:
        """The id of the run called ``name``, or None."""

    def get_run(self, name_or_id: str) -> RunDetail | None:
        """The run with this name, else with this id, else None. Names are compared in their
        stored form (Unicode NFC), so a name typed decomposed finds its run."""
        if type(name_or_id) is not str or not name_or_id:
            return None
        import unicodedata

        run_id = self.run_id_for_name(unicodedata.normalize("NFC", name_or_id))
        return self.get_run_by_id(run_id if run_id is not None else name_or_id)

    def get_step_run(self, run_id: str, step_run_id: str) -> StepRun | None:
        """One step run of one run (step run ids are unique within their run)."""
        detail = self.get_run_by_id(run_id)
        if detail is None:
            return None
        return next((step for step in detail.steps if step.id == step_run_id), None)

    @abc.abstractmethod
    def list_runs(self, pipeline_name: str | None = None, status: str | None = None,
                  limit: int | None = None, *, offset: int = 0, name_contains: str | None = None) -> list[Run]:
        """Runs (without their steps), newest ``start_time`` first: the ``limit`` after the first
        ``offset`` that match (a page); ``limit`` ≤ 0 → []. ``name_contains``: only runs whose
        name contains it, case ignored (a search box over thousands of runs: a backend should
        answer it without reading every run record)."""

    def query_runs(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                   tags: Sequence[str] = (), since: Any = None, until: Any = None) -> Iterator[RunRow]:
        """Listing rows of the runs passing every filter, newest ``start_time`` first, read
        lazily (a caller that stops early reads no further). ``status``: one status or
        several (the crash view applies first); ``tags``: runs having all of them;
        ``since``/``until``: datetimes or ISO strings (naive = UTC) bounding ``start_time``,
        ``since`` inclusive, ``until`` exclusive. Filters are checked when called
        (`checks.RunQuery`): ``ValueError`` before anything is read.

        This default reads full runs through `list_runs` (right, not fast); backends answer
        from compact rows or indexed columns instead."""
        from framework.metadata import checks
        from framework.records import to_doc

        query = checks.RunQuery(pipeline_name=pipeline_name, status=status, tags=tags, since=since, until=until)

        def rows() -> Iterator[RunRow]:
            for run in self.list_runs(pipeline_name):  # shown as readers see them (the backend's crash view)
                doc = to_doc(run)
                if query.accepts(doc):
                    yield checks.row_record(checks.row_document(doc))

        return rows()

    # ------------------------------------------------------------------ cache
    @abc.abstractmethod
    def cache_candidates(self, cache_key: str) -> list[CacheEntry]:
        """Completed step runs stored under ``cache_key``, newest first (at most
        `MAX_CACHE_ENTRIES`). The caller still checks that their artifacts verify."""

    # ------------------------------------------------------------------ copies (framework store copy)
    @abc.abstractmethod
    def import_version(self, version: Version, *, pipeline_id: str, pipeline_created: str) -> Registration:
        """Register a version copied from another store, as `register_pipeline` would, but
        keeping what can be kept: a pipeline new here gets ``pipeline_id`` (unless another
        pipeline has it) and ``pipeline_created``; a new version keeps ``version.created``. A
        hash known here maps to the existing version (nothing written), so copying twice,
        or two stores with the same pipeline, creates each version once."""

    @abc.abstractmethod
    def import_runs(self, details: Sequence[RunDetail]) -> list[str]:
        """Store runs copied from another store exactly as given (ids, names, status, times,
        step runs in order, artifacts), as one transaction; the runs' pipelines must be
        registered here under those ids (`import_version`). Completed step runs with a cache
        key become cache entries as in `record_steps`; each pipeline's ``run_count`` counts
        the runs and its ``last_run_id`` names the newest by ``start_time``. Returns, per
        run, ``"copied"``, ``"present"`` (a run with that id exists: nothing written for it,
        so a copy can be repeated or resumed) or ``"name-taken"`` (another run here has its
        name: nothing written for it)."""

    @abc.abstractmethod
    def evict_cache_entries(self, cache_key: str, artifact_id: str) -> int:
        """Drop the entries of ``cache_key`` that serve ``artifact_id`` (it failed verification:
        damaged or altered bytes); return how many. The next run with that key recomputes."""

    # ------------------------------------------------------------------ maintenance
    @contextlib.contextmanager
    def run_lease(self, run_id: str) -> Iterator[str | None]:
        """Hold the lease of run ``run_id`` for the block — the launcher's whole run, taken
        before the run is created — and yield its kind, which the run records as
        ``Run.lease`` (see ``framework.liveness``). While it is held, every process that reads
        the store sees the run ``running``, whatever its pid; once its process is gone, free.
        None: this backend has no leases (liveness is then judged by host and pid)."""
        yield None

    @abc.abstractmethod
    def mark_crashed_runs(self) -> list[str]:
        """Persist ``crashed`` for running runs whose owner is gone; return their ids. A
        backend may also clean up what those writers left behind (temp files)."""

    def cleanup_temp_files(self) -> int:
        """Remove leftovers of interrupted writes; return how many (0 where a backend has none)."""
        return 0

    def temp_files(self) -> list[str]:
        """Local paths of leftovers of interrupted writes, for gc to report and delete under
        `exclusive` ([] where a backend has none)."""
        return []

    @abc.abstractmethod
    def referenced_artifact_ids(self) -> set[str]:
        """Every artifact id a step run or cache entry refers to (a full scan: for gc)."""

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold off every writer for the block (gc scans and deletes under it, so no run
        can record a reference between the scan and the deletion)."""
        yield

    def doctor(self, *, repair: bool = False) -> dict[str, Any]:
        """Check the store's integrity (``framework doctor``): ``{"location", "problems": [{"file",
        "problem", "repairable"}], ...}``; no problems means healthy. ``repair``: first rebuild
        what the backend can rebuild from its run records, then report what is left (the
        ``repair`` key says what was done). This default has nothing to check: a database
        keeps its own integrity (PostgreSQL's constraints and transactions)."""
        return {"backend": type(self).__name__, "location": self.location, "problems": [],
                "note": "this backend keeps its own integrity; nothing to check"}

    def _not_yet(self, what: str) -> NotImplementedError:
        """The run-history methods have defaults so that a backend written before them still
        stores and reads runs; calling one it lacks says so."""
        return NotImplementedError(f"The {type(self).__name__} metadata store does not support {what} yet; "
                                   "use a TinyDB (the default), PostgreSQL or in-memory store for it.")

    def describe(self) -> dict[str, Any]:
        """What ``framework stack describe`` and ``store info`` show about this store."""
        return {"backend": type(self).__name__, "location": self.location}
