"""How a run's step records reach the store (``framework.execution.step_recorder``): one
transaction per executed step at most, cached and skipped steps batched, no `running`
record for short steps, and a consistent store after a failure or a crash mid-run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from framework import Client, pipeline, step
from framework.exceptions import StoreWriteError
from framework.execution import step_recorder
from framework.metadata import TinyDBStore
from framework.metadata.tinydb import steps as step_chunks

REPO = str(Path(__file__).resolve().parent.parent)
CALLS: list[str] = []


@step
def source() -> int:
    CALLS.append("source")
    return 1


@step
def add(x: int, y: int = 1) -> int:
    CALLS.append(f"add{y}")
    return x + y


@step
def boom(x: int) -> int:
    raise ValueError("boom")


@pipeline
def chain(n: int = 4):
    value = source()
    for i in range(n):
        value = add(x=value, y=i + 1)


@pytest.fixture
def spy(monkeypatch):
    """Every store write of step records: ('record', [statuses]) or ('finish', [statuses])."""
    calls: list[tuple[str, list[str]]] = []
    record_steps, finish_run = TinyDBStore.record_steps, TinyDBStore.finish_run

    def spy_record(self, run_id, records, **kwargs):
        calls.append(("record", [r.status for r, _ in records]))
        return record_steps(self, run_id, records, **kwargs)

    def spy_finish(self, run_id, *, steps=(), **kwargs):
        calls.append(("finish", [r.status for r, _ in steps]))
        return finish_run(self, run_id, steps=steps, **kwargs)

    monkeypatch.setattr(TinyDBStore, "record_steps", spy_record)
    monkeypatch.setattr(TinyDBStore, "finish_run", spy_finish)
    CALLS.clear()
    return calls


def _store(home: Path) -> TinyDBStore:
    return TinyDBStore(home / "metadata")


def _referenced_artifacts_exist(client: Client, store: TinyDBStore) -> None:
    """Every artifact a record or cache entry points at is on disk and verifies."""
    artifacts = client.artifact_store
    for run in store.list_runs():
        full = store.get_run_by_id(run.id)
        for record in full.artifacts.values():
            assert artifacts.verify(record), record
        for step_run in full.steps:
            for artifact_id in step_run.outputs.values():
                assert artifact_id in full.artifacts
            if step_run.status == "completed" and step_run.cache_key:
                for entry in store.cache_candidates(step_run.cache_key):
                    for record in entry.artifacts.values():
                        assert artifacts.verify(record)


def test_executed_steps_write_once_and_no_running_record_for_short_steps(spy):
    run = chain.with_options(enable_cache=False)()
    statuses = [s for _, batch in spy for s in batch]
    assert "running" not in statuses
    records = [c for c in spy if c[0] == "record"]
    # at most one transaction per executed step: group commit may merge them, and records the
    # committer has not taken when the run ends go with the run's last transaction
    assert len(records) <= 5
    assert statuses.count("completed") == 5
    assert [s.status for s in run.steps.values()] == ["completed"] * 5
    assert list(run.steps) == ["source", "add", "add_2", "add_3", "add_4"]


def test_a_cached_run_writes_its_step_records_with_the_run_end(spy):
    chain()
    spy.clear()
    CALLS.clear()
    run = chain()
    assert spy == [("finish", ["cached"] * 5)]  # no transaction of their own
    reread = Client().get_run(run.name)
    assert [s.status for s in reread.steps.values()] == ["cached"] * 5
    assert reread.steps["add_4"].output.load() == 11
    assert CALLS == []


def test_cached_steps_ride_with_the_next_executed_step(spy):
    chain()
    spy.clear()

    @pipeline(name="chain")
    def extended():
        value = source()
        for i in range(4):
            value = add(x=value, y=i + 1)
        add(x=value, y=100)  # new: executes after four cache hits

    run = extended()
    # one transaction (the committer's, or the run's last if that came first) carries all six
    assert [batch for _, batch in spy if batch] == [["cached"] * 5 + ["completed"]]
    assert [s.status for s in run.steps.values()] == ["cached"] * 5 + ["completed"]


def test_a_long_step_is_shown_running_while_it_runs(monkeypatch, home):
    monkeypatch.setattr(step_recorder, "RUNNING_AFTER_S", 0.05)
    seen: list[str] = []

    @step
    def slow() -> int:
        store = _store(home)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            run = store.list_runs("watched", limit=1)[0]
            steps = store.get_run_by_id(run.id).steps
            if steps and steps[0].status == "running":
                seen.append("running")
                break
            time.sleep(0.02)
        return 1

    @pipeline
    def watched():
        slow()

    run = watched()
    assert seen == ["running"]
    assert run.steps["slow"].status == "completed"
    assert Client().get_run(run.name).steps["slow"].status == "completed"


def test_a_failure_mid_run_leaves_a_consistent_store(spy, home):
    @pipeline(name="mixed")
    def mixed():
        value = source()
        broken = boom(x=add(x=value, y=1))
        add(x=broken, y=2)  # skipped
        add(x=value, y=3)  # independent: runs

    chain()  # source and add(y=1) are now cached
    with pytest.raises(ValueError, match="boom"):
        mixed()
    run = Client().list_runs(pipeline_name="mixed")[0]
    assert run.status == "failed"
    assert {k: s.status for k, s in run.steps.items()} == {
        "source": "cached", "add": "cached", "boom": "failed", "add_2": "skipped", "add_3": "completed"}
    assert all(status != "running" for _, batch in spy for status in batch)
    _referenced_artifacts_exist(Client(), _store(home))
    CALLS.clear()
    with pytest.raises(ValueError):
        mixed()
    assert CALLS == []  # everything that could be was a cache hit


@pytest.mark.parametrize("path", ["committer", "last transaction"])
def test_a_store_that_cannot_record_steps_fails_the_run_and_closes_it(monkeypatch, path):
    """Step records reach the store from the committer thread or, if it has not taken them
    yet when the run ends, with the run's last transaction: both must fail the run."""
    def broken(txn, run_id, prepared, known_chunk):
        raise StoreWriteError(28, "disk full", "steps")

    monkeypatch.setattr(step_chunks, "write", broken)
    if path == "last transaction":
        monkeypatch.setattr(step_recorder.StepRecorder, "_start", lambda self: None)
    with pytest.raises(StoreWriteError):
        chain.with_options(enable_cache=False)()
    run = Client().list_runs(pipeline_name="chain")[0]
    assert run.status == "failed"  # closed, never left `running`


CRASHING = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from framework import pipeline, step

    @step
    def one() -> int:
        return 1

    @step
    def plus(x: int, y: int) -> int:
        if y == int(sys.argv[2]):
            os._exit(3)  # the process dies mid-run, without any cleanup
        return x + y

    @pipeline(name="crashy")
    def crashy():
        value = one()
        for i in range(6):
            value = plus(x=value, y=i)

    crashy()
""")


@pytest.mark.parametrize("crash_at", [0, 3, 99])
def test_a_crash_mid_run_leaves_a_consistent_store(home, tmp_path, crash_at):
    script = tmp_path / "crashy.py"
    script.write_text(CRASHING)
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "PYTHONPATH": REPO}
    first = subprocess.run([sys.executable, str(script), REPO, str(crash_at)], env=env, capture_output=True)
    assert first.returncode == (0 if crash_at == 99 else 3), first.stderr
    store = _store(home)
    run = store.list_runs("crashy")[0]
    assert run.status == ("completed" if crash_at == 99 else "crashed")
    _referenced_artifacts_exist(Client(), store)
    again = subprocess.run([sys.executable, str(script), REPO, "99"], env=env, capture_output=True)
    assert again.returncode == 0, again.stderr
    last = Client().get_pipeline("crashy").last_run
    assert last.status == "completed" and last.steps["plus_6"].output.load() == 16
    if crash_at == 99:
        assert all(s.status == "cached" for s in last.steps.values())
    _referenced_artifacts_exist(Client(), store)
