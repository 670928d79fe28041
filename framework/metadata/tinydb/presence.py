"""Files a store must have, judged from what its other files say.

A missing file reads as an empty database — right for a store nothing was written to,
wrong for a store whose ``pipelines.json`` was deleted: listings said "No runs yet." and
the next run registered the pipeline again under a new id, orphaning every earlier run.
Checksums (``seal``) catch damage inside a file; these checks catch a whole file gone,
each from a file that is read anyway, so they cost nothing until something is missing:

* ``pipelines.json`` lists no pipeline although ``runs/`` holds runs (or ``versions.json``
  holds versions);
* ``versions.json`` lacks every version of a pipeline that ``pipelines.json`` says has some;
* an index chunk of a pipeline with runs is missing (``pipelines.json`` knows how many);
* a names shard is missing although ``pipelines.json`` records that it was written (table
  ``shards``: one bit per shard, set when the shard is first written);
* a run file is missing although a name claim or an index entry still points at it (after
  ruling out a deletion that committed while we read);
* a finished run has fewer steps files than it recorded when it closed (its run file's
  table ``steps``: ``{"files": n}``), or — for runs closed before that record existed — a
  completed run of a non-empty pipeline has none at all.
"""

from __future__ import annotations

import os
from typing import Any

from framework.exceptions import StoreCorruptedError
from framework.metadata.tinydb import layout
from framework.metadata.tinydb.files import StoreFiles, Transaction

SHARDS_TABLE = "shards"  # in pipelines.json: {"names": hex bitmap of the names shards written}
STEPS_TABLE = "steps"  # in a run file: {"files": steps files the run had when it closed}
NAME_SHARDS = 4096


def missing(path: str, because: str, what: str = "is missing") -> StoreCorruptedError:
    """The error for a store file that was removed (or lost a record): which, why we know,
    how to recover."""
    backup = path + ".bak"
    restore = (f"restore its last good copy with `cp '{backup}' '{path}'`, or " if os.path.exists(backup) else "")
    return StoreCorruptedError(
        f"Metadata store file '{path}' {what}, although {because}; refusing to read the store as if it "
        f"never held it. To recover, {restore}run `framework doctor --repair`, which rebuilds indexes, name "
        "claims and pipelines from the run records (`framework doctor` first shows what it finds).")


def _any_file_below(path: str) -> bool:
    """Is there a store file (not a temp file: a deleted run's files are renamed to temp names
    and unlinked later) in a shard directory below ``path``?"""
    try:
        with os.scandir(path) as shards:
            for shard in shards:
                if shard.is_dir(follow_symlinks=False) and any(
                        e.name.endswith(".json") and not e.name.startswith(".") for e in os.scandir(shard.path)):
                    return True
    except FileNotFoundError:
        return False
    return False


def expect_no_runs(files: StoreFiles) -> None:
    """``pipelines.json`` lists no pipeline: fine for a new store, damage if runs exist."""
    if _any_file_below(files.path("runs")):
        raise missing(files.path(layout.PIPELINES), f"the store holds runs in '{files.path('runs')}' "
                                                    "(or it was emptied: it lists no pipeline)")
    if files.tables(layout.VERSIONS).get("versions"):
        raise missing(files.path(layout.PIPELINES), f"'{files.path(layout.VERSIONS)}' holds pipeline versions "
                                                    "(or it was emptied: it lists no pipeline)")


def expect_versions(files: StoreFiles, pipeline: dict[str, Any], found: int) -> None:
    """``found`` versions of ``pipeline`` were read; none while it has some is damage."""
    if found == 0 and (pipeline.get("latest_version") or 0) >= 1:
        raise missing(files.path(layout.VERSIONS), f"pipeline `{pipeline.get('name')}` has "
                                                   f"{pipeline['latest_version']} version(s) (or it lost them)")


def index_chunk(files: StoreFiles, pipeline: dict[str, Any], chunk: int) -> dict[str, Any]:
    """The tables of one index chunk of ``pipeline``; a missing chunk of a pipeline with runs
    is damage (chunks are only ever removed with their pipeline)."""
    relpath = layout.index_file(pipeline["id"], chunk)
    tables = files.load(relpath)
    if tables is None:
        if (pipeline.get("run_count") or 0) > 0:
            raise missing(files.path(relpath), f"pipeline `{pipeline.get('name')}` has {pipeline['run_count']} "
                                               f"run(s) indexed in chunks 0-{pipeline.get('index_chunk', 0)}")
        return {}
    return tables


# ---------------------------------------------------------------------- names shards
def _shard(relpath: str) -> int:
    return int(relpath.rsplit("/", 1)[-1][:3], 16)


def _bits(doc: dict[str, Any] | None) -> int | None:
    value = (doc or {}).get("names")
    return int(value, 16) if isinstance(value, str) and value else None


def shard_written(files: StoreFiles, relpath: str) -> bool:
    """Does ``pipelines.json`` record that the names shard ``relpath`` was written?"""
    docs = list((files.tables(layout.PIPELINES).get(SHARDS_TABLE) or {}).values())
    bits = _bits(docs[0] if docs else None)
    return bits is not None and bool(bits >> _shard(relpath) & 1)


def check_shard(files: StoreFiles, relpath: str) -> None:
    """A names shard found missing by a reader: damage if it was written."""
    if shard_written(files, relpath):
        raise missing(files.path(relpath), f"'{files.path(layout.PIPELINES)}' records that it holds name claims")


def _stored_bits(txn: Transaction) -> int | None:
    docs = txn.db(layout.PIPELINES).table(SHARDS_TABLE).all()
    return _bits(docs[0] if docs else None)


def _recorded(txn: Transaction, files: StoreFiles) -> tuple[Any, int | None, int]:
    """(the shards table, its bits or None, the bits to record: for a store from before the
    bitmap, the shards on disk now)."""
    table = txn.db(layout.PIPELINES).table(SHARDS_TABLE)
    stored = _stored_bits(txn)
    if stored is not None:
        return table, stored, stored
    bits = 0
    try:
        for entry in os.scandir(files.path("names")):
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                bits |= 1 << _shard(entry.name)
    except FileNotFoundError:
        pass
    return table, None, bits


def check_claim(txn: Transaction, files: StoreFiles, relpath: str) -> None:
    """Before claiming a name in ``relpath``: refuse if that shard was written and is gone
    (its claims would be lost, and their names could be taken twice)."""
    stored = None if txn.exists(relpath) else _stored_bits(txn)
    if stored is not None and stored >> _shard(relpath) & 1:
        raise missing(files.path(relpath), f"'{files.path(layout.PIPELINES)}' records that it holds name claims")


def record_claim(txn: Transaction, files: StoreFiles, relpath: str) -> None:
    """After the claim is written (so ``pipelines.json`` stays last in the commit order):
    record that ``relpath`` holds claims."""
    table, stored, bits = _recorded(txn, files)
    bits |= 1 << _shard(relpath)
    if stored != bits:
        table.truncate()
        table.insert({"names": format(bits, f"0{NAME_SHARDS // 4}x")})


# ---------------------------------------------------------------------- run and steps files
def run_file_gone(files: StoreFiles, run_id: str, still_pointed_at: Any, what: str) -> None:
    """A run file was missing: damage if ``still_pointed_at()`` (read again now) says the
    run is still claimed — otherwise a deletion committed while we read, and it is gone."""
    if still_pointed_at():
        raise missing(files.path(layout.run_file(run_id)), f"{what} still points at run {run_id}")


def steps_files_expected(run_tables: dict[str, Any], run: dict[str, Any]) -> int | None:
    """How many steps files a run must have: what it recorded when it closed; for a run
    closed before that record, at least one if it completed with steps planned; else None."""
    docs = list((run_tables.get(STEPS_TABLE) or {}).values())
    if docs and type(docs[0].get("files")) is int:
        return docs[0]["files"]
    if run.get("status") == "completed" and run.get("step_order"):
        return 1
    return None


def check_steps(files: StoreFiles, run: dict[str, Any], expected: int | None, found: int) -> None:
    if expected is not None and found < expected:
        relpath = layout.steps_file(run["id"], found)
        raise missing(files.path(relpath), f"run `{run.get('name')}` recorded {expected} steps file(s) when it "
                                           f"closed and only {found} are there")


def record_steps_files(txn: Transaction, run_id: str, known: int = 0) -> None:
    """At a run's close: record how many steps files it has (``known``: chunks below it exist)."""
    count = known
    while txn.exists(layout.steps_file(run_id, count)):
        count += 1
    table = txn.db(layout.run_file(run_id)).table(STEPS_TABLE)
    table.truncate()
    table.insert({"files": count})
