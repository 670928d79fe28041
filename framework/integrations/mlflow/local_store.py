"""Opening an MLflow tracking store from a tracking URI, in whichever process needs it.

Why a module of its own: the launcher (which creates the run's MLflow run) and every step
process (which creates the step's, maybe on a Dask worker) open the same store, and a
local one needs the same care in each:

* **Where artifacts go.** A SQLite store created by the client puts the artifacts of new
  experiments under ``./mlruns`` of whatever directory the process happens to run in (a
  Dask worker's is not the user's). Experiments the framework creates in a local store
  get ``<directory of the .db>/mlartifacts`` instead, so models logged by autologging sit
  next to the database, and ``mlflow ui`` finds them.
* **What a write costs.** MLflow commits each call (a run created, a metric logged, a run
  ended) as its own SQLite transaction; in SQLite's default journal mode each commit
  waits for several fsyncs (~30-40 ms per call on common disks), more than the 50 ms a
  tracked step may add in all. The store is switched to write-ahead logging once (a
  setting kept in the file; concurrent readers such as ``mlflow ui`` keep working), and
  this process's connections to that file commit with ``synchronous=NORMAL``: a commit no
  longer waits for the disk; a power cut can lose the last commits, never the file's
  consistency — the trade the artifact store makes too (see docs/architecture.md).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

#: Where ``mlflow ui`` serves a local store unless told otherwise: the links kept for a step
#: tracked in a local store point there.
LOCAL_UI = "http://127.0.0.1:5000"

_LOCK = threading.Lock()
_PREPARED: set[str] = set()  # sqlite file paths this process has prepared
_FAST_FILES: set[str] = set()  # files whose connections commit without waiting for the disk
_LISTENING = False
_CLIENTS: dict[str, Any] = {}


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI, else None."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(unquote(tracking_uri[len("sqlite:///"):].split("?", 1)[0]))


def is_local(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("sqlite:", "file:")) or "://" not in tracking_uri


def artifact_location(tracking_uri: str) -> str | None:
    """Where new experiments of a local store keep their artifacts (None: the store decides)."""
    db = sqlite_path(tracking_uri)
    if db is not None:
        return (db.parent / "mlartifacts").as_uri()
    return None


def run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    """The page of an MLflow run: on the tracking server, or where ``mlflow ui`` serves a local store."""
    base = tracking_uri.rstrip("/") if tracking_uri.startswith(("http://", "https://")) else LOCAL_UI
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"


def client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` of ``tracking_uri``, one per process (making one costs ~1 ms)."""
    found = _CLIENTS.get(tracking_uri)
    if found is None:
        import mlflow

        prepare(tracking_uri)
        found = _CLIENTS[tracking_uri] = mlflow.MlflowClient(tracking_uri)
    return found


def prepare(tracking_uri: str) -> None:
    """Make a local SQLite store fast to write from this process (see the module docstring).

    Creating a new store runs MLflow's schema migrations (seconds, once per file); that is
    left to MLflow, which this calls through the first client request. Cheap after the first
    call per file and process.
    """
    db = sqlite_path(tracking_uri)
    if db is None or str(db) in _PREPARED:
        return
    with _LOCK:
        if str(db) in _PREPARED:
            return
        db.parent.mkdir(parents=True, exist_ok=True)
        _listen_for_connections()
        _FAST_FILES.add(str(db.resolve()))
        _PREPARED.add(str(db))


def use_write_ahead_log(tracking_uri: str) -> None:
    """Switch an existing SQLite store to write-ahead logging (kept in the file). Called once
    the store exists, i.e. after MLflow created its tables."""
    db = sqlite_path(tracking_uri)
    if db is None or not db.exists():
        return
    connection = sqlite3.connect(str(db), timeout=20)
    try:
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:  # another process holds it right now: it stays as it is, correct if slower
        pass
    finally:
        connection.close()


def _listen_for_connections() -> None:
    """One SQLAlchemy ``connect`` listener for this process: a new connection to a prepared
    store file commits with ``synchronous=NORMAL``. Other databases are left untouched."""
    global _LISTENING
    if _LISTENING:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "connect", _on_connect)
    _LISTENING = True


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection) or not _FAST_FILES:
        return
    try:
        rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
        main = next((row[2] for row in rows if row[1] == "main"), "")
        if main and os.path.realpath(main) in _FAST_FILES:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        pass
