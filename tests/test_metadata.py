"""The metadata store (SPEC §5, §7, §8): records, uniqueness, cache index, corruption,
strict JSON, crashed runs and concurrent writers."""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import filelock
import numpy as np
import pytest

import framework
from framework.exceptions import DuplicateRunNameError, StoreCorruptedError
from framework.metadata import MetadataStore, Registration, layout, store as store_module

HOST = socket.gethostname()
REPO = str(Path(framework.__file__).resolve().parent.parent)
MP = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def new_id() -> str:
    return uuid.uuid4().hex


def ts(i: int) -> str:
    return (datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
            + datetime.timedelta(seconds=i)).isoformat()


def make_run(store: MetadataStore, name: str, pipeline: str = "p", start: int = 0, **extra) -> dict:
    registration = store.register_pipeline(pipeline, "h1", {"steps": ["a"]})
    run = {
        "id": new_id(), "name": name, "pipeline_name": pipeline,
        "pipeline_id": registration.pipeline_id, "version": registration.version,
        "status": "running", "start_time": ts(start), "pid": os.getpid(), "host": HOST,
        "config": {"x": 1}, "enable_cache": None, "unlisted": False,
    }
    run.update(extra)
    store.create_run(run)
    return run


def step(n: int = 0, status: str = "completed", cache_key: str | None = None, **extra) -> dict:
    record = {"id": new_id(), "name": f"step_{n}", "status": status, "parameters": {"n": n},
              "start_time": ts(n), "end_time": ts(n + 1), "outputs": {}}
    if cache_key is not None:
        record["cache_key"] = cache_key
    record.update(extra)
    return record


def artifact(**extra) -> dict:
    return {"id": new_id(), "uri": "a/b", "materializer": "json", "size": 3, **extra}


@pytest.fixture
def store(tmp_path) -> MetadataStore:
    return MetadataStore(tmp_path / "store")


# ---------------------------------------------------------------- basics and registration

def test_root_is_created_lazily_and_missing_store_reads_empty(tmp_path):
    root = tmp_path / "nested" / "store"
    s = MetadataStore(root)
    assert not root.exists()
    assert s.get_run("x") is None and s.get_run_by_id(new_id()) is None
    assert s.list_runs() == [] and s.list_pipelines() == [] and s.list_versions("p") == []
    assert s.get_pipeline("p") is None and s.cache_candidates("k" * 8) == []
    assert s.referenced_artifact_ids() == set() and s.mark_crashed_runs() == []
    assert not root.exists()
    s.register_pipeline("p", "h", {})
    assert (root / "pipelines.json").is_file()


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
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["hash"] == "h2" and versions[1]["spec"] == {"a": 2}
    assert set(versions[0]) == {"pipeline_id", "pipeline_name", "number", "hash", "spec", "created"}
    pipeline = store.get_pipeline("p")
    assert set(pipeline) == {"id", "name", "created", "latest_version", "last_run_id", "run_count",
                             "index_chunk"}
    assert (pipeline["latest_version"], pipeline["last_run_id"], pipeline["run_count"]) == (2, None, 0)
    assert [p["name"] for p in store.list_pipelines()] == ["p", "q"]


def test_known_version_writes_nothing(store):
    store.register_pipeline("p", "h1", {})
    files = {p: p.stat().st_ino for p in Path(store.root).rglob("*.json")}
    store.register_pipeline("p", "h1", {})
    assert {p: p.stat().st_ino for p in Path(store.root).rglob("*.json")} == files


# ---------------------------------------------------------------- runs

def test_duplicate_run_name_raises_and_keeps_original(store):
    original = make_run(store, "my_run")
    store.record_step(original["id"], step(), [])
    with pytest.raises(DuplicateRunNameError) as info:
        make_run(store, "my_run", config={"other": True})
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert "my_run" in message and "{date}" in message and "{time}" in message
    kept = store.get_run("my_run")
    assert kept["id"] == original["id"] and kept["config"] == {"x": 1} and len(kept["step_runs"]) == 1
    assert store.get_pipeline("p")["run_count"] == 1
    assert [r["id"] for r in store.list_runs()] == [original["id"]]


def test_create_run_validates(store):
    with pytest.raises(ValueError, match="not registered"):
        store.create_run({"id": new_id(), "name": "r", "pipeline_name": "nope", "pipeline_id": new_id(),
                          "version": 1, "status": "running", "start_time": ts(0)})
    with pytest.raises(ValueError, match="start_time"):
        store.create_run({"id": new_id(), "name": "r", "pipeline_name": "p", "pipeline_id": "x1",
                          "version": 1, "status": "running"})
    with pytest.raises(ValueError, match="run\\['id'\\]"):
        make_run(store, "r", id="../../etc")
    run = make_run(store, "r1")
    with pytest.raises(ValueError, match="already exists"):
        make_run(store, "r2", id=run["id"])
    assert store.get_run("r2") is None


def test_record_step_round_trip_and_upsert(store):
    run = make_run(store, "r")
    first, second = step(0, status="running", cache_key="k0"), step(1, status="running")
    store.record_step(run["id"], first, [])
    store.record_step(run["id"], second, [])
    out = artifact()
    done = {**first, "status": "completed", "outputs": {"out": out["id"]}}
    del done["parameters"]  # upsert replaces the record, it does not merge
    store.record_step(run["id"], done, [out])
    store.record_step(run["id"], done, [out])  # idempotent

    loaded = store.get_run("r")
    assert loaded == store.get_run_by_id(run["id"]) == store.get_run(run["id"])
    assert [s["id"] for s in loaded["step_runs"]] == [first["id"], second["id"]]  # execution order
    assert loaded["step_runs"][0] == done
    assert loaded["artifacts"] == {out["id"]: out}
    assert {k: loaded[k] for k in ("name", "pipeline_name", "status", "config")} == \
        {"name": "r", "pipeline_name": "p", "status": "running", "config": {"x": 1}}
    assert store.get_step_run(run["id"], second["id"]) == second
    assert store.get_step_run(run["id"], "missing") is None and store.get_step_run(new_id(), "x") is None
    assert store.referenced_artifact_ids() == {out["id"]}
    with pytest.raises(KeyError):
        store.record_step(new_id(), step(), [])


def test_finish_run_and_last_run(store):
    runs = [make_run(store, f"r{i}", start=i) for i in range(3)]
    store.finish_run(runs[0]["id"], "failed", ts(9), 1.5, "boom")
    loaded = store.get_run("r0")
    assert (loaded["status"], loaded["end_time"], loaded["duration"], loaded["error"]) == \
        ("failed", ts(9), 1.5, "boom")
    pipeline = store.get_pipeline("p")
    assert pipeline["last_run_id"] == runs[2]["id"] and pipeline["run_count"] == 3
    with pytest.raises(KeyError):
        store.finish_run(new_id(), "completed", ts(1), 1.0)


def test_list_runs_order_filters_and_limit(store):
    starts = [5, 1, 9, 3, 7]
    runs = {i: make_run(store, f"r{i}", pipeline="p" if i % 2 else "q", start=i) for i in starts}
    for i in (1, 9):
        store.finish_run(runs[i]["id"], "completed", ts(20), 1.0)
    assert [r["name"] for r in store.list_runs()] == ["r9", "r7", "r5", "r3", "r1"]
    assert [r["name"] for r in store.list_runs(limit=2)] == ["r9", "r7"]
    assert [r["name"] for r in store.list_runs("p")] == ["r9", "r7", "r5", "r3", "r1"]
    store.register_pipeline("q", "h1", {})
    runs[4] = make_run(store, "r4", pipeline="q", start=4)
    assert [r["name"] for r in store.list_runs("q")] == ["r4"]
    assert [r["name"] for r in store.list_runs(status="completed")] == ["r9", "r1"]
    assert [r["name"] for r in store.list_runs("p", status="running", limit=2)] == ["r7", "r5"]
    assert store.list_runs("nope") == [] and store.list_runs(limit=0) == []
    assert "step_runs" not in store.list_runs(limit=1)[0]


def test_list_runs_across_index_chunks_is_exact(store, monkeypatch):
    monkeypatch.setattr(layout, "INDEX_CHUNK", 4)
    # created out of start-time order, as concurrent launchers may do
    starts = [3, 1, 2, 0, 7, 5, 6, 4, 8, 11, 9, 10, 12]
    for i in starts:
        make_run(store, f"r{i:02d}", start=i)
    assert len(list(Path(store.root, "index").rglob("*.json"))) == 4
    expected = [f"r{i:02d}" for i in sorted(starts, reverse=True)]
    assert [r["name"] for r in store.list_runs()] == expected
    assert [r["name"] for r in store.list_runs("p", limit=5)] == expected[:5]


# ---------------------------------------------------------------- cache index

def test_cache_candidates_newest_first(store):
    run = make_run(store, "r")
    key = "c" * 40
    a1, a2 = artifact(), artifact()
    s1 = step(1, cache_key=key, outputs={"out": a1["id"]})
    s2 = step(2, cache_key=key, outputs={"out": a2["id"]})
    store.record_step(run["id"], s2, [a2])
    store.record_step(run["id"], s1, [a1])  # recorded later, but older
    store.record_step(run["id"], s1, [a1])  # re-recorded: no duplicate entry
    for status in ("running", "failed", "cached"):  # never entries
        store.record_step(run["id"], step(5, status=status, cache_key=key), [])
    store.record_step(run["id"], step(6), [])  # no key: no entry
    entries = store.cache_candidates(key)
    assert [e["step_run_id"] for e in entries] == [s2["id"], s1["id"]]
    assert entries[0] == {"cache_key": key, "run_id": run["id"], "step_run_id": s2["id"],
                          "outputs": {"out": a2["id"]}, "artifacts": {a2["id"]: a2},
                          "created": s2["end_time"]}
    assert store.cache_candidates("d" * 40) == []


def test_cache_entries_per_key_are_capped(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_CACHE_ENTRIES", 3)
    run = make_run(store, "r")
    steps = [step(i, cache_key="k1") for i in range(5)]
    for s in steps:
        store.record_step(run["id"], s, [])
    assert [e["step_run_id"] for e in store.cache_candidates("k1")] == [s["id"] for s in steps[:1:-1]]


# ---------------------------------------------------------------- corruption

def _populated(store) -> dict[str, str]:
    run = make_run(store, "r")
    store.register_pipeline("p", "h2", {})
    a = artifact()
    store.record_step(run["id"], step(cache_key="k" * 8, outputs={"o": a["id"]}), [a])
    store.finish_run(run["id"], "completed", ts(5), 1.0)
    pipeline_id = store.get_pipeline("p")["id"]
    return {
        "pipelines": layout.PIPELINES, "versions": layout.VERSIONS, "run": layout.run_file(run["id"]),
        "steps": layout.steps_file(run["id"]),
        "name": layout.name_file("r"), "cache": layout.cache_file("k" * 8),
        "index": layout.index_file(pipeline_id, 0),
    }


READS = {
    "pipelines": lambda s: s.get_pipeline("p"),
    "versions": lambda s: s.list_versions("p"),
    "run": lambda s: s.list_runs("p"),
    "steps": lambda s: s.get_run_by_id(s.get_pipeline("p")["last_run_id"]),
    "name": lambda s: s.get_run("r"),
    "cache": lambda s: s.cache_candidates("k" * 8),
    "index": lambda s: s.list_runs("p"),
}
CORRUPTIONS = {
    "empty": lambda raw: b"",
    "whitespace": lambda raw: b"  \n",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "garbage": lambda raw: b"\x00\xffnot json at all",
    "not-tables": lambda raw: b"[1, 2, 3]",
    "nan": lambda raw: b'{"t": {"1": {"x": NaN}}}',
}


@pytest.mark.parametrize("kind", sorted(READS))
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_store_file_raises_naming_the_file(store, kind, corruption):
    files = _populated(store)
    path = Path(store.root, files[kind])
    raw = path.read_bytes()
    path.write_bytes(CORRUPTIONS[corruption](raw))
    with pytest.raises(StoreCorruptedError) as info:
        READS[kind](store)
    assert str(path) in str(info.value)
    if path.with_name(path.name + ".bak").exists():
        assert ".bak" in str(info.value) and "cp " in str(info.value)


@pytest.mark.parametrize("kind", ["pipelines", "run", "steps", "name", "index"])
def test_writes_refuse_corrupt_files_and_leave_them(store, kind):
    files = _populated(store)
    path = Path(store.root, files[kind])
    path.write_bytes(b"")
    with pytest.raises(StoreCorruptedError, match="refusing"):
        if kind in ("run", "steps"):
            store.record_step(store.get_pipeline("p")["last_run_id"], step(), [])
        else:
            make_run(store, "r" if kind == "name" else "r2")
    assert path.read_bytes() == b""


def test_bak_restores_last_good_copy(store):
    files = _populated(store)
    path = Path(store.root, files["pipelines"])
    good = store.get_pipeline("p")
    path.write_bytes(b'{"pipelines": {"1": {"na')
    with pytest.raises(StoreCorruptedError) as info:
        store.get_pipeline("p")
    assert f"cp '{path}.bak' '{path}'" in str(info.value)
    shutil.copyfile(f"{path}.bak", path)
    assert store.get_pipeline("p")["id"] == good["id"]


def test_missing_files_are_empty(store):
    files = _populated(store)
    for kind in ("name", "cache", "index"):
        os.unlink(Path(store.root, files[kind]))
    assert store.get_run("r") is None
    assert store.cache_candidates("k" * 8) == []
    assert store.list_runs() == []


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
    bad = step(parameters={"gamma": value})
    with pytest.raises(ValueError, match=fragment) as info:
        store.record_step(run["id"], bad, [])
    assert "step_run.parameters.gamma" in str(info.value)
    assert store.get_run("r")["step_runs"] == []


def test_strict_json_paths_for_runs_and_artifacts_and_tuples(store):
    with pytest.raises(ValueError, match=r"run\.config\.nested\[1\]"):
        make_run(store, "r", config={"nested": [1, np.float32(2)]})
    assert store.get_run("r") is None
    run = make_run(store, "r")
    with pytest.raises(ValueError, match=r"artifacts\[0\]\.meta\['odd key'\]"):
        store.record_step(run["id"], step(), [artifact(meta={"odd key": object()})])
    good = step(parameters={"shape": (2, 3)})
    store.record_step(run["id"], good, [])
    assert store.get_run("r")["step_runs"][0]["parameters"] == {"shape": [2, 3]}


# ---------------------------------------------------------------- crashed runs

CRASHING_CHILD = """
import os, socket, sys
from framework.metadata import MetadataStore
s = MetadataStore(sys.argv[1])
reg = s.register_pipeline("p", "h1", {})
s.create_run({"id": sys.argv[2], "name": "crashy", "pipeline_name": "p", "pipeline_id": reg.pipeline_id,
              "version": 1, "status": "running", "start_time": "2024-01-01T00:00:00+00:00",
              "pid": os.getpid(), "host": socket.gethostname()})
s.record_step(sys.argv[2], {"id": "s1", "name": "a", "status": "running"}, [])
os._exit(0)  # dies without finishing the run
"""


def test_crashed_run_detected_and_persisted(store):
    run_id = new_id()
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, "-c", CRASHING_CHILD, store.root, run_id], check=True, env=env)
    alive = make_run(store, "alive", start=5)  # this process: still running

    run = store.get_run("crashy")
    assert run["status"] == "crashed" and run["step_runs"][0]["status"] == "crashed"
    assert store.get_step_run(run_id, "s1")["status"] == "crashed"
    assert {r["name"]: r["status"] for r in store.list_runs()} == {"crashy": "crashed", "alive": "running"}
    assert [r["name"] for r in store.list_runs(status="crashed")] == ["crashy"]
    raw = json.loads(Path(store.root, layout.run_file(run_id)).read_text())
    assert raw["run"]["1"]["status"] == "running"  # reads do not write

    assert store.mark_crashed_runs() == [run_id]
    raw = json.loads(Path(store.root, layout.run_file(run_id)).read_text())
    steps = json.loads(Path(store.root, layout.steps_file(run_id)).read_text())
    assert raw["run"]["1"]["status"] == "crashed" and steps["step_runs"]["1"]["status"] == "crashed"
    assert "ended without finishing" in raw["run"]["1"]["error"]
    assert store.mark_crashed_runs() == []
    assert store.get_run_by_id(alive["id"])["status"] == "running"


def test_pid_reuse_and_other_hosts(store):
    reused = make_run(store, "reused")
    foreign = make_run(store, "foreign", host="some-other-host", pid=1)
    assert store.get_run("reused")["status"] == "running"
    # same pid, but the recorded process start differs: the pid was reused
    path = Path(store.root, layout.run_file(reused["id"]))
    data = json.loads(path.read_text())
    data["run"]["1"]["process_start"] = "another-boot:1"
    path.write_text(json.dumps(data))
    assert store.get_run("reused")["status"] == "crashed"
    assert store.get_run_by_id(foreign["id"])["status"] == "running"


# ---------------------------------------------------------------- concurrency

def _writer(root: str | MetadataStore, pipeline_id: str, worker: int, count: int) -> None:
    s = root if isinstance(root, MetadataStore) else MetadataStore(root)
    for i in range(count):
        run_id = new_id()
        s.create_run({"id": run_id, "name": f"w{worker}-{i}", "pipeline_name": "p", "pipeline_id": pipeline_id,
                      "version": 1, "status": "running", "start_time": ts(i), "pid": os.getpid(), "host": HOST})
        s.record_step(run_id, step(i, cache_key=f"key-{worker}-{i}"), [])


def _reader(root: str, stop, result) -> None:
    s = MetadataStore(root)
    reads = errors = 0
    while not stop.is_set():
        try:
            s.get_pipeline("p")
            for run in s.list_runs("p", limit=5):
                assert s.get_run(run["name"]) is not None
            s.cache_candidates("key-0-0")
            reads += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors += 1
            result.put(repr(error))
    result.put((reads, errors))


def test_concurrent_writers_lose_nothing_and_readers_never_fail(store, monkeypatch):
    # Locking and atomic replace are what is tested here; fsync only adds disk latency
    # (0.3-3 ms per call on shared CI disks), so the forked writers skip it.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    pipeline_id = store.register_pipeline("p", "h1", {}).pipeline_id
    stop, result = MP.Event(), MP.Queue()
    reader = MP.Process(target=_reader, args=(store.root, stop, result))
    reader.start()
    writers = [MP.Process(target=_writer, args=(store.root, pipeline_id, w, 50)) for w in range(8)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
        assert p.exitcode == 0
    stop.set()
    outcome = result.get(timeout=30)
    reader.join(30)
    assert outcome[1] == 0 and outcome[0] > 0, outcome

    runs = store.list_runs("p")
    assert len(runs) == 400 and len({r["id"] for r in runs}) == 400
    assert {r["name"] for r in runs} == {f"w{w}-{i}" for w in range(8) for i in range(50)}
    assert store.get_pipeline("p")["run_count"] == 400
    assert all(len(store.get_run_by_id(r["id"])["step_runs"]) == 1 for r in runs[::37])
    assert len(store.cache_candidates("key-7-49")) == 1


def _racer(root: str, pipeline_id: str, barrier, result) -> None:
    s = MetadataStore(root)
    barrier.wait()
    try:
        s.create_run({"id": new_id(), "name": "contested", "pipeline_name": "p", "pipeline_id": pipeline_id,
                      "version": 1, "status": "running", "start_time": ts(0), "pid": os.getpid(), "host": HOST})
        result.put("won")
    except DuplicateRunNameError:
        result.put("lost")


def test_racing_for_one_name_has_exactly_one_winner(store):
    pipeline_id = store.register_pipeline("p", "h1", {}).pipeline_id
    barrier, result = MP.Barrier(6), MP.Queue()
    racers = [MP.Process(target=_racer, args=(store.root, pipeline_id, barrier, result)) for _ in range(6)]
    for p in racers:
        p.start()
    for p in racers:
        p.join(60)
    outcomes = sorted(result.get(timeout=5) for _ in racers)
    assert outcomes == ["lost"] * 5 + ["won"]
    assert len(store.list_runs()) == 1 and store.get_pipeline("p")["run_count"] == 1


def test_threads_sharing_a_store_lose_nothing(store):
    pipeline_id = store.register_pipeline("p", "h1", {}).pipeline_id
    threads = [threading.Thread(target=_writer, args=(store, pipeline_id, w, 10)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_pipeline("p")["run_count"] == 40 and len(store.list_runs()) == 40


def test_writers_wait_for_a_filelock_holder_and_readers_do_not(store):
    make_run(store, "r")
    holder = filelock.FileLock(os.path.join(store.root, ".lock"))
    done = threading.Event()
    with holder:
        writer = threading.Thread(target=lambda: (make_run(store, "r2"), done.set()))
        writer.start()
        assert store.get_run("r")["name"] == "r"  # reads take no lock
        time.sleep(0.3)
        assert not done.is_set()
    writer.join(10)
    assert done.is_set() and store.get_run("r2") is not None
