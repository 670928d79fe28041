"""The TinyDB backend (SPEC §7): files created lazily, writes that touch only what they
must, damaged files named with their recovery, foreign documents refused, processes
racing for names and runs, the file lock. Behaviour every backend shares is in
``test_metadata_contract.py``."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import attrs
import filelock
import pytest

import framework
from framework.exceptions import DuplicateRunNameError, RecordError, StoreCorruptedError
from framework.metadata import TinyDBStore
from framework.metadata.tinydb import layout
from framework.metadata.tinydb.seal import reseal
from framework.records import Run
from tests.test_metadata_contract import HOST, artifact, make_run, new_id, step, ts

REPO = str(Path(framework.__file__).resolve().parent.parent)
MP = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


@pytest.fixture
def store(tmp_path) -> TinyDBStore:
    return TinyDBStore(tmp_path / "store")


# ---------------------------------------------------------------- files

def test_root_is_created_lazily_and_missing_store_reads_empty(tmp_path):
    root = tmp_path / "nested" / "store"
    s = TinyDBStore(root)
    assert s.get_run("x") is None and s.list_runs() == [] and s.mark_crashed_runs() == []
    assert s.cleanup_temp_files() == 0 and s.temp_files() == []
    with s.exclusive():
        pass
    assert not root.exists()
    s.register_pipeline("p", "h", {})
    assert (root / "pipelines.json").is_file()


def test_known_version_writes_nothing(store):
    store.register_pipeline("p", "h1", {})
    files = {p: p.stat().st_ino for p in Path(store.root).rglob("*.json")}
    store.register_pipeline("p", "h1", {})
    assert {p: p.stat().st_ino for p in Path(store.root).rglob("*.json")} == files


def test_list_runs_across_index_chunks_is_exact(store, monkeypatch):
    monkeypatch.setattr(layout, "INDEX_CHUNK", 4)
    # created out of start-time order, as concurrent launchers may do
    starts = [3, 1, 2, 0, 7, 5, 6, 4, 8, 11, 9, 10, 12]
    for i in starts:
        make_run(store, f"r{i:02d}", start=i)
    assert len(list(Path(store.root, "index").rglob("*.json"))) == 4
    expected = [f"r{i:02d}" for i in sorted(starts, reverse=True)]
    assert [r.name for r in store.list_runs()] == expected
    assert [r.name for r in store.list_runs("p", limit=5)] == expected[:5]


def test_step_records_spill_into_new_chunks_and_read_back_in_order(store, monkeypatch):
    monkeypatch.setattr(layout, "STEPS_CHUNK", 3)
    run = make_run(store, "long")
    steps = [step(i, status="running", run_id=run.id) for i in range(8)]
    for s in steps:
        store.record_step(run.id, s)
    finished = attrs.evolve(steps[1], status="completed")
    store.record_step(run.id, finished)  # a later version of an early step lands in the newest chunk
    assert len(list(Path(store.root).rglob(f"{run.id}.steps*.json"))) == 3
    loaded = store.get_run("long").steps
    assert [s.id for s in loaded] == [s.id for s in steps] and loaded[1] == finished


# ---------------------------------------------------------------- corruption

def _populated(store) -> dict[str, str]:
    run = make_run(store, "r")
    store.register_pipeline("p", "h2", {})
    a = artifact()
    store.record_step(run.id, step(run_id=run.id, cache_key="k" * 8, outputs={"o": a.id}), [a])
    store.finish_run(run.id, status="completed", end_time=ts(5), duration=1.0)
    pipeline_id = store.get_pipeline("p").id
    return {
        "pipelines": layout.PIPELINES, "versions": layout.VERSIONS, "run": layout.run_file(run.id),
        "steps": layout.steps_file(run.id),
        "name": layout.name_file("r"), "cache": layout.cache_file("k" * 8),
        "index": layout.index_file(pipeline_id, 0),
    }


READS = {
    "pipelines": lambda s: s.get_pipeline("p"),
    "versions": lambda s: s.list_versions("p"),
    "run": lambda s: s.list_runs("p"),
    "steps": lambda s: s.get_run_by_id(s.get_pipeline("p").last_run_id),
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
    run_id = files["run"].rsplit("/", 1)[1][: -len(".json")]
    with pytest.raises(StoreCorruptedError, match="refusing"):
        if kind in ("run", "steps"):
            store.record_step(run_id, step(run_id=run_id))
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
    assert store.get_pipeline("p").id == good.id


def test_a_missing_cache_file_is_a_miss_other_missing_files_are_named(store):
    """The cache index is derived (a lost file costs a recomputation); a names shard or an
    index chunk the store says it wrote is damage, never an empty table (SPEC §11)."""
    files = _populated(store)
    os.unlink(Path(store.root, files["cache"]))
    assert store.cache_candidates("k" * 8) == []
    for kind in ("name", "index", "run", "steps"):
        path = Path(store.root, files[kind])
        good = path.read_bytes()
        path.unlink()
        with pytest.raises(StoreCorruptedError, match="is missing") as info:
            READS[kind](store)
        assert f"'{path}'" in str(info.value) and "framework doctor --repair" in str(info.value)
        path.write_bytes(good)


@pytest.mark.parametrize("change, words", [
    (lambda doc: doc.pop("name"), ["lacks name"]),
    (lambda doc: doc.update(colour="blue"), ["unknown key(s) colour"]),
    (lambda doc: doc.update(status="exploded"), ["status must be one of"]),
])
def test_a_run_document_that_does_not_fit_is_a_named_error(store, change, words):
    """Valid JSON, wrong record: never shown as something it is not, never a raw traceback."""
    run = make_run(store, "r")
    path = Path(store.root, layout.run_file(run.id))
    data = json.loads(path.read_text())
    change(data["run"]["1"])
    path.write_text(json.dumps(data))
    with pytest.raises(StoreCorruptedError, match="changed outside the framework"):  # an edit by hand is caught
        store.get_run_by_id(run.id)
    reseal(str(path))  # ... and one that also wrote a checksum (another program) is still refused
    for read in (lambda: store.get_run_by_id(run.id), lambda: store.list_runs()):
        with pytest.raises(RecordError) as info:
            read()
        assert str(path) in str(info.value) and run.id in str(info.value)
        assert all(word in str(info.value) for word in words)


def test_a_store_from_before_checksums_works_and_doctor_seals_it(store):
    """Upgrading: files without checksums, no store.json, no names-shard record — all read and
    written as before; `doctor --repair` seals the store, and from then on a file replaced by
    valid JSON is refused."""
    from framework.metadata.tinydb.seal import SUM_KEY, unseal

    files = _populated(store)
    root = Path(store.root)
    (root / "store.json").unlink()
    for path in root.rglob("*.json"):
        data = json.loads(unseal(path.read_bytes())[0])
        data.pop(SUM_KEY, None)
        for table in ("store", "shards"):
            data.pop(table, None)
        path.write_text(json.dumps(data))
    old = TinyDBStore(store.root)
    assert [r.name for r in old.list_runs()] == ["r"] and old.get_run("r").steps
    make_run(old, "r-after")  # writes store.json (not sealed) and checksums into what it rewrites
    assert {r.name for r in TinyDBStore(store.root).list_runs()} == {"r", "r-after"}
    report = TinyDBStore(store.root).doctor()
    assert report["problems"] == [] and report["sealed"] is False and report["without_checksum"] > 0
    repaired = TinyDBStore(store.root).doctor(repair=True)
    assert repaired["problems"] == [] and repaired["sealed"] is True and repaired["without_checksum"] == 0
    index = root / files["index"]
    index.write_text("{}")
    with pytest.raises(StoreCorruptedError, match="no checksum"):
        TinyDBStore(store.root).list_runs()


def test_a_step_document_with_an_unknown_key_names_the_steps_file(store):
    run = make_run(store, "r")
    store.record_step(run.id, step(run_id=run.id))
    path = Path(store.root, layout.steps_file(run.id))
    data = json.loads(path.read_text())
    data["step_runs"]["1"]["surprise"] = 1
    path.write_text(json.dumps(data))
    reseal(str(path))
    with pytest.raises(RecordError, match="surprise") as info:
        store.get_run("r")
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- crashed runs, persisted in files

CRASHING_CHILD = """
import os, socket, sys
from framework.metadata import TinyDBStore
from framework.records import Run, StepRun
s = TinyDBStore(sys.argv[1])
reg = s.register_pipeline("p", "h1", {})
s.create_run(Run(id=sys.argv[2], name="crashy", pipeline_name="p", pipeline_id=reg.pipeline_id,
                 version=1, status="running", start_time="2024-01-01T00:00:00+00:00",
                 pid=os.getpid(), host=socket.gethostname()))
s.record_step(sys.argv[2], StepRun(id="s1", run_id=sys.argv[2], invocation_id="a", step_name="a",
                                   status="running"))
os._exit(0)  # dies without finishing the run
"""


def test_crashed_run_detected_then_persisted_in_its_files(store):
    run_id = new_id()
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, "-c", CRASHING_CHILD, store.root, run_id], check=True, env=env)
    run = store.get_run("crashy")
    assert run.run.status == "crashed" and run.steps[0].status == "crashed"
    assert store.get_step_run(run_id, "s1").status == "crashed"
    raw = json.loads(Path(store.root, layout.run_file(run_id)).read_text())
    assert raw["run"]["1"]["status"] == "running"  # reads do not write

    Path(store.root, ".pipelines.json.0123456789ab.tmp").write_bytes(b"{")  # the dead writer's leftover
    assert store.mark_crashed_runs() == [run_id]
    raw = json.loads(Path(store.root, layout.run_file(run_id)).read_text())
    steps = json.loads(Path(store.root, layout.steps_file(run_id)).read_text())
    assert raw["run"]["1"]["status"] == "crashed" and steps["step_runs"]["1"]["status"] == "crashed"
    assert "ended without finishing" in raw["run"]["1"]["error"]
    assert store.temp_files() == []  # removed under the lock, with the marking
    assert store.mark_crashed_runs() == []


# ---------------------------------------------------------------- processes

def _writer(root: str, pipeline_id: str, worker: int, count: int) -> None:
    s = TinyDBStore(root)
    for i in range(count):
        run = s.create_run(Run(id=new_id(), name=f"w{worker}-{i}", pipeline_name="p", pipeline_id=pipeline_id,
                               version=1, status="running", start_time=ts(i), pid=os.getpid(), host=HOST))
        s.record_step(run.id, step(i, run_id=run.id, cache_key=f"key-{worker}-{i}"))


def _reader(root: str, stop, result) -> None:
    s = TinyDBStore(root)
    reads = errors = 0
    while not stop.is_set():
        try:
            s.get_pipeline("p")
            for run in s.list_runs("p", limit=5):
                assert s.get_run(run.name) is not None
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
    assert len(runs) == 400 and len({r.id for r in runs}) == 400
    assert {r.name for r in runs} == {f"w{w}-{i}" for w in range(8) for i in range(50)}
    assert store.get_pipeline("p").run_count == 400
    assert all(len(store.get_run_by_id(r.id).steps) == 1 for r in runs[::37])
    assert len(store.cache_candidates("key-7-49")) == 1


def _racer(root: str, pipeline_id: str, barrier, result) -> None:
    s = TinyDBStore(root)
    barrier.wait()
    try:
        s.create_run(Run(id=new_id(), name="contested", pipeline_name="p", pipeline_id=pipeline_id,
                         version=1, status="running", start_time=ts(0), pid=os.getpid(), host=HOST))
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
    assert len(store.list_runs()) == 1 and store.get_pipeline("p").run_count == 1


def test_writers_wait_for_a_filelock_holder_and_readers_do_not(store):
    make_run(store, "r")
    holder = filelock.FileLock(os.path.join(store.root, ".lock"))
    done = threading.Event()
    with holder:
        writer = threading.Thread(target=lambda: (make_run(store, "r2"), done.set()))
        writer.start()
        assert store.get_run("r").run.name == "r"  # reads take no lock
        time.sleep(0.3)
        assert not done.is_set()
    writer.join(10)
    assert done.is_set() and store.get_run("r2") is not None


# ---------------------------------------------------------------- run history

def _wait_for_background_unlinks(root: Path) -> None:
    deadline = time.monotonic() + 10  # deleted files are renamed aside, then unlinked in the background
    while any(p.name.endswith(".tmp") for p in root.rglob("*")) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_delete_removes_every_file_of_the_run_across_index_chunks(store, monkeypatch):
    monkeypatch.setattr(layout, "INDEX_CHUNK", 2)
    monkeypatch.setattr(layout, "STEPS_CHUNK", 1)
    runs = [make_run(store, f"r{i}", start=i) for i in range(5)]
    for run in runs:
        store.finish_run(run.id, status="completed", end_time=ts(9), duration=1.0,
                         steps=[(step(0, run_id=run.id, cache_key=f"k{run.name}"), []),
                                (step(1, run_id=run.id), [])])
    doomed = [runs[0].id, runs[4].id]
    store.delete_runs(doomed)
    root = Path(store.root)
    _wait_for_background_unlinks(root)
    leftovers = [p for p in root.rglob("*") if p.is_file() and any(d in p.name for d in doomed)]
    assert leftovers == []
    assert not any(p.name.endswith(".tmp") for p in root.rglob("*"))
    assert not (root / layout.cache_file("kr0")).exists()  # a cache file left empty goes too
    text = "".join(p.read_text() for p in root.rglob("*.json"))
    assert not any(d in text for d in doomed)  # no index entry, name claim or cache entry names them
    assert [r.name for r in store.query_runs()] == ["r3", "r2", "r1"]
    assert store.get_pipeline("p").last_run_id == runs[3].id


def test_rows_of_an_index_written_before_rows_existed_are_read_from_the_run_files(store):
    run = make_run(store, "old")
    store.update_run(run.id, add_tags=["kept"])
    pipeline_id = store.get_pipeline("p").id
    index = Path(store.root) / layout.index_file(pipeline_id, 0)
    data = json.loads(index.read_text())
    for entry in data["runs"].values():
        entry.pop("row")
    index.write_text(json.dumps(data))
    reseal(str(index))
    run_path = Path(store.root) / layout.run_file(run.id)
    run_data = json.loads(run_path.read_text())
    run_data.pop("index")
    run_path.write_text(json.dumps(run_data))
    reseal(str(run_path))
    assert [(r.name, r.tags) for r in store.query_runs()] == [("old", ["kept"])]
    store.update_run(run.id, add_tags=["new"])  # finds its entry by searching, and gives it a row
    assert json.loads(index.read_text())["runs"]["1"]["row"]["tags"] == ["kept", "new"]
    store.finish_run(run.id, status="completed", end_time=ts(1), duration=1.0)
    assert store.delete_runs([run.id]) == [run.id] and list(store.query_runs()) == []


def test_a_stalled_lock_holder_is_named_in_the_wait_and_the_timeout(store, monkeypatch, caplog):
    """A run behind a hung writer says who holds the lock, and how long it will wait."""
    import logging
    import socket

    from framework.exceptions import FrameworkError
    from framework.metadata.tinydb import locking

    make_run(store, "r")
    monkeypatch.setattr(locking, "TELL_AFTER_S", 0.1)
    monkeypatch.setenv(locking.TIMEOUT_ENV, "0.4")
    caplog.set_level(logging.WARNING, logger="framework")
    errors: list[BaseException] = []
    with store.exclusive():  # the "hung" holder: this process, holding the lock
        writer = threading.Thread(target=lambda: errors.append(_raises(lambda: make_run(store, "r2"))))
        writer.start()
        writer.join(10)
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    assert len(errors) == 1 and isinstance(errors[0], FrameworkError)
    assert holder in str(errors[0]) and "FRAMEWORK_LOCK_TIMEOUT" in str(errors[0])
    assert any(holder in record.getMessage() for record in caplog.records)
    assert store.get_run("r2") is None


def _raises(action):
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        return exc
    return None
