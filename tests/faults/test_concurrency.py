"""Concurrency: many processes on one home lose nothing, duplicate nothing, and readers
never see a torn file."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from _helpers import audit, client, last_json, run_files, spawn, write

from framework.metadata.tinydb.files import load_tables

WORKER = """
    import json, os, sys, time
    from framework import pipeline, step
    from framework.exceptions import DuplicateRunNameError

    @step
    def make(seed: int) -> list:
        return [seed * i for i in range(2000)]

    @step
    def add(values: list, offset: int = 1) -> list:
        return [v + offset for v in values]

    @step
    def total(values: list) -> int:
        marker = os.environ.get("MARKER")
        if marker:
            with open(marker, "a") as f:
                f.write(f"{os.getpid()}\\n")
        time.sleep(float(os.environ.get("SLEEP", "0")))
        return sum(values)

    @pipeline
    def busy(seed: int):
        total(values=add(values=make(seed=seed)))

    start_at = float(os.environ.get("START_AT", "0"))
    while time.time() < start_at:
        time.sleep(0.001)
    names = []
    for i in range(int(os.environ.get("RUNS", "1"))):
        seed = int(os.environ["SEED"]) + (i if os.environ.get("SAME_SEED") != "1" else 0)
        p = busy.with_options(run_name=os.environ["RUN_NAME"]) if os.environ.get("RUN_NAME") else busy
        try:
            run = p(seed=seed)
        except DuplicateRunNameError as exc:
            print(json.dumps({"duplicate": str(exc)}))
            sys.exit(3)
        names.append([run.id, run.name, run.steps["total"].output.load()])
    print(json.dumps({"runs": names}))
"""


def _expected_total(seed: int) -> int:
    return sum(seed * i + 1 for i in range(2000))


class TornReader(threading.Thread):
    """Reads every store file over and over while others write; counts unparsable reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(daemon=True)
        self.root, self.reads, self.torn, self.stop = root, 0, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for path in list(self.root.rglob("*.json")):
                if path.name.startswith("."):
                    continue  # a writer's own temp file, not a store file
                try:
                    load_tables(str(path))
                except FileNotFoundError:
                    continue
                except Exception as exc:  # noqa: BLE001 - every failure is a torn read
                    self.torn.append(f"{path}: {exc}")
                self.reads += 1


def test_twelve_processes_lose_and_duplicate_nothing_and_readers_never_see_a_torn_file(tmp_path, home):
    script = write(tmp_path / "worker.py", WORKER)
    write_root = home / "metadata"
    write_root.mkdir(parents=True)
    reader = TornReader(write_root)
    reader.start()
    start_at = str(time.time() + 2.0)
    procs = [spawn(script, home, SEED=str(100 * (i + 1)), RUNS="3", START_AT=start_at) for i in range(12)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(last_json(out)["runs"])
    reader.stop.set()
    reader.join()
    assert reader.torn == []  # torn reads: 0
    assert reader.reads > 100
    report = os.environ.get("FAULTS_REPORT")
    if report:
        with open(report, "a") as handle:
            handle.write(json.dumps({"test": "twelve", "reads": reader.reads, "torn": len(reader.torn)}) + "\n")
    reported = {run_id: (name, value) for runs in results for run_id, name, value in runs}
    assert len(reported) == 36
    # every process's run is stored once, listed once, complete and correct
    runs = audit(home)
    assert len(run_files(home)) == 36 and len(runs) == 36
    listed = client(home).list_runs()
    assert sorted(r.id for r in listed) == sorted(reported)  # lost: 0, duplicated: 0
    for i in range(12):
        for k in range(3):
            seed = 100 * (i + 1) + k
            matching = [v for name, v in reported.values() if v == _expected_total(seed)]
            assert matching, f"no run computed seed {seed}"
    for run in runs.values():
        assert run["status"] == "completed" and run["listed"]
        assert [s["status"] for s in run["steps"].values()] == ["completed"] * 3
    pipeline = client(home).get_pipeline("busy")
    assert pipeline.run_count == 36
    assert len(pipeline.versions) == 1


def test_six_processes_racing_for_one_run_name_have_exactly_one_winner(tmp_path, home):
    script = write(tmp_path / "worker.py", WORKER)
    marker = tmp_path / "ran"
    start_at = str(time.time() + 2.0)
    procs = [spawn(script, home, SEED=str(i), RUN_NAME="the-race", START_AT=start_at, MARKER=str(marker))
             for i in range(6)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, last_json(out)))
    winners = [o for code, o in outcomes if code == 0]
    losers = [o for code, o in outcomes if code == 3]
    assert len(winners) == 1 and len(losers) == 5, outcomes
    assert all("the-race" in o["duplicate"] and "already exists" in o["duplicate"] for o in losers)
    assert len(marker.read_text().splitlines()) == 1  # no loser ran a step
    runs = audit(home)
    assert list(runs) == ["the-race"] and len(run_files(home)) == 1
    [[run_id, name, value]] = winners[0]["runs"]
    run = client(home).get_run("the-race")
    assert run.id == run_id and run.status == "completed"
    assert run.steps["total"].output.load() == value


def test_two_runs_computing_the_same_uncached_step_both_succeed_with_one_coherent_record_each(tmp_path, home):
    script = write(tmp_path / "worker.py", WORKER)
    start_at = str(time.time() + 3.0)  # both imported and waiting: they start together
    procs = [spawn(script, home, SEED="7", SLEEP="1.0", START_AT=start_at) for _ in range(2)]
    reported = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reported.extend(last_json(out)["runs"])
    assert [value for _, _, value in reported] == [_expected_total(7)] * 2
    runs = audit(home)
    assert len(runs) == 2
    store = client(home).metadata_store
    for run in runs.values():
        assert run["status"] == "completed"
        assert run["steps"]["total"]["status"] == "completed"  # both computed it (neither was done first)
        entries = store.cache_candidates(run["steps"]["total"]["cache_key"])
        assert run["id"] in {e.run_id for e in entries}
    for run_id, name, value in reported:
        view = client(home).get_run(name)
        assert view.id == run_id and view.steps["total"].output.load() == value
    # a third run is served from either
    third = spawn(script, home, SEED="7")
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    [[_, name, value]] = last_json(out)["runs"]
    assert value == _expected_total(7)
    assert [s.status for s in client(home).get_run(name).steps.values()] == ["cached"] * 3


def test_threads_of_one_process_running_pipelines_lose_nothing(home):
    """The store lock also serialises threads (a notebook running pipelines in threads)."""
    from framework import pipeline, step

    @step
    def one(seed: int) -> int:
        return seed * 2

    @pipeline
    def threaded(seed: int):
        one(seed=seed)

    errors, names = [], []

    def work(base: int) -> None:
        try:
            for k in range(5):
                names.append(threaded(seed=base + k).name)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(100 * i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(names)) == 20
    assert sorted(r.name for r in client(home).list_runs()) == sorted(names)
    json.dumps(audit(home), default=str)


def test_default_run_names_that_collide_in_the_same_microsecond_are_retried(home, monkeypatch):
    """Two runs started in the same microsecond (other processes, a fast loop) get the same
    default name; the second must take the next instant, not fail with DuplicateRunNameError."""
    import datetime as dt

    from framework import pipeline, run_names, step

    frozen = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)
    calls = []

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            calls.append(1)
            return frozen if len(calls) <= 4 else frozen + dt.timedelta(microseconds=len(calls))

    class ClockModule:  # run names only: the two runs render the same instant, then time moves on
        datetime, timezone = Clock, dt.timezone

    monkeypatch.setattr(run_names, "_dt", ClockModule)

    @step
    def tick() -> int:
        return 1

    @pipeline
    def clocked():
        tick()

    first, second = clocked(), clocked()
    assert first.name == "clocked-2026_01_02-03_04_05_678901"
    assert second.name != first.name and second.status == "completed"
    # a name the user fixed (no {time}) still collides loudly
    import pytest

    from framework.exceptions import DuplicateRunNameError

    clocked.with_options(run_name="fixed")()
    with pytest.raises(DuplicateRunNameError):
        clocked.with_options(run_name="fixed")()
