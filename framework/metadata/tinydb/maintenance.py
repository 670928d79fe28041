"""Housekeeping: persisting crashed runs, removing temp files of dead writers, and the
full scan gc needs (every artifact id a step run or cache entry refers to)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from framework.io.atomic import is_temp_name, sweep_temp_files
from framework.liveness import is_dead
from framework.metadata.tinydb import layout, leases, rows
from framework.metadata.tinydb.files import StoreFiles, Transaction


def _gone(entry: dict[str, Any], root: str) -> bool:
    """Is the owner of a ``running`` table entry gone? (Its lease first: ``leases``.)"""
    return is_dead(entry.get("host"), entry.get("pid"), entry.get("process_start"), leases.tester(root)(entry))


def any_dead_owner(files: StoreFiles) -> bool:
    """A lock-free look at the ``running`` table: is any owner gone? (One small read.)"""
    running = files.tables(layout.PIPELINES).get("running") or {}
    return any(_gone(entry, files.root) for entry in running.values())


def mark_crashed(txn: Transaction) -> tuple[list[str], bool]:
    """Persist ``crashed`` for running runs whose owner died; (their ids, any dead owner seen)."""
    running = txn.db(layout.PIPELINES).table("running")
    marked, done = [], []
    for entry in running.all():
        if not _gone(entry, txn.files.root):
            continue
        run_id = entry["run_id"]
        run_table = txn.db(layout.run_file(run_id)).table("run")
        run = next(iter(run_table.all()), None)
        if run is not None and run.get("status") == "running":
            # steps first: a crash in between leaves a run still shown as crashed
            chunk = 0
            while txn.exists(layout.steps_file(run_id, chunk)):
                txn.db(layout.steps_file(run_id, chunk)).table("step_runs").update(
                    {"status": "crashed"}, cond=lambda doc: doc.get("status") == "running")
                chunk += 1
            fields = {"status": "crashed", "error": f"process {entry.get('pid')} on "
                      f"{entry.get('host')} ended without finishing the run"}
            run_table.update(fields)
            rows.sync(txn, {**run, **fields})
            marked.append(run_id)
        done.append(entry.doc_id)
    if done:
        running.remove(doc_ids=done)
    return marked, bool(done)


def _walk(root: str) -> Iterator[tuple[str, str]]:
    for directory, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.join(directory, name), name


def _remove(entry: tuple[str, str]) -> bool:
    try:
        os.unlink(entry[0])
    except FileNotFoundError:
        return False
    return True


def remove_temp_files(root: str) -> int:
    """Delete every temp file below ``root``; call it only holding the store lock, where
    every temp file is a crashed writer's leftover."""
    return len(sweep_temp_files(_walk(root), lambda entry: entry[1], _remove))


def temp_files(root: str) -> Iterator[str]:
    """Paths of the temp files below ``root`` (for gc's report)."""
    for path, name in _walk(root):
        if is_temp_name(name):
            yield path


def _store_files(files: StoreFiles, top: str, suffix: str) -> Iterator[str]:
    """Relative paths of the live ``*<suffix>`` files two levels below ``top``."""
    try:
        shards = sorted(entry.name for entry in os.scandir(files.path(top)) if entry.is_dir())
    except FileNotFoundError:
        return
    for shard in shards:
        for entry in os.scandir(files.path(f"{top}/{shard}")):
            if entry.name.endswith(suffix) and not entry.name.startswith("."):
                yield f"{top}/{shard}/{entry.name}"


def referenced_artifact_ids(files: StoreFiles) -> set[str]:
    """Every artifact id a run or cache entry refers to (a full scan: for gc only)."""
    ids: set[str] = set()
    for path in _store_files(files, "runs", ".json"):
        if not layout.STEPS_FILE_NAME.match(path.rpartition("/")[2]):
            continue
        tables = files.tables(path)
        ids.update(doc["id"] for doc in (tables.get("artifacts") or {}).values())
        for step in (tables.get("step_runs") or {}).values():
            ids.update(v for v in (step.get("outputs") or {}).values() if type(v) is str)
    for path in _store_files(files, "cache", ".json"):
        for entry in (files.tables(path).get("entries") or {}).values():
            ids.update(entry.get("artifacts") or {})
            ids.update(v for v in (entry.get("outputs") or {}).values() if type(v) is str)
    return ids
