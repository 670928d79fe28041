"""Shared fixtures: every test runs in a fresh framework home, and contract tests
run once per backend (orchestrator configuration).

The user's own home is out of reach: for the whole session ``HOME`` and the XDG
directories point at an empty temporary directory (subprocesses inherit them), and the
session fails if anything was written there — a test that loses its ``FRAMEWORK_HOME``
(say, by undoing every monkeypatch) would otherwise fill the real
``~/.local/share/framework``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from framework import stacks

BACKENDS = {
    "local": {"orchestrator": "local", "orchestrator_options": {}},
    "local-threads": {"orchestrator": "local", "orchestrator_options": {"max_workers": 2}},
    # a callable backend gets the test's request (to reach fixtures such as a shared cluster)
    "dask": lambda request: {"orchestrator": "dask",
                             "orchestrator_options": {"scheduler": request.getfixturevalue("dask_client")}},
}


_USER_HOME_VARS = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def pytest_configure(config):
    """Before any test (in every xdist worker too): a stand-in, empty user home."""
    stand_in = Path(tempfile.mkdtemp(prefix="framework-tests-user-home-"))
    config.stash[_USER_HOME] = (stand_in, {name: os.environ.get(name) for name in _USER_HOME_VARS})
    os.environ["HOME"] = str(stand_in)
    for name in _USER_HOME_VARS[1:]:
        os.environ.pop(name, None)  # the defaults then fall under the stand-in HOME


def pytest_unconfigure(config):
    stand_in, saved = config.stash.get(_USER_HOME, (None, {}))
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if stand_in is not None:
        shutil.rmtree(stand_in, ignore_errors=True)


_USER_HOME = pytest.StashKey[tuple]()


@pytest.fixture(scope="session", autouse=True)
def user_home_stays_empty(request):
    """Fails the session if any test wrote below the user's home (the stand-in)."""
    stand_in, _saved = request.config.stash[_USER_HOME]
    yield stand_in
    written = sorted(str(p.relative_to(stand_in)) for p in stand_in.rglob("*"))
    assert not written, f"tests wrote outside their temporary homes, into the user's home: {written[:20]}"


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto) on 127.0.0.1 and a free port, with dummy credentials
    in the environment (so worker processes started later inherit them). Yields the
    storage options an ``ArtifactStore("s3://...")`` needs: ``{"endpoint_url": ...}``."""
    import os
    import socket

    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    dummy = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {key: os.environ.get(key) for key in dummy}
    os.environ.update(dummy)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield {"endpoint_url": f"http://127.0.0.1:{port}"}
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def s3_url(s3_server):
    """A fresh bucket on the test S3 server; returns ``s3://<bucket>/artifacts``."""
    import uuid

    import fsspec

    bucket = f"test-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3", use_listings_cache=False, **s3_server).mkdir(bucket)
    return f"s3://{bucket}/artifacts"


@pytest.fixture(scope="session")
def dask_client():
    """One in-process Dask cluster (2 workers, 1 thread each) shared by every Dask-backed test."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """A fresh FRAMEWORK_HOME for each test."""
    path = tmp_path / "home"
    monkeypatch.setenv("FRAMEWORK_HOME", str(path))
    monkeypatch.delenv("FRAMEWORK_STACK", raising=False)  # every test starts on the default stack
    return path


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, monkeypatch, home):
    """Run the test once per backend: the active stack uses that orchestrator."""
    options = BACKENDS[request.param]
    if callable(options):
        options = options(request)

    def active_stack():
        base = stacks.default_stack()
        return stacks.Stack(base.name, base.home, base.artifact_store_url, base.metadata_root, **options)

    monkeypatch.setattr(stacks, "active_stack", active_stack)
    return request.param


@pytest.fixture(params=["tinydb", "memory", "postgres"])
def store_backend(request, monkeypatch):
    """Run the test once per metadata-store backend: the stacks' metadata store is the home's
    TinyDB files, one in-memory store shared by everything the test does, or a fresh
    PostgreSQL schema on the session's test server."""
    if request.param == "memory":
        from framework.metadata import InMemoryStore

        shared = InMemoryStore()
        monkeypatch.setattr(stacks.Stack, "metadata_store", lambda self: shared)
    elif request.param == "postgres":
        from framework.metadata.postgres import PostgresStore

        url = request.getfixturevalue("postgres_url")
        monkeypatch.setattr(stacks.Stack, "metadata_store", lambda self: PostgresStore(url))
    return request.param


# ---------------------------------------------------------------------- PostgreSQL
#: Set by .ci/run: there a PostgreSQL test that cannot run is a failure, never a skip.
CI_FLAG = "FRAMEWORK_CI"
#: An existing server to test against instead of a throwaway cluster (a database URL).
TEST_SERVER_URL = "FRAMEWORK_TEST_POSTGRES_URL"


def _postgres_unavailable(reason: str):
    if os.environ.get(CI_FLAG, "").strip() not in ("", "0"):
        pytest.fail(f"PostgreSQL is required in CI ({CI_FLAG} is set) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (install Debian's postgresql package, or set "
                f"{TEST_SERVER_URL} to a database the tests may create schemas in)")


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL database for the session (per xdist worker): a throwaway cluster started
    here (``tests/postgres_cluster.py``) and stopped at the end, or ``$FRAMEWORK_TEST_POSTGRES_URL``.
    Yields its URL. Skips (fails in CI) when neither is possible."""
    try:
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        _postgres_unavailable(f"{exc.name} is not installed (pip install -e '.[postgres]')")
    explicit = os.environ.get(TEST_SERVER_URL)
    if explicit:
        yield explicit
        return
    from tests.postgres_cluster import ClusterUnavailable, start_cluster

    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        _postgres_unavailable(str(exc))
    try:
        yield cluster.create_database("framework_tests")
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A store URL of its own for this test: a fresh schema on the session's server, dropped
    afterwards (so tests stay independent and can run in parallel)."""
    import uuid

    import psycopg

    from framework.metadata.postgres import engine, urls

    schema = f"t_{uuid.uuid4().hex[:16]}"
    separator = "&" if "?" in postgres_server else "?"
    url = f"{postgres_server}{separator}schema={schema}"
    yield url
    parsed = urls.parse(url)
    engine.dispose(parsed)
    with psycopg.connect(parsed.connect_url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_store(postgres_url):
    """A `PostgresStore` in a fresh schema."""
    from framework.metadata.postgres import PostgresStore

    return PostgresStore(postgres_url)


@pytest.fixture
def run_log(caplog):
    """The framework logger's messages, one string per line."""
    caplog.set_level(logging.INFO, logger="framework")

    class Log:
        @property
        def lines(self):
            return [r.getMessage() for r in caplog.records if r.name == "framework"]

        def clear(self):
            caplog.clear()

    return Log()
