"""The metadata-store contract (``framework.metadata.protocol``), run on every backend.

One ``store`` fixture, parametrised over the backends (as TinyDB's own tests parametrise
its storages): each behaviour here holds for the TinyDB files, the in-memory store and
PostgreSQL alike. What only one backend has (files, locks, corruption, processes, schema
migrations) is tested in ``test_metadata_tinydb.py`` and ``test_metadata_postgres.py``.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import threading
import uuid

import attrs
import numpy as np
import pytest

from framework.exceptions import DuplicateRunNameError
from framework.hashing import HASH_PREFIX
from framework.metadata import InMemoryStore, MetadataStore, Registration, TinyDBStore
from framework.records import Artifact, CacheEntry, Pipeline, Run, RunDetail, StepRun, Version

HOST = socket.gethostname()
BACKENDS = {
    "tinydb": lambda request, tmp_path: TinyDBStore(tmp_path / "store"),
    "memory": lambda request, tmp_path: InMemoryStore(),
    # a fresh schema on the session's PostgreSQL server (tests/conftest.py)
    "postgres": lambda request, tmp_path: request.getfixturevalue("postgres_store"),
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path) -> MetadataStore:
    return BACKENDS[request.param](request, tmp_path)


def new_id() -> str:
    return uuid.uuid4().hex


def ts(i: int) -> str:
    return (datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
            + datetime.timedelta(seconds=i)).isoformat()


def make_run(store: MetadataStore, name: str, pipeline: str = "p", start: int = 0, **extra) -> Run:
    registration = store.register_pipeline(pipeline, "h1", {"steps": ["a"]})
    run = Run(id=new_id(), name=name, pipeline_name=pipeline, pipeline_id=registration.pipeline_id,
              version=registration.version, status="running", start_time=ts(start), pid=os.getpid(),
              host=HOST, config={"x": 1})
    run = attrs.evolve(run, **extra)
    return store.create_run(run)


def step(n: int = 0, status: str = "completed", run_id: str = "r" * 32, **extra) -> StepRun:
    fields = {"parameters": {"n": n}, "start_time": ts(n), "end_time": ts(n + 1), **extra}
    return StepRun(id=new_id(), run_id=run_id, invocation_id=f"step_{n}", step_name=f"step_{n}", status=status,
                   **fields)


def artifact(**extra) -> Artifact:
    aid = new_id()
    return Artifact(id=aid, uri=f"{aid[:2]}/{aid}.json", materializer="m.M", data_type="builtins.int",
                    format_version=1, size=3, content_hash=HASH_PREFIX + "0" * 32, **extra)


# ---------------------------------------------------------------- empty and registration

def test_an_empty_store_answers_empty(store):
    assert store.get_run("x") is None and store.get_run_by_id(new_id()) is None
    assert store.list_runs() == [] and store.list_pipelines() == [] and store.list_versions("p") == []
    assert store.get_pipeline("p") is None and store.cache_candidates("k" * 8) == []
    assert store.referenced_artifact_ids() == set() and store.mark_crashed_runs() == []
    assert store.get_step_run(new_id(), "s") is None and store.run_id_for_name("x") is None


def test_registration_and_versioning(store):
    first = store.register_pipeline("p", "h1", {"a": 1})
    assert isinstance(first, Registration)
    assert (first.version, first.new_pipeline, first.new_version) == (1, True, True)
    assert store.register_pipeline("p", "h1", {"a": 1}) == Registration(first.pipeline_id, 1, False, False)
    second = store.register_pipeline("p", "h2", {"a": 2})
    assert (second.pipeline_id, second.version, second.new_pipeline, second.new_version) == \
        (first.pipeline_id, 2, False, True)
    assert store.register_pipeline("p", "h1", {"a": 1}).version == 1  # went back: existing version
    other = store.register_pipeline("q", "h1", {})
    assert other.pipeline_id != first.pipeline_id and other.version == 1 and other.new_pipeline

    versions = store.list_versions("p")
    assert all(isinstance(v, Version) for v in versions)
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].hash == "h2" and versions[1].spec == {"a": 2}
    pipeline = store.get_pipeline("p")
    assert isinstance(pipeline, Pipeline)
    assert (pipeline.latest_version, pipeline.last_run_id, pipeline.run_count) == (2, None, 0)
    assert [p.name for p in store.list_pipelines()] == ["p", "q"]


def test_registration_refuses_bad_input(store):
    with pytest.raises(ValueError, match="pipeline name"):
        store.register_pipeline("", "h", {})
    with pytest.raises(ValueError, match="version_hash"):
        store.register_pipeline("p", "", {})
    with pytest.raises(ValueError, match=r"spec\.x"):
        store.register_pipeline("p", "h", {"x": float("nan")})
    assert store.list_pipelines() == []


# ---------------------------------------------------------------- runs

def test_duplicate_run_name_raises_and_keeps_original(store):
    original = make_run(store, "my_run")
    store.record_step(original.id, step(run_id=original.id))
    with pytest.raises(DuplicateRunNameError) as info:
        make_run(store, "my_run", config={"other": True})
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert "my_run" in message and "{date}" in message and "{time}" in message
    kept = store.get_run("my_run")
    assert kept.run.id == original.id and kept.run.config == {"x": 1} and len(kept.steps) == 1
    assert store.get_pipeline("p").run_count == 1
    assert [r.id for r in store.list_runs()] == [original.id]


def test_create_run_validates_before_writing(store):
    with pytest.raises(ValueError, match="not registered"):
        store.create_run(Run(id=new_id(), name="r", pipeline_name="nope", pipeline_id=new_id(),
                             version=1, status="running", start_time=ts(0)))
    with pytest.raises(ValueError, match="run.id"):
        make_run(store, "r", id="../../etc")
    run = make_run(store, "r1")
    with pytest.raises(ValueError, match="already exists"):
        make_run(store, "r2", id=run.id)
    with pytest.raises(ValueError, match=r"run\.config\.nested\[1\]"):
        make_run(store, "r3", config={"nested": [1, np.float32(2)]})
    assert store.get_run("r2") is None and store.get_run("r3") is None
    assert store.get_pipeline("p").run_count == 1


def test_a_run_of_this_process_records_its_owner(store):
    run = make_run(store, "mine")
    assert run.process_start is not None
    assert store.get_run("mine").run.process_start == run.process_start


def test_record_step_round_trip_and_upsert(store):
    run = make_run(store, "r")
    first = step(0, status="running", run_id=run.id, cache_key="k0")
    second = step(1, status="running", run_id=run.id)
    store.record_step(run.id, first)
    store.record_step(run.id, second)
    out = artifact(step_name="step_0", output_name="out", run_name="r")
    done = attrs.evolve(first, status="completed", outputs={"out": out.id}, parameters={})
    store.record_step(run.id, done, [out])
    store.record_step(run.id, done, [out])  # idempotent

    loaded = store.get_run("r")
    assert isinstance(loaded, RunDetail)
    assert loaded == store.get_run_by_id(run.id) == store.get_run(run.id)
    assert [s.id for s in loaded.steps] == [first.id, second.id]  # first-recorded order
    assert loaded.steps[0] == done  # the last version replaces the record, it does not merge
    assert loaded.artifacts == {out.id: out}
    assert (loaded.run.name, loaded.run.pipeline_name, loaded.run.status, loaded.run.config) == \
        ("r", "p", "running", {"x": 1})
    assert store.get_step_run(run.id, second.id) == second
    assert store.get_step_run(run.id, "missing") is None
    assert store.referenced_artifact_ids() == {out.id}
    with pytest.raises(KeyError):
        store.record_step(new_id(), step())


def test_records_are_copies_not_shared_state(store):
    run = make_run(store, "r")
    params = {"nested": {"a": 1}}
    record = step(run_id=run.id, parameters=params)
    store.record_step(run.id, record)
    params["nested"]["a"] = 2  # the caller changes its dict afterwards
    first = store.get_run("r")
    assert first.steps[0].parameters == {"nested": {"a": 1}}
    first.steps[0].parameters["nested"]["a"] = 3  # a reader changes what it got
    assert store.get_run("r").steps[0].parameters == {"nested": {"a": 1}}


def test_finish_run_and_last_run(store):
    runs = [make_run(store, f"r{i}", start=i) for i in range(3)]
    late = step(7, run_id=runs[0].id)
    store.finish_run(runs[0].id, status="failed", end_time=ts(9), duration=1.5, error="boom", steps=[(late, [])])
    loaded = store.get_run("r0")
    assert (loaded.run.status, loaded.run.end_time, loaded.run.duration, loaded.run.error) == \
        ("failed", ts(9), 1.5, "boom")
    assert [s.id for s in loaded.steps] == [late.id]  # steps given with the close are stored too
    pipeline = store.get_pipeline("p")
    assert pipeline.last_run_id == runs[2].id and pipeline.run_count == 3
    with pytest.raises(KeyError):
        store.finish_run(new_id(), status="completed", end_time=ts(1), duration=1.0)
    with pytest.raises(ValueError, match="status"):
        store.finish_run(runs[1].id, status="exploded", end_time=ts(1), duration=1.0)


def test_list_runs_order_filters_and_limit(store):
    starts = [5, 1, 9, 3, 7]
    runs = {i: make_run(store, f"r{i}", pipeline="p", start=i) for i in starts}
    for i in (1, 9):
        store.finish_run(runs[i].id, status="completed", end_time=ts(20), duration=1.0)
    assert [r.name for r in store.list_runs()] == ["r9", "r7", "r5", "r3", "r1"]
    assert [r.name for r in store.list_runs(limit=2)] == ["r9", "r7"]
    runs[4] = make_run(store, "r4", pipeline="q", start=4)
    assert [r.name for r in store.list_runs("q")] == ["r4"]
    assert [r.name for r in store.list_runs("p")] == ["r9", "r7", "r5", "r3", "r1"]
    assert [r.name for r in store.list_runs(status="completed")] == ["r9", "r1"]
    assert [r.name for r in store.list_runs("p", status="running", limit=2)] == ["r7", "r5"]
    assert store.list_runs("nope") == [] and store.list_runs(limit=0) == []
    assert [r.name for r in store.list_runs(limit=2, offset=2)] == ["r5", "r4"]  # pages of the newest first
    assert [r.name for r in store.list_runs("p", offset=3)] == ["r3", "r1"]
    assert [r.name for r in store.list_runs(status="running", offset=1, limit=1)] == ["r5"]
    assert all(isinstance(r, Run) for r in store.list_runs())


def test_list_runs_searches_names_case_insensitively_with_pages(store):
    for i, name in enumerate(["train-A", "eval-a", "train-b", "TRAIN-c", "other"]):
        make_run(store, name, pipeline="p" if i < 4 else "q", start=i)
    assert [r.name for r in store.list_runs(name_contains="train")] == ["TRAIN-c", "train-b", "train-A"]
    assert [r.name for r in store.list_runs("p", name_contains="-A")] == ["eval-a", "train-A"]
    assert [r.name for r in store.list_runs(name_contains="train", limit=1, offset=1)] == ["train-b"]
    assert [r.name for r in store.list_runs(name_contains="train", status="running", offset=2)] == ["train-A"]
    assert store.list_runs("q", name_contains="train") == []
    assert [r.name for r in store.list_runs(name_contains="")] == [r.name for r in store.list_runs()]


# ---------------------------------------------------------------- cache index

def test_cache_candidates_newest_first(store):
    run = make_run(store, "r")
    key = "c" * 40
    a1, a2 = artifact(), artifact()
    s1 = step(1, run_id=run.id, cache_key=key, outputs={"out": a1.id})
    s2 = step(2, run_id=run.id, cache_key=key, outputs={"out": a2.id})
    store.record_step(run.id, s2, [a2])
    store.record_step(run.id, s1, [a1])  # recorded later, but older
    store.record_step(run.id, s1, [a1])  # re-recorded: no duplicate entry
    for status in ("running", "failed", "cached"):  # never entries
        store.record_step(run.id, step(5, status=status, run_id=run.id, cache_key=key))
    store.record_step(run.id, step(6, run_id=run.id))  # no key: no entry
    entries = store.cache_candidates(key)
    assert [e.step_run_id for e in entries] == [s2.id, s1.id]
    assert entries[0] == CacheEntry(cache_key=key, run_id=run.id, step_run_id=s2.id, outputs={"out": a2.id},
                                    artifacts={a2.id: a2}, created=s2.end_time)
    assert store.cache_candidates("d" * 40) == []


def test_cache_entries_per_key_are_capped(store):
    from framework.metadata import MAX_CACHE_ENTRIES

    run = make_run(store, "r")
    steps = [step(i, run_id=run.id, cache_key="k1") for i in range(MAX_CACHE_ENTRIES + 2)]
    for s in steps:
        store.record_step(run.id, s)
    assert [e.step_run_id for e in store.cache_candidates("k1")] == [s.id for s in steps[:1:-1]]


def test_evicting_a_damaged_artifacts_entries_leaves_the_others(store):
    run = make_run(store, "r")
    key = "k" * 40
    damaged, sound = artifact(), artifact()
    bad = step(1, run_id=run.id, cache_key=key, outputs={"out": damaged.id})
    good = step(2, run_id=run.id, cache_key=key, outputs={"out": sound.id})
    store.record_steps(run.id, [(bad, [damaged]), (good, [sound])])
    assert store.evict_cache_entries(key, damaged.id) == 1
    assert [e.step_run_id for e in store.cache_candidates(key)] == [good.id]
    assert store.evict_cache_entries(key, damaged.id) == 0 and store.evict_cache_entries("z" * 40, sound.id) == 0
    assert store.get_run("r").steps[0].id == bad.id  # the run's own records stay


# ---------------------------------------------------------------- strict JSON

@pytest.mark.parametrize("value, fragment", [
    (np.float64(0.5), "numpy.float64"),
    (np.int64(3), "numpy.int64"),
    (float("nan"), "nan"),
    (float("inf"), "inf"),
    (datetime.datetime(2024, 1, 1), "datetime"),
    ({1, 2}, "set"),
    (b"x", "bytes"),
    ({1: "a"}, "key 1"),
])
def test_strict_json_rejects_naming_the_key_path(store, value, fragment):
    run = make_run(store, "r")
    with pytest.raises(ValueError, match=fragment) as info:
        store.record_step(run.id, step(run_id=run.id, parameters={"gamma": value}))
    assert "step_run.parameters.gamma" in str(info.value)
    assert store.get_run("r").steps == ()


def test_strict_json_paths_for_artifacts_and_tuples(store):
    run = make_run(store, "r")
    with pytest.raises(ValueError, match=r"artifacts\[0\]\.run_name"):
        store.record_step(run.id, step(run_id=run.id), [attrs.evolve(artifact(), run_name=object())])
    assert store.get_run("r").steps == ()
    good = step(run_id=run.id, parameters={"shape": (2, 3)})
    store.record_step(run.id, good)
    assert store.get_run("r").steps[0].parameters == {"shape": [2, 3]}


def test_writes_take_records_not_dicts(store):
    registration = store.register_pipeline("p", "h", {})
    with pytest.raises(ValueError, match="framework.records.Run"):
        store.create_run({"id": new_id(), "name": "r", "pipeline_name": "p",  # type: ignore[arg-type]
                          "pipeline_id": registration.pipeline_id, "version": 1, "status": "running",
                          "start_time": ts(0)})
    run = make_run(store, "r")
    with pytest.raises(ValueError, match="framework.records.StepRun"):
        store.record_steps(run.id, [({"id": "s"}, [])])  # type: ignore[list-item]


# ---------------------------------------------------------------- crashed runs

def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    return int(child.stdout)


def test_a_run_whose_process_died_reads_crashed_then_is_persisted(store):
    dead = make_run(store, "crashy", pid=_dead_pid(), process_start=None)
    store.record_step(dead.id, step(0, status="running", run_id=dead.id))
    alive = make_run(store, "alive", start=5)  # this process: still running
    foreign = make_run(store, "foreign", host="some-other-host", pid=1, start=6)

    run = store.get_run("crashy")
    assert run.run.status == "crashed" and run.steps[0].status == "crashed"
    assert {r.name: r.status for r in store.list_runs()} == \
        {"crashy": "crashed", "alive": "running", "foreign": "running"}
    assert [r.name for r in store.list_runs(status="crashed")] == ["crashy"]

    assert store.mark_crashed_runs() == [dead.id]
    persisted = store.get_run("crashy")
    assert persisted.run.status == "crashed" and "ended without finishing" in persisted.run.error
    assert store.mark_crashed_runs() == []
    assert store.get_run_by_id(alive.id).run.status == "running"
    assert store.get_run_by_id(foreign.id).run.status == "running"  # other hosts are never judged


def test_a_held_lease_keeps_a_run_alive_whatever_its_pid_and_a_free_one_is_gone(store):
    """SPEC §11: liveness is not judged by (host, pid) alone. A run whose recorded pid is dead
    here (another pid namespace) reads running while its lease is held, crashed once free."""
    run_id = new_id()
    with store.run_lease(run_id) as lease:
        if lease is None:
            pytest.skip(f"{type(store).__name__} has no run leases (liveness by host and pid)")
        make_run(store, "leased", id=run_id, pid=_dead_pid(), process_start=None, lease=lease)
        assert store.get_run("leased").run.status == "running"
        assert [r.name for r in store.list_runs(status="running")] == ["leased"]
        assert [r.status for r in store.query_runs()] == ["running"]
        assert store.mark_crashed_runs() == []
    assert store.get_run("leased").run.status == "crashed"
    assert store.mark_crashed_runs() == [run_id]
    assert store.get_run("leased").run.status == "crashed"


def test_a_reused_pid_is_not_the_owner(store):
    make_run(store, "reused", process_start="another-boot:1")  # our pid, another process's start
    assert store.get_run("reused").run.status == "crashed"


# ---------------------------------------------------------------- concurrency

def test_threads_sharing_a_store_lose_nothing(store):
    pipeline_id = store.register_pipeline("p", "h1", {}).pipeline_id

    def writer(worker: int) -> None:
        for i in range(10):
            run = store.create_run(Run(id=new_id(), name=f"w{worker}-{i}", pipeline_name="p",
                                       pipeline_id=pipeline_id, version=1, status="running", start_time=ts(i)))
            store.record_step(run.id, step(i, run_id=run.id, cache_key=f"key-{worker}-{i}"))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_pipeline("p").run_count == 40 and len(store.list_runs()) == 40
    assert len({r.name for r in store.list_runs()}) == 40
    assert len(store.cache_candidates("key-3-9")) == 1


def test_exclusive_holds_off_writers(store):
    make_run(store, "r")
    done = threading.Event()
    with store.exclusive():
        writer = threading.Thread(target=lambda: (make_run(store, "r2"), done.set()))
        writer.start()
        writer.join(0.3)
        assert not done.is_set()
    writer.join(10)
    assert done.is_set() and store.get_run("r2") is not None


# ---------------------------------------------------------------- run history: tags, notes, metadata

def test_update_run_tags_notes_and_metadata(store):
    run = make_run(store, "r")
    updated = store.update_run(run.id, add_tags=["best", "baseline", "best"], notes="first try",
                               metadata={"accuracy": 0.9, "eval": {"f1": 0.8}})
    assert isinstance(updated, Run)
    assert (updated.tags, updated.notes, updated.metadata) == (["best", "baseline"], "first try",
                                                               {"accuracy": 0.9, "eval": {"f1": 0.8}})
    again = store.update_run(run.id, add_tags=["v2"], remove_tags=["best"], metadata={"accuracy": 0.95})
    assert again.tags == ["baseline", "v2"] and again.notes == "first try"  # None leaves the notes
    assert again.metadata == {"accuracy": 0.95, "eval": {"f1": 0.8}}  # merged key by key
    assert store.update_run(run.id, notes="").notes is None  # "" clears
    assert store.get_run("r").run.tags == ["baseline", "v2"]
    assert [r.name for r in store.query_runs(tags=["v2"])] == ["r"]


@pytest.mark.parametrize("change, fragment", [
    ({"add_tags": ["a,b"]}, "not a valid tag"),
    ({"add_tags": [" padded"]}, "not a valid tag"),
    ({"add_tags": "best"}, "list of strings"),
    ({"notes": 3}, "notes must be a str"),
    ({"metadata": {"loss": float("nan")}}, "metadata.loss"),
    ({"metadata": {"": 1}}, "non-empty strings"),
])
def test_update_run_checks_before_writing(store, change, fragment):
    run = make_run(store, "r")
    with pytest.raises(ValueError, match=fragment):
        store.update_run(run.id, **{"add_tags": ["kept"], **change})
    stored = store.get_run("r").run
    assert (stored.tags, stored.notes, stored.metadata) == ([], None, {})
    with pytest.raises(KeyError):
        store.update_run(new_id(), add_tags=["x"])


def test_update_pipeline_tags_and_notes(store):
    make_run(store, "r")
    pipeline = store.update_pipeline("p", add_tags=["prod"], notes="the digits model")
    assert isinstance(pipeline, Pipeline) and (pipeline.tags, pipeline.notes) == (["prod"], "the digits model")
    assert store.update_pipeline("p", remove_tags=["prod"]).tags == []
    assert store.get_pipeline("p").notes == "the digits model" and store.get_pipeline("p").run_count == 1
    with pytest.raises(KeyError):
        store.update_pipeline("nope", add_tags=["x"])


def test_update_step_run_merges_metadata(store):
    run = make_run(store, "r")
    first = step(0, run_id=run.id, metadata={"loss": 1.0})
    store.record_step(run.id, first)
    updated = store.update_step_run(run.id, first.id, metadata={"epochs": 3},
                                    output_metadata={"model": {"auc": 0.7}})
    assert isinstance(updated, StepRun)
    assert updated.metadata == {"loss": 1.0, "epochs": 3} and updated.output_metadata == {"model": {"auc": 0.7}}
    store.update_step_run(run.id, first.id, output_metadata={"model": {"size": 2}})
    assert store.get_run("r").steps[0].output_metadata == {"model": {"auc": 0.7, "size": 2}}
    with pytest.raises(KeyError):
        store.update_step_run(run.id, "missing", metadata={"a": 1})
    with pytest.raises(ValueError, match="metadata.bad"):
        store.update_step_run(run.id, first.id, metadata={"bad": np.float32(1)})


def test_finish_run_stores_metadata_and_summary(store):
    run = make_run(store, "r")
    store.update_run(run.id, metadata={"during": 1})
    summary = {"params": {"trainer.gamma": 0.1}, "metrics": {"scorer.output": 0.9}}
    store.finish_run(run.id, status="completed", end_time=ts(3), duration=3.0, metadata={"final": 2},
                     summary=summary)
    stored = store.get_run("r").run
    assert stored.metadata == {"during": 1, "final": 2} and stored.summary == summary
    row = next(store.query_runs())
    assert (row.name, row.status, row.summary, row.duration) == ("r", "completed", summary, 3.0)
    with pytest.raises(ValueError, match=r"run\.metadata\.x"):
        store.finish_run(run.id, status="completed", end_time=ts(3), duration=3.0, metadata={"x": {1, 2}})


# ---------------------------------------------------------------- run history: queries

def test_query_runs_filters_newest_first(store):
    from framework.records import RunRow

    runs = {i: make_run(store, f"r{i}", pipeline="p" if i % 2 else "q", start=i) for i in range(6)}
    for i in (1, 2):
        store.finish_run(runs[i].id, status="completed", end_time=ts(10), duration=1.0)
    store.finish_run(runs[3].id, status="failed", end_time=ts(10), duration=1.0, error="boom")
    store.update_run(runs[4].id, add_tags=["best", "v2"])
    store.update_run(runs[5].id, add_tags=["v2"])
    every = list(store.query_runs())
    assert [r.name for r in every] == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert all(isinstance(r, RunRow) for r in every) and every[0].steps == 0
    assert [r.name for r in store.query_runs(pipeline_name="p")] == ["r5", "r3", "r1"]
    assert [r.name for r in store.query_runs(status="completed")] == ["r2", "r1"]
    assert [r.name for r in store.query_runs(status=["failed", "completed"])] == ["r3", "r2", "r1"]
    assert [r.name for r in store.query_runs(tags=["v2"])] == ["r5", "r4"]
    assert [r.name for r in store.query_runs(tags=["v2", "best"])] == ["r4"]
    assert [r.name for r in store.query_runs(since=ts(2), until=ts(4))] == ["r3", "r2"]
    assert [r.name for r in store.query_runs(since=datetime.datetime(2024, 1, 1, 0, 0, 4))] == ["r5", "r4"]
    assert [r.name for r in store.query_runs(pipeline_name="q", status="running", until=ts(5))] == ["r4", "r0"]
    assert list(store.query_runs(pipeline_name="nope")) == []
    lazy = store.query_runs()
    assert next(lazy).name == "r5"  # an iterator: a caller may stop early
    for bad in ({"status": "exploded"}, {"since": "last tuesday"}, {"tags": ["a,b"]}):
        with pytest.raises(ValueError):
            store.query_runs(**bad)


def test_query_runs_shows_a_dead_owner_as_crashed(store):
    make_run(store, "dead", pid=_dead_pid(), process_start=None)
    assert [(r.name, r.status) for r in store.query_runs()] == [("dead", "crashed")]
    assert [r.name for r in store.query_runs(status="crashed")] == ["dead"]
    store.mark_crashed_runs()
    assert next(store.query_runs()).status == "crashed"


# ---------------------------------------------------------------- run history: deleting

def _completed_run(store, name, start, key, out, original=None):
    run = make_run(store, name, start=start)
    if original is None:
        record = step(0, run_id=run.id, cache_key=key, outputs={"out": out.id})
    else:
        record = step(0, status="cached", run_id=run.id, cache_key=key, outputs={"out": out.id},
                      original_run_id=original[0], original_step_run_id=original[1])
    store.finish_run(run.id, status="completed", end_time=ts(start + 1), duration=1.0, steps=[(record, [out])])
    return run, record


def test_delete_runs_removes_everything_of_them(store):
    shared, own = artifact(), artifact()
    first, first_step = _completed_run(store, "first", 1, "k-shared", shared)
    cached, _ = _completed_run(store, "cached", 2, "k-shared", shared, original=(first.id, first_step.id))
    last, _ = _completed_run(store, "last", 3, "k-own", own)
    assert store.get_pipeline("p").last_run_id == last.id

    assert store.delete_runs([first.id, last.id]) == [first.id, last.id]
    assert store.get_run("first") is None and store.get_run_by_id(last.id) is None
    assert store.run_id_for_name("first") is None
    assert [r.name for r in store.list_runs()] == [r.name for r in store.query_runs()] == ["cached"]
    pipeline = store.get_pipeline("p")
    assert (pipeline.run_count, pipeline.last_run_id) == (1, cached.id)
    assert store.cache_candidates("k-shared") == [] and store.cache_candidates("k-own") == []
    kept = store.get_run("cached")  # a run cached from a deleted one keeps its own artifact records
    assert kept.steps[0].original_run_id == first.id and kept.artifacts == {shared.id: shared}
    assert store.referenced_artifact_ids() == {shared.id}
    make_run(store, "first", start=9)  # the name is free again
    assert store.get_pipeline("p").run_count == 2
    assert store.delete_runs([]) == []


def test_delete_runs_checks_every_id_first(store):
    keep = make_run(store, "alive")  # owned by this (live) process
    done, _ = _completed_run(store, "done", 1, "k", artifact())
    with pytest.raises(KeyError):
        store.delete_runs([done.id, new_id()])
    with pytest.raises(Exception, match="still running") as info:
        store.delete_runs([done.id, keep.id])
    from framework.exceptions import RunInProgressError

    assert isinstance(info.value, RunInProgressError) and "alive" in str(info.value)
    assert {r.name for r in store.query_runs()} == {"alive", "done"}  # nothing was deleted
    assert store.get_pipeline("p").run_count == 2
    crashed = make_run(store, "crashed", pid=_dead_pid(), process_start=None)
    assert store.delete_runs([crashed.id]) == [crashed.id]  # a dead owner's run may go


def test_delete_pipeline_removes_its_runs_and_versions(store):
    a, _ = _completed_run(store, "a", 1, "ka", artifact())
    make_run(store, "other", pipeline="q")
    store.register_pipeline("p", "h2", {"v": 2})
    assert store.delete_pipeline("p") == [a.id]
    assert store.get_pipeline("p") is None and store.list_versions("p") == []
    assert [p.name for p in store.list_pipelines()] == ["q"]
    assert [r.name for r in store.query_runs()] == ["other"] and store.get_run("a") is None
    with pytest.raises(KeyError):
        store.delete_pipeline("p")
    again = store.register_pipeline("p", "h1", {})
    assert (again.version, again.new_pipeline) == (1, True)
    live = make_run(store, "live", pipeline="q")
    with pytest.raises(Exception, match="still running"):
        store.delete_pipeline("q")
    assert store.get_run_by_id(live.id) is not None
