"""A home's reference records in its artifact store: written by runs, kept true by gc.

The records themselves (layout, reading, writing) are ``framework.artifacts.refs``; this
module decides what goes in them, from the metadata store:

* a run announces itself when it starts (`announce`: status ``running``) and records every
  artifact it references when it ends (`publish`) — the launcher calls both, and a failure
  to write a record never fails a run (the ``running`` record left behind only makes other
  homes' gc keep more);
* the first run of a store that has no records yet (a store from before records existed)
  first writes one for every run it holds (`sync`): other homes' gc then sees them all;
* gc brings its own store's records up to date (`sync`: withdraws those of deleted runs,
  rewrites those left ``running`` by runs that ended or crashed) and reads every other
  store's (`shared_state`);
* deleting runs withdraws their records (`withdraw`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import attrs

from framework.records import RunDetail

logger = logging.getLogger("framework")


def referenced_ids(detail: RunDetail) -> set[str]:
    """Every artifact id a stored run refers to: its artifact records and step outputs."""
    ids = set(detail.artifacts)
    for step in detail.steps:
        ids.update(v for v in step.outputs.values() if isinstance(v, str))
    return ids


def _write(metadata: Any, artifacts: Any, run: Any, status: str, ids: Iterable[str]) -> None:
    artifacts.references.write(metadata.store_id, run.id, status=status, start_time=run.start_time,
                               artifacts=ids, name=run.name, location=metadata.location)


def announce(metadata: Any, artifacts: Any, run: Any) -> None:
    """At a run's start: a ``running`` record (after backfilling a store that has none)."""
    try:
        if not artifacts.references.has_store(metadata.store_id):
            sync(metadata, artifacts)
        _write(metadata, artifacts, run, "running", ())
    except Exception as exc:  # noqa: BLE001 - a record never fails a run
        logger.warning("Could not write the reference record of run `%s` in %s: %s", run.name, artifacts.url, exc)


def publish(metadata: Any, artifacts: Any, run: Any, status: str, ids: Iterable[str]) -> None:
    """At a run's end: its final status and every artifact it references."""
    try:
        _write(metadata, artifacts, run, status, ids)
    except Exception as exc:  # noqa: BLE001
        logger.warning("Could not write the reference record of run `%s` in %s (other homes sharing the "
                       "store keep what it may use; `framework gc` here rewrites it): %s", run.name, artifacts.url, exc)


def withdraw(metadata: Any, artifacts: Any, run_ids: Iterable[str]) -> None:
    """After runs were deleted: their records go (gc would withdraw them too)."""
    try:
        store_id = metadata.store_id
        for run_id in run_ids:
            artifacts.references.withdraw(store_id, run_id)
    except Exception as exc:  # noqa: BLE001 - gc finishes the job
        logger.debug("Could not withdraw reference records: %s", exc)


def sync(metadata: Any, artifacts: Any) -> dict[str, int]:
    """Make this store's records say what the store says: withdraw the records of runs it no
    longer holds, write the missing ones and rewrite those still ``running`` of runs that
    are not. Returns counts. Call it holding the store's writers off (gc) or once per store."""
    refs, store_id = artifacts.references, metadata.store_id
    recorded = refs.runs_of(store_id)
    rows = {row.id: row for row in metadata.query_runs()}
    counts = {"withdrawn": 0, "written": 0}
    for run_id in set(recorded) - set(rows):
        counts["withdrawn"] += bool(refs.withdraw(store_id, run_id))
    for run_id, row in rows.items():
        status = recorded.get(run_id)
        if status is not None and (status == row.status or row.status == "running"):
            continue
        detail = metadata.get_run_by_id(run_id)
        if detail is not None:
            _write(metadata, artifacts, detail.run, detail.run.status, referenced_ids(detail))
            counts["written"] += 1
    return counts


@attrs.frozen
class SharedState:
    """What other homes' records ask gc to keep: artifact ids, their runs (whose step logs
    live in the same store), and the start times of their runs in progress (files newer
    than those may be theirs, not recorded yet)."""

    protected: frozenset[str]
    running_starts: tuple[str | None, ...]
    stores: tuple[str, ...]
    runs: frozenset[str] = frozenset()


def shared_state(artifacts: Any, store_id: str | None) -> SharedState:
    """What the records of every store but ``store_id`` ask to keep."""
    protected: set[str] = set()
    starts: list[str | None] = []
    stores: set[str] = set()
    runs: set[str] = set()
    for record in artifacts.references.read_all(except_store=store_id):
        if record.status == "withdrawn":
            continue
        stores.add(record.store)
        runs.add(record.run)
        protected.update(record.artifacts)
        if record.status == "running":
            starts.append(record.start_time)
    return SharedState(frozenset(protected), tuple(starts), tuple(sorted(stores)), frozenset(runs))


def live_since(metadata: Any, artifacts: Any) -> float | None:
    """The start (seconds since the epoch) of the oldest run still in progress — of this
    store (by its lease) or of any other home sharing the artifact store (by its record) —
    or None if there is none. A run's unrecorded files are all newer than its start."""
    from framework.metadata.checks import parse_time

    starts = [run.start_time for run in metadata.list_runs(status="running")]
    starts += list(shared_state(artifacts, metadata.store_id).running_starts)
    if not starts:
        return None
    moments = [parse_time(start) for start in starts]
    return min(m.timestamp() if m is not None else float("-inf") for m in moments)
