"""The PostgreSQL backend: schema migrations, credentials, damaged rows, processes racing and
dying, stacks that use it, and copies between stores. Behaviour every backend shares is in
``test_metadata_contract.py`` (which runs on PostgreSQL too); these need a real server
(``postgres_url``: a fresh schema on the session's throwaway cluster, ``tests/conftest.py``)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import psycopg
import pytest
from click.testing import CliRunner

import framework
from framework import Client, stacks
from framework.cli import main as cli
from framework.exceptions import DuplicateRunNameError, RecordError, StoreUnavailableError, StoreVersionError
from framework.metadata import TinyDBStore, open_store
from framework.metadata.postgres import PostgresStore, engine, migrations, urls
from framework.pipelines.new import pipeline
from framework.records import Run
from tests.seed_steps import loader, new_trainer, scorer
from tests.test_metadata_contract import HOST, artifact, make_run, new_id, step, ts

REPO = str(Path(framework.__file__).resolve().parent.parent)
MP = multiprocessing.get_context("fork")


def sql(url: str, statement: str, *params) -> list[tuple]:
    """Run one statement in the store's schema, outside the store (as another program would)."""
    parsed = urls.parse(url)
    with psycopg.connect(parsed.connect_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                         options=f"-c search_path={parsed.schema}") as conn:
        cursor = conn.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), "FRAMEWORK_PROGRESS": "0"}
    env.update(extra)
    return env


# ---------------------------------------------------------------- schema and migrations

def test_a_new_store_creates_its_schema_at_the_latest_version(postgres_url):
    store = PostgresStore(postgres_url)
    assert store.list_runs() == []  # the first use creates the schema
    rows = sql(postgres_url, "SELECT version, description, framework_version FROM schema_migrations")
    assert [r[0] for r in rows] == [m[0] for m in migrations.MIGRATIONS] and rows[-1][0] == migrations.latest()
    info = store.describe()
    assert info["backend"] == "postgresql" and info["schema_version"] == migrations.latest()
    assert info["runs"] == 0 and info["schema"] == urls.parse(postgres_url).schema


def test_an_upgrade_keeps_every_record(postgres_url, monkeypatch):
    """A store written at the current version is upgraded by a later migration (here one that
    adds a column and backfills it) without losing or changing a record."""
    store = PostgresStore(postgres_url)
    run = make_run(store, "before")
    a = artifact()
    store.record_step(run.id, step(run_id=run.id, cache_key="k" * 8, outputs={"o": a.id}), [a])
    store.finish_run(run.id, status="completed", end_time=ts(3), duration=1.0)
    before = (store.get_run("before"), store.list_runs(), store.cache_candidates("k" * 8), store.list_versions("p"))

    def add_tag_column(conn) -> None:
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN tag text")
        conn.exec_driver_sql("UPDATE runs SET tag = 'migrated'")

    later = len(migrations.MIGRATIONS) + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (later, "runs get a tag", add_tag_column)])
    engine.dispose(store.url)
    upgraded = PostgresStore(postgres_url)  # a new process's first use
    after = (upgraded.get_run("before"), upgraded.list_runs(), upgraded.cache_candidates("k" * 8),
             upgraded.list_versions("p"))
    assert after == before
    assert sql(postgres_url, "SELECT tag FROM runs") == [("migrated",)]
    assert sql(postgres_url, "SELECT max(version) FROM schema_migrations") == [(later,)]


def test_a_failed_migration_changes_nothing(postgres_url, monkeypatch):
    store = PostgresStore(postgres_url)
    make_run(store, "kept")

    def broken(conn) -> None:
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN half_done text")
        raise RuntimeError("the migration fails half-way")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (migrations.latest() + 1, "broken", broken)])
    engine.dispose(store.url)
    with pytest.raises(RuntimeError, match="half-way"):
        PostgresStore(postgres_url).list_runs()
    columns = sql(postgres_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'runs' "
                                "AND table_schema = current_schema()")
    assert ("half_done",) not in columns
    monkeypatch.undo()
    engine.dispose(store.url)
    assert [r.name for r in PostgresStore(postgres_url).list_runs()] == ["kept"]


def test_a_store_upgraded_by_a_newer_release_is_refused(postgres_url):
    store = PostgresStore(postgres_url)
    make_run(store, "r")
    sql(postgres_url, "INSERT INTO schema_migrations (version, description) VALUES (%s, 'from the future')",
        migrations.latest() + 1)
    engine.dispose(store.url)
    with pytest.raises(StoreVersionError, match="Upgrade framework"):
        PostgresStore(postgres_url).get_run("r")


MIGRATING_CHILD = """
import sys
from framework.metadata.postgres import PostgresStore
PostgresStore(sys.argv[1]).register_pipeline("p", "h", {})
"""


def test_processes_opening_a_new_store_at_once_create_it_once(postgres_url):
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATING_CHILD, postgres_url], env=child_env(),
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        assert proc.wait(60) == 0, proc.stderr.read()
    assert sql(postgres_url, "SELECT count(*) FROM schema_migrations") == [(migrations.latest(),)]
    assert [v.number for v in PostgresStore(postgres_url).list_versions("p")] == [1]


# ---------------------------------------------------------------- URLs and credentials

def test_urls_are_parsed_and_shown_without_password():
    parsed = urls.parse("postgres://me:s3cr%40t@db.example:5433/ml?sslmode=require&schema=team")
    assert parsed.location == "postgresql://me@db.example:5433/ml?sslmode=require&schema=team"
    assert parsed.connect_url == "postgresql+psycopg://me:s3cr%40t@db.example:5433/ml?sslmode=require"
    assert parsed.schema == "team" and parsed.has_password and parsed.database == "ml"
    assert urls.mask("postgresql://me:s3cret@db/ml") == "postgresql://me:***@db/ml"
    assert "s3cret" not in PostgresStore("postgresql://me:s3cret@db/ml").location
    for bad, words in [("postgresql://db.example", "names no database"), ("postgresql://h/db?schema=A-B", "schema"),
                       ("mysql://h/db", "Not a PostgreSQL URL")]:
        with pytest.raises(ValueError, match=words):
            urls.parse(bad)


def test_a_stack_never_stores_a_password(home):
    with pytest.raises(stacks.StackError, match=r"holds a password.*PGPASSWORD.*\.pgpass") as info:
        stacks.register_stack("team", metadata="postgresql://me:s3cret@db.example/ml")
    assert "s3cret" not in str(info.value)
    result = CliRunner().invoke(cli, ["stack", "register", "team", "--metadata", "postgresql://me:s3cret@db/ml"])
    assert result.exit_code == 1 and "s3cret" not in result.output and "PGPASSWORD" in result.output
    assert not (home / "stacks.yaml").exists() or "s3cret" not in (home / "stacks.yaml").read_text()
    stacks.register_stack("team", metadata="postgresql://me@db.example/ml?schema=ml")
    stack = stacks.get_stack("team")
    assert stack.metadata_url == "postgresql://me@db.example/ml?schema=ml" and stack.metadata_backend == "postgresql"


def test_passwords_come_from_the_environment_or_pgpass(postgres_server, postgres_url, tmp_path, monkeypatch):
    from tests.postgres_cluster import PASSWORD_ROLE

    if "host=/tmp/fwpg-" not in postgres_server:
        pytest.skip("needs the throwaway cluster (its pg_hba asks this role for a password)")
    schema = urls.parse(postgres_url).schema
    PostgresStore(postgres_url).list_runs()  # creates the schema
    sql(postgres_url, f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")  # left by an earlier session on the same server
    sql(postgres_url, f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'pw-123'")
    sql(postgres_url, f"GRANT ALL ON SCHEMA {schema} TO {PASSWORD_ROLE}")
    sql(postgres_url, f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {PASSWORD_ROLE}")
    url = postgres_url.replace("postgresql://framework@", f"postgresql://{PASSWORD_ROLE}@")
    try:
        monkeypatch.setenv("PGPASSFILE", str(tmp_path / "nothing"))
        monkeypatch.delenv("PGPASSWORD", raising=False)
        with pytest.raises(StoreUnavailableError, match=r"PGPASSWORD or ~/\.pgpass") as info:
            PostgresStore(url).list_runs()
        assert url.split("?")[0] in str(info.value)
        monkeypatch.setenv("PGPASSWORD", "pw-123")
        assert PostgresStore(url).list_runs() == []
        engine.dispose(urls.parse(url))
        monkeypatch.delenv("PGPASSWORD")
        pgpass = tmp_path / "pgpass"
        pgpass.write_text(f"*:*:*:{PASSWORD_ROLE}:pw-123\n")
        pgpass.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
        store = PostgresStore(url)
        make_run(store, "with-pgpass")
        assert "pw-123" not in store.location and store.get_run("with-pgpass") is not None
    finally:
        engine.dispose(urls.parse(url))
        sql(postgres_url, f"DROP OWNED BY {PASSWORD_ROLE}")
        sql(postgres_url, f"DROP ROLE {PASSWORD_ROLE}")


def test_an_unreachable_server_is_one_clear_error(tmp_path):
    store = PostgresStore(f"postgresql://nobody@/db?host={tmp_path}")  # no server listens there
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=r"Could not use the PostgreSQL metadata store at postgresql://"):
        store.list_runs()
    assert time.monotonic() - started < 15


# ---------------------------------------------------------------- damaged rows

@pytest.mark.parametrize("change, words", [
    ("doc::jsonb || '{\"colour\": \"blue\"}'", ["unknown key(s) colour"]),
    ("doc::jsonb || '{\"status\": \"exploded\"}'", ["status must be one of"]),
    ("doc::jsonb || '{\"error\": 5}'", ["invalid", "error must be a str"]),
])
def test_a_run_row_that_does_not_fit_is_a_named_error(postgres_store, postgres_url, change, words):
    run = make_run(postgres_store, "r")
    sql(postgres_url, f"UPDATE runs SET doc = ({change})::json")
    for read in (lambda: postgres_store.get_run_by_id(run.id), lambda: postgres_store.list_runs()):
        with pytest.raises(RecordError) as info:
            read()
        message = str(info.value)
        assert "table" in message and ".runs" in message and run.id in message
        assert all(word in message for word in words)


def test_the_database_refuses_rows_without_their_keys(postgres_store, postgres_url):
    run = make_run(postgres_store, "r")
    postgres_store.record_step(run.id, step(run_id=run.id))
    for statement in ("UPDATE runs SET doc = (doc::jsonb - 'name')::json",
                      "UPDATE runs SET doc = '[1, 2]'::json",
                      "UPDATE step_runs SET doc = (doc::jsonb - 'id')::json",
                      "INSERT INTO step_runs (run_id, doc) VALUES ('nope', '{\"id\": \"s\", \"status\": \"completed\"}')"):
        with pytest.raises(psycopg.errors.IntegrityError):
            sql(postgres_url, statement)
    assert postgres_store.get_run("r").steps[0].status == "completed"


def test_a_step_row_with_an_unknown_key_names_its_table(postgres_store, postgres_url):
    run = make_run(postgres_store, "r")
    postgres_store.record_step(run.id, step(run_id=run.id))
    sql(postgres_url, "UPDATE step_runs SET doc = (doc::jsonb || '{\"surprise\": 1}')::json")
    with pytest.raises(RecordError, match="surprise") as info:
        postgres_store.get_run("r")
    assert ".step_runs" in str(info.value)


def test_numbers_round_trip_exactly(postgres_store):
    run = make_run(postgres_store, "r")
    values = {"big": 1e20, "tiny": 5e-324, "int": 10**18, "third": 1 / 3, "one": 1.0, "text": "a\tb\u2603\U0001f600"}
    postgres_store.record_step(run.id, step(run_id=run.id, parameters=values))
    back = postgres_store.get_run("r").steps[0].parameters
    assert back == values and all(type(back[k]) is type(v) for k, v in values.items())
    with pytest.raises(ValueError, match="U\\+0000"):  # PostgreSQL text cannot hold NUL: refused, not mangled
        postgres_store.record_step(run.id, step(2, run_id=run.id, parameters={"s": "a\u0000b"}))
    assert len(postgres_store.get_run("r").steps) == 1


# ---------------------------------------------------------------- processes

def _writer(url: str, pipeline_id: str, worker: int, count: int) -> None:
    store = PostgresStore(url)
    for i in range(count):
        run = store.create_run(Run(id=new_id(), name=f"w{worker}-{i}", pipeline_name="p", pipeline_id=pipeline_id,
                                   version=1, status="running", start_time=ts(i), pid=os.getpid(), host=HOST))
        store.record_steps(run.id, [(step(i, run_id=run.id, cache_key=f"key-{worker}-{i}"), [])], durable=False)
        store.finish_run(run.id, status="completed", end_time=ts(i + 1), duration=1.0)


def _reader(url: str, stop, result) -> None:
    store = PostgresStore(url)
    reads = errors = 0
    while not stop.is_set():
        try:
            store.get_pipeline("p")
            for run in store.list_runs("p", limit=5):
                assert store.get_run(run.name) is not None
            reads += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors += 1
            result.put(repr(error))
    result.put((reads, errors))


def test_concurrent_processes_lose_and_duplicate_nothing(postgres_store, postgres_url):
    pipeline_id = postgres_store.register_pipeline("p", "h1", {}).pipeline_id
    stop, result = MP.Event(), MP.Queue()
    reader = MP.Process(target=_reader, args=(postgres_url, stop, result))
    reader.start()
    writers = [MP.Process(target=_writer, args=(postgres_url, pipeline_id, w, 25)) for w in range(8)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
        assert p.exitcode == 0
    stop.set()
    outcome = result.get(timeout=30)
    reader.join(30)
    assert outcome[1] == 0 and outcome[0] > 0, outcome
    runs = postgres_store.list_runs("p")
    assert len(runs) == 200 and len({r.id for r in runs}) == 200
    assert {r.name for r in runs} == {f"w{w}-{i}" for w in range(8) for i in range(25)}
    assert all(r.status == "completed" for r in runs)
    assert postgres_store.get_pipeline("p").run_count == 200
    assert sql(postgres_url, "SELECT count(*), count(DISTINCT run_id) FROM step_runs") == [(200, 200)]


def _racer(url: str, pipeline_id: str, barrier, result) -> None:
    store = PostgresStore(url)
    barrier.wait()
    try:
        store.create_run(Run(id=new_id(), name="contested", pipeline_name="p", pipeline_id=pipeline_id,
                             version=1, status="running", start_time=ts(0), pid=os.getpid(), host=HOST))
        result.put("won")
    except DuplicateRunNameError:
        result.put("lost")


def test_racing_for_one_name_has_exactly_one_winner(postgres_store, postgres_url):
    pipeline_id = postgres_store.register_pipeline("p", "h1", {}).pipeline_id
    barrier, result = MP.Barrier(8), MP.Queue()
    racers = [MP.Process(target=_racer, args=(postgres_url, pipeline_id, barrier, result)) for _ in range(8)]
    for p in racers:
        p.start()
    for p in racers:
        p.join(60)
    assert sorted(result.get(timeout=5) for _ in racers) == ["lost"] * 7 + ["won"]
    assert len(postgres_store.list_runs()) == 1 and postgres_store.get_pipeline("p").run_count == 1


KILLED_CHILD = """
import os, socket, sys, time
from framework.metadata.postgres import PostgresStore
from framework.metadata.postgres.engine import Database
from framework.records import Run, StepRun
url, run_id = sys.argv[1], sys.argv[2]
s = PostgresStore(url)
reg = s.register_pipeline("p", "h1", {})
s.create_run(Run(id=run_id, name="killed", pipeline_name="p", pipeline_id=reg.pipeline_id, version=1,
                 status="running", start_time="2024-01-01T00:00:00+00:00", pid=os.getpid(), host=socket.gethostname()))
s.record_step(run_id, StepRun(id="s1", run_id=run_id, invocation_id="a", step_name="a", status="running"))
from framework.metadata import checks
from framework.metadata.postgres import steps
with s._db.write() as conn:  # a transaction left open when the process is killed
    steps.write(conn, run_id, checks.step_records(run_id, [(StepRun(id="s2", run_id=run_id, invocation_id="b",
                step_name="b", status="completed"), [])]), s.location)
    print("in transaction", flush=True)
    time.sleep(60)
"""


def test_kill_9_mid_transaction_leaves_nothing_half_written_and_the_run_crashed(postgres_url):
    run_id = new_id()
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, postgres_url, run_id], env=child_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "in transaction", child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    store = PostgresStore(postgres_url)
    run = store.get_run("killed")
    assert run.run.status == "crashed" and [(s.id, s.status) for s in run.steps] == [("s1", "crashed")]
    assert sql(postgres_url, "SELECT doc->>'status' FROM runs") == [("running",)]  # reads do not write
    assert store.mark_crashed_runs() == [run_id]
    assert sql(postgres_url, "SELECT doc->>'status', doc->>'error' LIKE '%ended without finishing%' FROM runs") == \
        [("crashed", True)]
    assert sql(postgres_url, "SELECT id, status FROM step_runs") == [("s1", "crashed")]
    assert store.mark_crashed_runs() == []
    make_run(store, "next")  # the writer lock the dead transaction held shared is gone with it


def test_a_forked_child_uses_its_own_connections(postgres_store):
    make_run(postgres_store, "parent")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            make_run(postgres_store, "child")
            os._exit(0 if postgres_store.get_run("parent") is not None else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert {r.name for r in postgres_store.list_runs()} == {"parent", "child"}  # the parent's pool still works


# ---------------------------------------------------------------- stacks and the command line

PIPELINE = """
from framework import pipeline, step

@step
def load(n: int) -> list:
    return list(range(n))

@step
def total(values: list) -> int:
    return sum(values)

@pipeline
def team_pipeline(n: int = 10):
    total(values=load(n=n))

run = team_pipeline()
print(run.name, run.steps["total"].output.load(), [s.status for s in run.steps.values()])
"""


def test_a_team_stack_runs_pipelines_on_postgres(home, tmp_path, postgres_url):
    runner = CliRunner()
    result = runner.invoke(cli, ["stack", "register", "team", "--metadata", postgres_url,
                                 "--artifact-store", str(tmp_path / "shared-artifacts")])
    assert result.exit_code == 0, result.output
    assert "metadata in postgresql://" in result.output
    described = runner.invoke(cli, ["stack", "describe", "team", "--json"])
    info = json.loads(described.output)
    assert info["metadata_store"] == urls.parse(postgres_url).location and info["metadata_backend"] == "postgresql"
    script = tmp_path / "team.py"
    script.write_text(PIPELINE)
    outputs = []
    for _ in range(2):  # two machines' worth of runs: the second is served from the shared cache
        done = subprocess.run([sys.executable, str(script)], env=child_env(FRAMEWORK_HOME=str(home),
                              FRAMEWORK_STACK="team"), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.strip().splitlines()[-1].split()[0])
    assert "['cached', 'cached']" in done.stdout
    assert not (home / "metadata").exists()  # nothing went to the home's TinyDB store
    listed = runner.invoke(cli, ["runs", "list", "--json"], env={"FRAMEWORK_STACK": "team"})
    assert [r["name"] for r in json.loads(listed.output)] == outputs[::-1]
    info = runner.invoke(cli, ["store", "info", "--json"], env={"FRAMEWORK_STACK": "team"})
    stats = json.loads(info.output)
    assert (stats["backend"], stats["runs"], stats["step_runs"], stats["pipelines"]) == ("postgresql", 2, 4, 1)


# ---------------------------------------------------------------- run history on a team stack

@pipeline
def pg_history(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(C=C, X_train=X_train, y_train=y_train)
    scorer(model=model, X_test=X_test, y_test=y_test)


@pytest.fixture
def team(home, tmp_path, postgres_url, monkeypatch):
    """The active stack keeps its metadata in a fresh PostgreSQL schema (registered as users
    do); yields the artifact store's directory."""
    artifacts = tmp_path / "team-artifacts"
    result = CliRunner().invoke(cli, ["stack", "register", "team", "--metadata", postgres_url,
                                      "--artifact-store", str(artifacts)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("FRAMEWORK_STACK", "team")
    yield artifacts
    assert not (home / "metadata").exists()  # nothing went to the home's TinyDB store


def invoke(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), prog_name="framework", input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def listed(*args: str) -> list[str]:
    result = invoke("runs", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [r["name"] for r in json.loads(result.stdout)]


def test_runs_list_where_sort_and_tags_on_a_postgres_stack(team, postgres_url):
    for C in (0.01, 0.1, 1.0, 10.0):
        pg_history.with_options(run_name=f"c-{C}")(C=C)
    assert isinstance(stacks.active_stack().metadata_store(), PostgresStore)
    assert invoke("runs", "tag", "c-1.0", "best", "x").stdout.strip() == "Run `c-1.0` tags: best, x"
    assert invoke("runs", "tag", "c-1.0", "x", "--remove").stdout.strip() == "Run `c-1.0` tags: best"
    invoke("runs", "tag", "c-10.0", "best", "v2")
    assert "notes: widest" in invoke("runs", "note", "c-10.0", "widest").stdout
    assert "tags: prod" in invoke("pipelines", "tag", "pg_history", "prod").stdout

    assert listed("--where", "params.C>0.05") == ["c-10.0", "c-1.0", "c-0.1"]
    assert listed("--where", "params.C>0.05 and tags=best", "--sort", "params.C") == ["c-1.0", "c-10.0"]
    assert listed("--sort", "-params.new_trainer.C", "--limit", "2") == ["c-10.0", "c-1.0"]
    assert listed("--tag", "best", "--tag", "v2") == ["c-10.0"]
    assert listed("--status", "completed", "--since", "1h", "--pipeline", "pg_history") == listed()
    assert listed("--until", "2000-01-01") == []
    rows = json.loads(invoke("runs", "list", "--json", "--columns", "name,params.C,metrics.scorer.output,tags,notes",
                             "--where", "params.C>=10").stdout)
    assert rows[0]["name"] == "c-10.0" and rows[0]["params.C"] == 10.0
    assert rows[0]["tags"] == ["best", "v2"] and rows[0]["notes"] == "widest"
    assert isinstance(rows[0]["metrics.scorer.output"], float)  # the summary the launcher stored
    stored = sql(postgres_url, "SELECT listing->'summary'->'metrics' FROM runs WHERE name = 'c-10.0'")[0][0]
    assert stored["scorer.output"] == rows[0]["metrics.scorer.output"]
    assert Client().get_pipeline("pg_history").tags == ["prod"]


def _files(root: Path) -> set[str]:
    """Artifact files (not the reference records in ``.refs`` nor step logs in ``logs``)."""
    return {p.name.split(".")[0] for p in root.rglob("*")
            if p.is_file() and not {".refs", "logs"} & set(p.relative_to(root).parts)}


def _outputs(run) -> set[str]:
    return {aid for step in run.steps.values() for aid in step.record.outputs.values()}


def test_runs_delete_and_gc_on_a_postgres_stack(team, postgres_url):
    first = pg_history.with_options(run_name="first")(C=1.0)  # executes every step
    second = pg_history.with_options(run_name="second")(C=2.0)  # its loader is cached from `first`
    assert second.steps["loader"].is_cached and second.steps["loader"].original_run_id == first.id
    assert invoke("runs", "delete", "first", input="n\n").exit_code == 1  # declined: nothing deleted
    done = invoke("runs", "delete", "first", "--yes")
    assert done.exit_code == 0 and "Deleted 1 run(s)" in done.stdout
    assert listed() == ["second"] and Client().get_pipeline("pg_history").run_count == 1
    assert sql(postgres_url, "SELECT count(*) FROM step_runs s JOIN runs r ON r.id = s.run_id "
                             "WHERE r.name = 'first'") == [(0,)]
    report = json.loads(invoke("gc", "--min-age", "0", "--json").stdout)
    freed = {d["artifact_id"] for d in report["deleted"] if d["kind"] == "artifact"}
    assert freed == _outputs(first) - _outputs(second)  # first's model and score; the shared data stays
    assert _files(team) == _outputs(second)
    assert Client().get_run("second").steps["loader"].outputs["X_train"].load().shape == (30, 3)

    again = pg_history.with_options(run_name="first")(C=1.0)  # the name is free; the cache went with the run
    assert again.steps["new_trainer"].status == "completed" and not again.steps["new_trainer"].is_cached
    gone = invoke("pipelines", "delete", "pg_history", "--yes", "--json")
    assert sorted(json.loads(gone.stdout)["deleted"]) == ["first", "second"]
    assert listed() == [] and Client().get_pipeline("pg_history") is None
    assert json.loads(invoke("gc", "--min-age", "0", "--json").stdout)["freed_bytes"] > 0
    assert _files(team) == set()
    counts = sql(postgres_url, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM step_runs), "
                               "(SELECT count(*) FROM artifacts), (SELECT count(*) FROM cache_entries), "
                               "(SELECT count(*) FROM versions)")
    assert counts == [(0, 0, 0, 0, 0)]


# ---------------------------------------------------------------- copies

def _fill(store, prefix: str, count: int = 3) -> None:
    for i in range(count):
        run = make_run(store, f"{prefix}{i}", start=i)
        a = artifact(step_name="step_0", output_name="out", run_name=run.name)
        store.record_steps(run.id, [(step(0, run_id=run.id, cache_key=f"key-{prefix}", outputs={"out": a.id}), [a]),
                                    (step(1, status="cached", run_id=run.id), [a])])
        store.finish_run(run.id, status="completed", end_time=ts(i + 1), duration=1.0)
    store.register_pipeline("p", "h2", {"steps": ["b"]})


def _contents(store) -> dict:
    runs = store.list_runs()
    return {
        "pipelines": [attrs.evolve(p, id="-") for p in store.list_pipelines()],
        "versions": [(v.number, v.hash, v.spec, v.created) for v in store.list_versions("p")],
        "runs": [store.get_run_by_id(r.id) for r in runs],
        "cache": store.cache_candidates("key-r"),
        "artifacts": store.referenced_artifact_ids(),
    }


def test_copy_tinydb_to_postgres_and_back_keeps_every_record(tmp_path, postgres_url):
    home = tmp_path / "laptop"
    tiny = TinyDBStore(home / "metadata")
    _fill(tiny, "r")
    runner = CliRunner()
    result = runner.invoke(cli, ["store", "copy", str(home), postgres_url])
    assert result.exit_code == 0, result.output
    assert "Copied 3 run(s) of 1 pipeline(s)" in result.output
    pg = PostgresStore(postgres_url)
    assert _contents(pg) == _contents(tiny)
    assert pg.get_pipeline("p").id == tiny.get_pipeline("p").id
    again = runner.invoke(cli, ["store", "copy", str(home), postgres_url, "--json"])
    assert json.loads(again.output)["runs_copied"] == 0 and json.loads(again.output)["runs_present"] == 3
    back = tmp_path / "back"
    result = runner.invoke(cli, ["store", "copy", postgres_url, str(back)])
    assert result.exit_code == 0, result.output
    assert _contents(TinyDBStore(back)) == _contents(tiny)


def test_copy_resumes_merges_and_reports_what_it_left(tmp_path, postgres_url):
    laptop, other = TinyDBStore(tmp_path / "a"), TinyDBStore(tmp_path / "b")
    _fill(laptop, "r", count=5)
    _fill(other, "s", count=2)
    clash = make_run(other, "r0", start=50)  # a name the first home's run has
    other.finish_run(clash.id, status="completed", end_time=ts(51), duration=1.0)
    live = make_run(laptop, "still-running", start=60)  # this process: in progress
    from framework.metadata.copy import copy_store

    pg = PostgresStore(postgres_url)
    calls = []

    def interrupt(report, seen):
        calls.append(seen)
        if len(calls) == 1:
            raise KeyboardInterrupt  # stopped after the first batch

    with pytest.raises(KeyboardInterrupt):
        copy_store(laptop, pg, batch=2, progress=interrupt)
    assert len(pg.list_runs()) == 2
    report = copy_store(laptop, pg, batch=2)
    assert (report.runs_copied, report.runs_present, report.in_progress) == (3, 2, ["still-running"])
    merged = copy_store(other, pg)
    assert merged.name_taken == ["r0"] and merged.runs_copied == 2 and not merged.complete
    assert pg.get_pipeline("p").run_count == 7 and len(pg.list_versions("p")) == 2
    assert pg.get_run(live.id) is None
    result = CliRunner().invoke(cli, ["store", "copy", str(tmp_path / "b"), postgres_url])
    assert result.exit_code == 1 and "r0" in result.output


def test_open_store_and_store_info_name_the_backend(tmp_path, postgres_url):
    assert isinstance(open_store(postgres_url), PostgresStore)
    assert isinstance(open_store(tmp_path / "m"), TinyDBStore)
    with pytest.raises(ValueError, match="Unknown metadata store URL"):
        open_store("mysql://h/db")
    result = CliRunner().invoke(cli, ["store", "info", postgres_url])
    assert result.exit_code == 0 and "postgresql" in result.output and "schema version" in result.output
