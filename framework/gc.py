"""Garbage collection: delete artifact files no run points to, and leftover temp files.

What is deleted
    * an **orphaned artifact**: a file in the artifact store whose id no run or cache
      entry refers to (``MetadataStore.referenced_artifact_ids()``), e.g. the outputs a
      crashed run wrote but never recorded;
    * an artifact store **temp file** (``framework.io.atomic`` names) left by a save that
      crashed;
    * a metadata store **temp file** left by a write that crashed;
    * a **step log** (``logs/<run id>/…``, ``framework.artifacts.log_files``) whose run id
      no run of the metadata store has: the log of a run that was deleted.
    A file a run references is never deleted, whatever its age, and neither is the log of
    a run the store has or a run another home's reference record names (below).

Why a run committing at the same time cannot lose an artifact
    A run writes an artifact file *before* the metadata record that points at it, so the
    store lock alone is not enough: a file may be on disk, not yet referenced, and about
    to be recorded. Two rules together close that window:

    1. **Hold the metadata store's lock across the scan and the deletions.** No record
       can be committed between reading the referenced ids and deleting, so every file
       referenced at deletion time is in the set gc read. Metadata temp files exist only
       while a writer holds that lock, so under it every one is a crash leftover.
    2. **Delete only files older than a cutoff**: the start of gc, moved back to the start
       of the oldest run still ``running`` (a run is created before it saves anything,
       so every file it has not recorded yet is newer than its start), minus
       ``--min-age`` seconds of margin for clock skew on shared stores. A file whose age
       cannot be told (some remote stores) is kept. The same holds for logs: a run's
       record is created before its first step starts writing a log.

    The lock is held only while gc scans and deletes; a run that wants to commit
    meanwhile waits for it (up to the store's lock timeout) and then proceeds.

Why another home's artifacts are safe (an artifact store shared by several homes)
    Each home's runs keep reference records in the artifact store itself
    (``framework.artifacts.refs``). gc keeps every artifact a record of another store lists,
    and moves its cutoff back to the start of their runs still in progress (as for its own);
    it first brings its own store's records up to date (``framework.execution.references``).
    A record gc cannot read stops it before it deletes anything.

Why a live run is never taken for a crashed one
    Runs in progress are those whose lease is held (``framework.liveness``), not those whose
    pid happens to be alive here: a run of another container sharing this home is kept.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MIN_AGE_S = 60.0


@dataclass(frozen=True)
class Candidate:
    """One file gc considered. ``kind``: ``artifact``, ``artifact-temp``, ``store-temp`` or ``log``."""

    path: str  # for deleting: the artifact store's own name, or a local path (store temps)
    size: int
    mtime: float | None
    kind: str
    artifact_id: str | None = None
    shown: str = ""  # as users see it: a local path or a URL
    stored: Any = None  # the artifact store's StoredFile (or LogFile), for removing it
    run_id: str | None = None  # of a log: the run it belongs to

    @property
    def location(self) -> str:
        return self.shown or self.path


@dataclass
class GcPlan:
    delete: list[Candidate] = field(default_factory=list)
    kept_recent: list[Candidate] = field(default_factory=list)  # unreferenced but too new (or age unknown)
    referenced: int = 0  # artifact files kept because a run refers to them
    logs_kept: int = 0  # step logs kept because their run exists

    @property
    def freed_bytes(self) -> int:
        return sum(f.size for f in self.delete)


# ---------------------------------------------------------------------- pure logic
def gc_cutoff(gc_start: float, running_start_times: Iterable[str | None], min_age: float) -> float:
    """Files modified at or after this time (seconds since the epoch) are never deleted."""
    cutoff = gc_start
    for iso in running_start_times:
        started = _timestamp(iso)
        cutoff = min(cutoff, started if started is not None else float("-inf"))
    return cutoff - max(min_age, 0.0)


def _timestamp(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def plan_gc(files: Iterable[Candidate], referenced_ids: set[str], cutoff: float,
            run_ids: set[str] | None = None) -> GcPlan:
    """Decide what to delete. Referenced artifacts and the logs of runs in ``run_ids`` (all
    logs, when it is None) are always kept; metadata temp files (listed only under the
    store lock) are always deleted; every other file is deleted only when it was last
    modified before ``cutoff``."""
    plan = GcPlan()
    for item in files:
        if item.kind == "artifact" and item.artifact_id in referenced_ids:
            plan.referenced += 1
        elif item.kind == "log" and (run_ids is None or item.run_id in run_ids):
            plan.logs_kept += 1
        elif item.kind == "store-temp":
            plan.delete.append(item)
        elif item.mtime is None or item.mtime >= cutoff:
            plan.kept_recent.append(item)
        else:
            plan.delete.append(item)
    return plan


# ---------------------------------------------------------------------- the stores
def candidates(artifacts: Any, metadata: Any) -> list[Candidate]:
    """Artifact files, artifact temp files and metadata temp files (the last only
    meaningful under the metadata store's exclusive hold)."""
    found = [Candidate(f.path, f.size, f.mtime, "artifact" if f.artifact_id else "artifact-temp",
                       f.artifact_id, shown=f.shown, stored=f) for f in artifacts.list_files()]
    for path in metadata.temp_files():
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            continue
        found.append(Candidate(path, stat.st_size, stat.st_mtime, "store-temp"))
    found += [Candidate(log.uri, log.size, log.mtime, "log", shown=log.shown, stored=log, run_id=log.run_id)
              for log in artifacts.logs.list()]
    return found


def _remove(artifacts: Any, item: Candidate) -> bool:
    if item.kind == "log":
        return artifacts.logs.remove(item.stored)
    if item.stored is not None:
        return artifacts.remove_file(item.stored)
    try:
        os.remove(item.path)
    except FileNotFoundError:
        return False
    return True


def collect_garbage(stack: Any, *, dry_run: bool, min_age: float = DEFAULT_MIN_AGE_S,
                    clock: Any = time.time) -> dict[str, Any]:
    """Scan (and unless ``dry_run`` delete) while holding off every writer; return a report."""
    from framework.execution import references

    metadata, artifacts = stack.metadata_store(), stack.artifact_store()
    started = clock()
    # before the lock (a store without an id creates one in a write), and only for a store
    # that has one or has runs: gc of an empty home writes nothing
    store_id = metadata.known_store_id() or (metadata.store_id if metadata.list_runs(limit=1) else None)
    with metadata.exclusive():
        running = metadata.list_runs(status="running")
        referenced = metadata.referenced_artifact_ids()
        synced = references.sync(metadata, artifacts) if not dry_run and store_id else {}
        shared = references.shared_state(artifacts, store_id)
        cutoff = gc_cutoff(started, [r.start_time for r in running] + list(shared.running_starts), min_age)
        files = candidates(artifacts, metadata)
        own_runs = {r.id for r in metadata.list_runs()} if any(f.kind == "log" for f in files) else None
        run_ids = own_runs | shared.runs if own_runs is not None else None  # another home's logs are kept too
        plan = plan_gc(files, referenced | shared.protected, cutoff, run_ids)
        kept_shared = sum(1 for f in files if f.artifact_id in shared.protected and f.artifact_id not in referenced)
        deleted = [item for item in plan.delete if dry_run or _remove(artifacts, item)]
    return {
        "dry_run": dry_run,
        "artifact_store": artifacts.url,
        "metadata_store": metadata.location,
        "referenced_files": plan.referenced,
        "logs_kept": plan.logs_kept,
        "deleted": [_as_dict(item) for item in deleted],
        "freed_bytes": sum(item.size for item in deleted),
        "kept_recent": [_as_dict(item) for item in plan.kept_recent],
        "running_runs": [r.name for r in running],
        "other_stores": list(shared.stores),
        "kept_for_other_stores": kept_shared,
        "own_records": synced,
        "cutoff": _dt.datetime.fromtimestamp(cutoff, _dt.timezone.utc).isoformat() if cutoff > 0 else None,
    }


def _as_dict(item: Candidate) -> dict[str, Any]:
    return {"path": item.location, "size": item.size, "kind": item.kind, "artifact_id": item.artifact_id}
