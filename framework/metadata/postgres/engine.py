"""Connections: one SQLAlchemy engine (a small connection pool) per database URL and
schema per process, and the two transaction shapes every operation uses.

SQLAlchemy and psycopg are imported here, on first connection — never by ``import
framework`` or by a TinyDB user. The pool is shared by every store object of the
process (a `Client` and a run launcher each make one), so a process pays the connection
set-up once. After a ``fork`` the child drops the parent's pooled connections without
closing them (they belong to the parent) and opens its own.

Writes: `Database.write` is one transaction on one pooled connection. It first takes the
store's *writer lock* shared (``pg_advisory_xact_lock_shared``), so `exclusive` (the same
lock, taken exclusive for gc's scan-and-delete) holds off every writer and no reader.
``durable=False`` commits with ``synchronous_commit = off``: the commit does not wait for
its WAL flush, and the next durable commit (the run's ``finish_run``) flushes it — the
same deferral the TinyDB store makes with its directory fsyncs. A process crash loses
nothing committed; only a server crash can lose those last unflushed commits.
Reads: `Database.read` runs each query in its own implicit transaction (one statement is
one snapshot); queries that must agree read in one statement.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from framework.exceptions import StoreUnavailableError
from framework.metadata.postgres.urls import PostgresURL

#: The advisory-lock class of the writer lock (its second key is the schema's hash).
WRITER_LOCK_CLASS = 0x4657  # "FW"
CONNECT_TIMEOUT_S = 10
UNTRANSLATABLE_CHARACTER = "22P05"

_ENGINES: dict[tuple[str, str], Any] = {}
_CURRENT: set[tuple[str, str]] = set()  # stores whose schema this process found up to date
_LOCK = threading.Lock()


def _sqlalchemy() -> Any:
    try:
        import psycopg  # noqa: F401 - the driver must be there too
        import sqlalchemy
    except ImportError as exc:
        raise StoreUnavailableError(
            f"The PostgreSQL metadata store needs SQLAlchemy and psycopg ({exc.name} is missing): "
            "pip install 'framework[postgres]'") from None
    return sqlalchemy


def _after_fork_in_child() -> None:
    for engine in _ENGINES.values():
        engine.dispose(close=False)  # the parent's connections: forget them, never close them


os.register_at_fork(after_in_child=_after_fork_in_child)


def engine_for(url: PostgresURL) -> Any:
    """The process's engine for ``url`` (created on first use, then shared)."""
    key = (url.connect_url, url.schema)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            sa = _sqlalchemy()
            engine = sa.create_engine(
                url.connect_url, pool_size=4, max_overflow=16, pool_reset_on_return="rollback",
                connect_args={"options": f"-c search_path={url.schema}", "connect_timeout": CONNECT_TIMEOUT_S,
                              "application_name": "framework"})
            _ENGINES[key] = engine
    return engine


def dispose(url: PostgresURL) -> None:
    """Close the process's pooled connections to ``url`` (tests dropping a schema use it)."""
    with _LOCK:
        engine = _ENGINES.pop((url.connect_url, url.schema), None)
        _CURRENT.discard((url.connect_url, url.schema))
    if engine is not None:
        engine.dispose()


def unavailable(url: PostgresURL, exc: BaseException) -> StoreUnavailableError:
    """The error users see when the server cannot be reached or refuses them."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    hint = ("Check that the server runs and accepts connections from this machine, and that the "
            "password (if one is needed) is in PGPASSWORD or ~/.pgpass.")
    return StoreUnavailableError(f"Could not use the PostgreSQL metadata store at {url.location}: {reason}. {hint}")


def _connection_lost(exc: BaseException) -> bool:
    """A connection-level failure (SQLSTATE class 08, or none: the socket went away)?"""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state is None or state.startswith("08")


class Database:
    """One store's connections: `read` and `write` give a SQLAlchemy ``Connection``."""

    def __init__(self, url: PostgresURL) -> None:
        self.url = url

    def _connect(self) -> Any:
        sa = _sqlalchemy()
        engine = engine_for(self.url)
        try:
            connection = engine.connect()
        except sa.exc.OperationalError as exc:
            raise unavailable(self.url, exc) from None
        key = (self.url.connect_url, self.url.schema)
        if key not in _CURRENT:  # once per process and store: is the schema up to date?
            from framework.metadata.postgres import migrations

            try:
                migrations.ensure_current(connection, self.url.schema)
            except BaseException:
                connection.close()
                raise
            _CURRENT.add(key)
        return connection

    @contextlib.contextmanager
    def read(self) -> Iterator[Any]:
        """A connection for reads; each statement runs in its own implicit transaction
        (autocommit: no ``BEGIN``/``ROLLBACK`` round trips)."""
        connection = self._connect()
        try:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
        finally:
            connection.close()

    @contextlib.contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Any]:
        """One transaction (committed if the block succeeds) holding the writer lock shared."""
        sa = _sqlalchemy()
        connection = self._connect()
        try:
            with connection.begin():
                setting = "" if durable else "SET LOCAL synchronous_commit = off; "
                connection.exec_driver_sql(
                    f"{setting}SELECT pg_advisory_xact_lock_shared({WRITER_LOCK_CLASS}, hashtext(current_schema()))")
                yield connection
        except sa.exc.DataError as exc:
            if getattr(exc.orig, "sqlstate", None) == UNTRANSLATABLE_CHARACTER:
                raise ValueError("A string in this record holds the character U+0000 (NUL), which PostgreSQL "
                                 "cannot store in text; remove it (nothing was written).") from None
            raise
        except sa.exc.OperationalError as exc:
            if not _connection_lost(exc):
                raise
            raise unavailable(self.url, exc) from None
        finally:
            connection.close()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the writer lock exclusively for the block (on a connection of its own)."""
        connection = self._connect()
        try:
            connection.exec_driver_sql(
                f"SELECT pg_advisory_lock({WRITER_LOCK_CLASS}, hashtext(current_schema()))")
            connection.commit()
            try:
                yield
            finally:
                connection.exec_driver_sql(
                    f"SELECT pg_advisory_unlock({WRITER_LOCK_CLASS}, hashtext(current_schema()))")
                connection.commit()
        finally:
            connection.close()
