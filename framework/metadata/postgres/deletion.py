"""Deleting runs and pipelines: everything of a run, in the caller's one transaction.

What a run leaves in the database, and how each goes: its ``runs`` row (and with it its
name, free for a new run: the name is a unique column of that row), its ``step_runs``,
``artifacts`` and ``cache_entries`` rows (deleted explicitly, each table once for all the
runs, through an index on ``run_id``; the foreign keys' ``ON DELETE CASCADE`` is the
backstop), and its place in its pipeline's counters: ``run_count`` drops by the runs
deleted and a ``last_run_id`` that named one of them moves to the newest run left.

Every id is checked before anything is deleted, on rows locked ``FOR UPDATE``: a missing id is a ``KeyError``, a run still owned by a live
process a `RunInProgressError` — and the transaction then writes nothing. Locked rows
cannot change under the check: a writer finishing one of those runs waits for this
transaction and then finds it gone (``KeyError``), as does a step recorded into it (its
foreign key check waits on the lock). The check reads the runs' listing rows, not their
documents: status, name and owner are all it needs.

Locks are taken in one order — the runs' pipeline rows, then the run rows, each in id order
— by `delete_runs` and `delete_pipeline` alike, so deleters never deadlock each other. A run
being created holds a share lock on its pipeline's key: deleting runs lets it go on (its
counter update then waits for the deletion to commit); deleting its pipeline holds it off,
after which the pipeline is gone and the creation fails as for any unregistered pipeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from framework.exceptions import RunInProgressError
from framework.liveness import crash_view
from framework.metadata import checks
from framework.metadata.postgres import leases

#: A pipeline's newest run left, by the index ``runs_pipeline_newest``.
NEWEST_LEFT = ("(SELECT r.id FROM runs r WHERE r.pipeline_name = p.name AND r.pipeline_id = p.id "
               "ORDER BY r.start_time DESC, r.id DESC LIMIT 1)")


def _checked(conn: Any, wanted: list[Any], where: str) -> dict[str, str]:
    """Lock the runs and check each, in the order given; their pipeline ids by run id."""
    ids = [run_id for run_id in wanted if type(run_id) is str]
    locked = conn.exec_driver_sql(
        "SELECT id, pipeline_id, listing FROM runs WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE",
        {"ids": ids}).all()
    found = {run_id: (pipeline_id, listing) for run_id, pipeline_id, listing in locked}
    for run_id in wanted:
        if type(run_id) is not str or run_id not in found:
            raise KeyError(f"no run with id {run_id!r} in {where}")
        listing = found[run_id][1]
        crash_view(listing, lease=leases.tester(conn))
        if listing["status"] == "running":
            raise RunInProgressError(checks.in_progress_message(listing))
    return {run_id: pipeline_id for run_id, (pipeline_id, _listing) in found.items()}


def _remove(conn: Any, ids: list[str]) -> None:
    """Delete the runs' rows and every row that belongs to them."""
    for table in ("cache_entries", "step_runs", "artifacts", "runs"):
        column = "id" if table == "runs" else "run_id"
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE {column} = ANY(%(ids)s)", {"ids": ids})


def delete_runs(conn: Any, run_ids: Iterable[Any], where: str) -> list[str]:
    """Delete these runs (see the module docstring); return their ids, each once, in the
    order given."""
    wanted = list(dict.fromkeys(run_ids))
    if not wanted:
        return []
    ids = [run_id for run_id in wanted if type(run_id) is str]
    conn.exec_driver_sql(  # pipelines first, then runs: the order `delete_pipeline` locks them in
        "SELECT 1 FROM pipelines WHERE id IN (SELECT pipeline_id FROM runs WHERE id = ANY(%(ids)s)) "
        "ORDER BY id FOR NO KEY UPDATE", {"ids": ids})
    pipeline_of = _checked(conn, wanted, where)
    counts = Counter(pipeline_of.values())
    pipeline_ids = sorted(counts)
    _remove(conn, wanted)
    # After the deletion (this transaction sees it): the newest run left is the new last run.
    conn.exec_driver_sql(
        "UPDATE pipelines p SET run_count = greatest(p.run_count - d.n, 0), "
        f"last_run_id = CASE WHEN p.last_run_id = ANY(%(runs)s) THEN {NEWEST_LEFT} ELSE p.last_run_id END "
        "FROM unnest(%(pipelines)s::text[], %(counts)s::integer[]) AS d(id, n) WHERE p.id = d.id",
        {"runs": wanted, "pipelines": pipeline_ids, "counts": [counts[p] for p in pipeline_ids]})
    return wanted


def delete_pipeline(conn: Any, name: str, where: str) -> list[str]:
    """Delete pipeline ``name``, its versions and its runs (in the order they were created);
    return the run ids."""
    row = conn.exec_driver_sql("SELECT id FROM pipelines WHERE name = %(name)s FOR UPDATE",
                               {"name": name}).first() if type(name) is str else None
    if row is None:
        raise KeyError(f"no pipeline named {name!r} in {where}")
    pipeline_id = row[0]
    run_ids = [r[0] for r in conn.exec_driver_sql(
        "SELECT id FROM runs WHERE pipeline_id = %(id)s ORDER BY created_seq", {"id": pipeline_id})]
    if run_ids:
        _checked(conn, run_ids, where)
        _remove(conn, run_ids)
    conn.exec_driver_sql("DELETE FROM versions WHERE pipeline_id = %(id)s", {"id": pipeline_id})
    conn.exec_driver_sql("DELETE FROM pipelines WHERE id = %(id)s", {"id": pipeline_id})
    return run_ids
