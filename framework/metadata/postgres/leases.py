"""Run leases on PostgreSQL: a session-level advisory lock per run, held for the run's life.

The launcher takes ``pg_try_advisory_lock(LEASE_CLASS, hashtext(run id))`` on a connection
of its own before the run record exists and releases it after the run's last write. The
server drops the lock the moment that session ends — the process exits, is killed, or its
machine disappears — so the lease is trustworthy from every machine, unlike a pid.

Readers test it with ``pg_try_advisory_xact_lock_shared`` on their autocommit connection:
the statement is its own transaction, so the test lock is gone when it returns and never
delays the owner. A run id hashing to the key of another live run (1 in 2^32) only makes a
dead run read as alive — the safe direction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from framework.exceptions import FrameworkError

KIND = "advisory"
LEASE_CLASS = 0x4658  # the writer lock is 0x4657 (``engine``)


@contextlib.contextmanager
def hold(connection: Any, run_id: str) -> Iterator[None]:
    """Hold run ``run_id``'s lease for the block on ``connection`` (an autocommit connection
    the caller keeps open for it, and closes after)."""
    params = {"cls": LEASE_CLASS, "id": run_id}
    taken = connection.exec_driver_sql("SELECT pg_try_advisory_lock(%(cls)s, hashtext(%(id)s))", params).scalar()
    if not taken:
        raise FrameworkError(f"The lease of run {run_id} is held by another session; run ids are never reused, "
                             "so something else took that advisory lock.")
    try:
        yield
    finally:
        try:
            connection.exec_driver_sql("SELECT pg_advisory_unlock(%(cls)s, hashtext(%(id)s))", params)
        except Exception:  # noqa: BLE001 - the session is gone, and the lock with it
            connection.invalidate()  # never back to the pool holding a lock


def tester(conn: Any) -> Callable[[dict[str, Any]], bool | None]:
    """The lease test `liveness.crash_view` asks of a run document (True held, False free,
    None: the run has no advisory lease). On an autocommit connection the test lock is gone
    when the statement returns; inside a transaction (the crash marking), at its end."""
    def test(doc: dict[str, Any]) -> bool | None:
        if doc.get("lease") != KIND or not isinstance(doc.get("id"), str):
            return None
        free = conn.exec_driver_sql("SELECT pg_try_advisory_xact_lock_shared(%(cls)s, hashtext(%(id)s))",
                                    {"cls": LEASE_CLASS, "id": doc["id"]}).scalar()
        return not free

    return test
