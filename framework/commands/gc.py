"""``framework gc [--dry-run]``: delete artifact files no run points to, and leftover temp files.

What is deleted
    * an **orphaned artifact**: a file in the artifact store whose id no run or cache
      entry refers to (``MetadataStore.referenced_artifact_ids()``), e.g. the outputs a
      crashed run wrote but never recorded;
    * an artifact store **temp file** (``<artifact>.tmp-<random>``) left by a save that
      crashed;
    * a metadata store **temp file** (``.<file>.<random>.tmp``) left by a write that
      crashed.
    A file a run references is never deleted, whatever its age.

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
       cannot be told (some remote stores) is kept.

    The lock is held only while gc scans and deletes; a run that wants to commit
    meanwhile waits for it (up to the store's lock timeout) and then proceeds.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import click

from framework.commands import output
from framework.commands.output import json_option

DEFAULT_MIN_AGE_S = 60.0
ARTIFACT_TEMP_MARK = ".tmp-"  # ArtifactStore.save writes ``<final>.tmp-<random>`` first


@dataclass(frozen=True)
class StoredFile:
    """One file gc considered. ``kind``: ``artifact``, ``artifact-temp`` or ``store-temp``."""

    path: str  # as the store's file layer names it (for deleting)
    size: int
    mtime: float | None
    kind: str
    artifact_id: str | None = None
    shown: str = ""  # as users see it: a local path or a URL

    @property
    def location(self) -> str:
        return self.shown or self.path


@dataclass
class GcPlan:
    delete: list[StoredFile] = field(default_factory=list)
    kept_recent: list[StoredFile] = field(default_factory=list)  # unreferenced but too new (or age unknown)
    referenced: int = 0  # artifact files kept because a run refers to them

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


def plan_gc(files: Iterable[StoredFile], referenced_ids: set[str], cutoff: float) -> GcPlan:
    """Decide what to delete. Referenced artifacts are always kept; metadata temp files
    (listed only under the store lock) are always deleted; every other file is deleted
    only when it was last modified before ``cutoff``."""
    plan = GcPlan()
    for item in files:
        if item.kind == "artifact" and item.artifact_id in referenced_ids:
            plan.referenced += 1
        elif item.kind == "store-temp":
            plan.delete.append(item)
        elif item.mtime is None or item.mtime >= cutoff:
            plan.kept_recent.append(item)
        else:
            plan.delete.append(item)
    return plan


# ---------------------------------------------------------------------- the stores
def artifact_files(store: Any) -> Iterator[StoredFile]:
    """Artifact and temp files in the artifact store, with size and modification time."""
    files = store._files  # LocalFiles | FsspecFiles: the only listing that carries mtimes
    ids = {path: artifact_id for artifact_id, path, _size in store.iter_artifact_files()}
    for path, name, size, mtime in files.list_files():
        shown = files.display(path)
        if ARTIFACT_TEMP_MARK in name:
            yield StoredFile(path, size, mtime, "artifact-temp", shown=shown)
            continue
        artifact_id = ids.get(shown)
        if artifact_id is not None:
            yield StoredFile(path, size, mtime, "artifact", artifact_id, shown=shown)


def store_temp_files(root: str) -> Iterator[StoredFile]:
    """Temp files of interrupted metadata writes (``.<name>.<hex>.tmp``) below ``root``."""
    for directory, _dirs, names in os.walk(root):
        for name in names:
            if name.startswith(".") and name.endswith(".tmp"):
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                yield StoredFile(path, stat.st_size, stat.st_mtime, "store-temp")


@contextlib.contextmanager
def store_lock(metadata_root: str) -> Iterator[None]:
    """The metadata store's write lock (the one every transaction takes)."""
    if not os.path.isdir(metadata_root):
        yield  # no store yet: nothing is referenced, and the cutoff protects new runs' files
        return
    from framework.metadata.storage import LOCK_NAME, store_lock as metadata_lock

    with metadata_lock(os.path.join(metadata_root, LOCK_NAME)):
        yield


def remove(store: Any, item: StoredFile) -> bool:
    if item.kind == "store-temp":
        try:
            os.remove(item.path)
        except FileNotFoundError:
            return False
        return True
    return store._files.remove(item.path)


def collect_garbage(stack: Any, *, dry_run: bool, min_age: float = DEFAULT_MIN_AGE_S,
                    clock: Any = time.time) -> dict[str, Any]:
    """Scan (and unless ``dry_run`` delete) under the store lock; return a report dict."""
    metadata, artifacts = stack.metadata_store(), stack.artifact_store()
    started = clock()
    with store_lock(metadata.root):
        running = metadata.list_runs(status="running")
        referenced = metadata.referenced_artifact_ids()
        cutoff = gc_cutoff(started, [r.get("start_time") for r in running], min_age)
        plan = plan_gc([*artifact_files(artifacts), *store_temp_files(metadata.root)], referenced, cutoff)
        deleted = [item for item in plan.delete if dry_run or remove(artifacts, item)]
    return {
        "dry_run": dry_run,
        "artifact_store": artifacts.url,
        "metadata_store": metadata.root,
        "referenced_files": plan.referenced,
        "deleted": [_as_dict(item) for item in deleted],
        "freed_bytes": sum(item.size for item in deleted),
        "kept_recent": [_as_dict(item) for item in plan.kept_recent],
        "running_runs": [r["name"] for r in running],
        "cutoff": _dt.datetime.fromtimestamp(cutoff, _dt.timezone.utc).isoformat() if cutoff > 0 else None,
    }


def _as_dict(item: StoredFile) -> dict[str, Any]:
    return {"path": item.location, "size": item.size, "kind": item.kind, "artifact_id": item.artifact_id}


# ---------------------------------------------------------------------- click wiring
@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option("--min-age", type=click.FloatRange(min=0), default=DEFAULT_MIN_AGE_S, show_default=True,
              metavar="SECONDS", help="Keep unreferenced files younger than this (margin for runs in progress).")
@json_option
def gc(dry_run: bool, min_age: float, as_json: bool) -> None:
    """Delete artifact files no run refers to, and temp files left by crashed writes.

    A file any run (or the cache) still refers to is never deleted. Files newer than the
    start of gc, or of the oldest run still in progress, are kept too, so a run that is
    writing its outputs right now loses nothing. Prints how much space was (or, with
    --dry-run, would be) freed.
    """
    from framework import stacks

    report = collect_garbage(stacks.active_stack(), dry_run=dry_run, min_age=min_age)
    if as_json:
        output.print_json(report)
        return
    verb = "Would delete" if dry_run else "Deleted"
    kinds = {"artifact": 0, "artifact-temp": 0, "store-temp": 0}
    for item in report["deleted"]:
        kinds[item["kind"]] += 1
    if dry_run:
        for item in report["deleted"]:
            click.echo(f"would delete {item['path']} ({output.format_size(item['size'])})")
    click.echo(f"{verb} {kinds['artifact']} orphaned artifact file(s) and "
               f"{kinds['artifact-temp'] + kinds['store-temp']} temp file(s); "
               f"{'would free' if dry_run else 'freed'} {output.format_size(report['freed_bytes'])}. "
               f"{report['referenced_files']} referenced artifact file(s) kept.")
    if report["kept_recent"]:
        reason = (f"runs in progress: {', '.join(report['running_runs'])}" if report["running_runs"]
                  else f"younger than {min_age:g}s, or age unknown")
        click.echo(f"Kept {len(report['kept_recent'])} unreferenced recent file(s) ({reason}); "
                   "run gc again later to remove them.")
