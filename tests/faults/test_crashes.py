"""Crashes: kill -9 at random points of a run, Ctrl-C and SIGTERM.

Each crash trial is one process: it first re-runs the previous trial's pipeline unarmed
(the "next run" after that crash, which must resume from the cache), then runs a new
one and dies by SIGKILL — before the N-th write-path call of the artifact store, before
the N-th of the metadata store (N uniform over a measured run), or while a step runs
(a sleeping step, random delay). After every process the whole store is audited
(`_helpers.audit`). Trials run as chains, one home per chain, several chains at once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _helpers import audit, client, last_json, run_script, spawn, temp_files, wait_for, write

CHILD = Path(__file__).with_name("_crash_child.py")
sys.path.insert(0, str(CHILD.parent))
from _crash_child import expected_report  # noqa: E402

PHASES = ("step", "artifact", "metadata")
CHAINS_PER_TEST = 6  # chains of one test run at once (processes mostly wait on I/O)
TRIALS_PER_CHAIN = 9  # 2 tests x 6 chains x 9 = 108 SIGKILL trials


def _running_table(home: Path) -> set[str]:
    path = home / "metadata" / "pipelines.json"
    if not path.exists():
        return set()
    return {doc["run_id"] for doc in json.loads(path.read_bytes()).get("running", {}).values()}


_STATS_LOCK = threading.Lock()


def _count(stats: dict, key: str, phase: str | None = None, n: int = 1) -> None:
    with _STATS_LOCK:
        stats[key] += n
        if phase is not None:
            stats["by_phase"][phase] += n


def _chain(home: Path, first_seed: int, rng: random.Random, stats: dict) -> None:
    marks = home.parent / f"{home.name}-marks"
    marks.mkdir()
    counted = run_script(CHILD, home, SEED=str(first_seed), KILL_PHASE="count")
    assert counted.returncode == 0, counted.stderr
    counts = last_json(counted.stdout)["done"]
    prev, expect_cached, leftovers, detectable = first_seed, set(), {"artifacts": [], "metadata": []}, True
    unnoticed: set[str] = set()
    for trial in range(TRIALS_PER_CHAIN + 1):
        last = trial == TRIALS_PER_CHAIN
        seed = first_seed + trial + 1
        phase = PHASES[(trial + first_seed) % 3]
        env = {"RESUME_SEED": str(prev)}
        if not last:
            mark = marks / f"{seed}.txt"
            env.update(SEED=str(seed), KILL_PHASE=phase, KILL_MARK=str(mark))
            if phase == "step":
                env.update(PROGRESS_FILE=str(marks / f"{seed}.progress"), STEP_SLEEP="0.2")
            else:
                # counted on a home's first run, which also registers the pipeline: later runs make
                # a few calls fewer, so stay below the end to kill (almost) every time
                env["KILL_AT"] = str(rng.randint(1, max(1, int(counts[phase] * 0.8))))
        proc = spawn(CHILD, home, **env)
        if not last and phase == "step":
            progress = marks / f"{seed}.progress"
            victim = rng.choice(["load", "scale", "words", "total", "report"])
            wait_for(lambda proc=proc, progress=progress, victim=victim:
                     proc.poll() is not None or (progress.exists() and victim in progress.read_text()))
            time.sleep(rng.uniform(0.0, 0.18))
            proc.send_signal(signal.SIGKILL)
            (marks / f"{seed}.txt").write_text(f"step {victim}")
        out, err = proc.communicate(timeout=120)
        if last:
            assert proc.returncode == 0, err
        else:
            assert proc.returncode in (-signal.SIGKILL, 0), err
            if proc.returncode == -signal.SIGKILL:
                _count(stats, "kills", phase)
        # --- the resumed run: complete, correct, and served from the cache where it can be
        resumed = next((json.loads(line)["resume"] for line in out.splitlines() if line.startswith('{"resume"')),
                       None)
        assert resumed is not None, out + err
        runs = audit(home)
        resume = runs[f"resume-{prev}"]
        assert resume["status"] == "completed"
        for inv_id, status in resumed.items():
            assert status in ("completed", "cached")
            if inv_id in expect_cached:
                assert status == "cached", f"resume-{prev}: `{inv_id}` had a cache entry but ran again"
        view = client(home).get_run(f"resume-{prev}")
        assert view.steps["report"].output.load() == expected_report(prev)
        _count(stats, "resumed_cached", n=sum(s == "cached" for s in resumed.values()))
        # --- temp files of the previous crash are gone once a run noticed it
        now = temp_files(home)
        if detectable:
            for kind in ("artifacts", "metadata"):
                stale = set(leftovers[kind]) & set(now[kind])
                assert not stale, f"temp files of a crashed run were not cleaned: {stale}"
        else:  # killed inside a transaction that never became visible: left for `framework gc`
            unnoticed.update(now["metadata"])
        if last:
            assert now["artifacts"] == []
            assert set(now["metadata"]) <= unnoticed
            _count(stats, "store_temps_left_for_gc", n=len(now["metadata"]))
            client(home).metadata_store.cleanup_temp_files()
            assert temp_files(home) == {"artifacts": [], "metadata": []}
            break
        # --- the killed run: never shown running; what it recorded is complete
        killed = runs.get(f"trial-{seed}")
        if proc.returncode == -signal.SIGKILL:
            if killed is not None:
                assert killed["status"] in ("crashed", "failed", "completed")
                _count(stats, "crashed_runs", n=int(killed["status"] == "crashed"))
            elif phase == "step":
                raise AssertionError("a run killed during a step has no record")
        store = client(home).metadata_store
        expect_cached = set()
        if killed is not None:
            for inv_id, step in killed["steps"].items():
                if step["status"] == "completed" and store.cache_candidates(step["cache_key"]):
                    expect_cached.add(inv_id)
        leftovers = now
        detectable = killed is not None and killed["id"] in _running_table(home)
        _count(stats, "trials")
        prev = seed


@pytest.fixture
def fast_tmp(tmp_path):
    """A temp dir in RAM (/dev/shm) when there is one: the trials are many short processes
    whose fsyncs would otherwise queue on one disk journal. A SIGKILL leaves the same state
    on any filesystem (the page cache survives the process)."""
    import shutil
    import tempfile

    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="framework-faults-", dir="/dev/shm"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("group", range(2))
def test_kill_9_at_random_points_never_corrupts_and_the_next_run_resumes(fast_tmp, group):
    stats = {"trials": 0, "kills": 0, "by_phase": dict.fromkeys(PHASES, 0), "crashed_runs": 0, "resumed_cached": 0,
             "store_temps_left_for_gc": 0}
    rng = random.Random(1234 + group)
    with ThreadPoolExecutor(CHAINS_PER_TEST) as pool:
        futures = [pool.submit(_chain, fast_tmp / f"home{i}", 1000 * (group * CHAINS_PER_TEST + i + 1),
                               random.Random(rng.random()), stats)
                   for i in range(CHAINS_PER_TEST)]
        for future in futures:
            future.result()
    assert stats["kills"] >= 50  # >= 100 SIGKILLs over the two groups
    assert all(stats["by_phase"].values())
    assert stats["resumed_cached"] > 0
    report = os.environ.get("FAULTS_REPORT")
    if report:
        with open(report, "a") as handle:
            handle.write(json.dumps({"test": "kill9", "group": group, **stats}) + "\n")


# ---------------------------------------------------------------------- signals

SIGNAL_SCRIPT = """
    import os, sys, time
    from framework import pipeline, step

    PROGRESS = os.environ["PROGRESS_FILE"]

    @step
    def first() -> int:
        return 41

    @step
    def slow(x: int) -> int:
        with open(PROGRESS, "a") as f:
            f.write("slow\\n")
        time.sleep(60 if os.environ.get("NAP", "1") == "1" else 0)
        return x + 1

    @step
    def after(y: int) -> int:
        return y * 2

    @pipeline(settings={"orchestrator.local": {"max_workers": int(os.environ.get("WORKERS", "1"))}})
    def signalled():
        after(y=slow(x=first()))

    if os.environ.get("OWN_HANDLER"):
        import signal
        def handler(signum, frame):
            raise SystemExit(7)
        signal.signal(signal.SIGTERM, handler)
    signalled.with_options(run_name=os.environ["RUN_NAME"])()
"""


@pytest.mark.parametrize("signum, workers, own_handler, expected_code", [
    (signal.SIGTERM, 1, False, -signal.SIGTERM),
    (signal.SIGTERM, 2, False, -signal.SIGTERM),
    (signal.SIGINT, 1, False, -signal.SIGINT),
    (signal.SIGTERM, 1, True, 7),
])
def test_signal_marks_step_and_run_failed_then_has_its_usual_effect(tmp_path, home, signum, workers,
                                                                      own_handler, expected_code):
    script = write(tmp_path / "signalled.py", SIGNAL_SCRIPT)
    progress = tmp_path / "progress"
    env = {"PROGRESS_FILE": str(progress), "RUN_NAME": "sig-run", "WORKERS": str(workers)}
    if own_handler:
        env["OWN_HANDLER"] = "1"
    proc = spawn(script, home, **env)
    wait_for(lambda: progress.exists() or proc.poll() is not None)
    started = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 15, "the run did not stop promptly"
    assert proc.returncode == expected_code, err
    run = client(home).get_run("sig-run")
    assert run.status == "failed"
    assert run.steps["first"].status == "completed"
    assert run.steps["slow"].status == "failed"
    assert "after" not in run.steps  # never started
    assert temp_files(home) == {"artifacts": [], "metadata": []}
    # the next run resumes from the cache; the interrupted step runs again
    result = run_script(script, home, **{**env, "RUN_NAME": "sig-run-2", "NAP": "0"})
    assert result.returncode == 0, result.stderr
    again = client(home).get_run("sig-run-2")
    assert again.status == "completed"
    assert [s.status for s in again.steps.values()] == ["cached", "completed", "completed"]
    assert again.steps["after"].output.load() == 84


def test_sigterm_handler_is_installed_only_during_a_run(home):
    from framework import pipeline, step

    seen = []

    @step
    def probe() -> int:
        seen.append(signal.getsignal(signal.SIGTERM))
        return 1

    @pipeline
    def probing():
        probe()

    before = signal.getsignal(signal.SIGTERM)
    probing()
    assert signal.getsignal(signal.SIGTERM) is before is signal.SIG_DFL
    assert callable(seen[0]) and seen[0] not in (signal.SIG_DFL, signal.SIG_IGN)


def test_crashed_run_is_detected_and_its_temp_files_removed_by_the_next_run(tmp_path, home):
    """A process killed mid-write leaves temp files; the next run marks the run crashed
    and removes the temp files of dead writers only (a live writer's are kept)."""
    script = write(tmp_path / "sleepy.py", """
        import os, time
        from framework import pipeline, step

        @step
        def napping() -> int:
            open(os.environ["PROGRESS_FILE"], "w").close()
            time.sleep(60)
            return 1

        @step
        def quick() -> int:
            return 2

        @pipeline
        def sleepy(nap: bool = True):
            if nap:
                napping()
            else:
                quick()

        sleepy(nap=os.environ.get("NAP") == "1")
    """)
    progress = tmp_path / "progress"
    proc = spawn(script, home, PROGRESS_FILE=str(progress), NAP="1")
    wait_for(lambda: progress.exists() or proc.poll() is not None)
    # a long step is shown running while it runs; kill it then
    wait_for(lambda: "napping" in client(home).list_runs()[0].steps, interval=0.05)
    proc.kill()
    proc.communicate(timeout=30)
    dead_pid = proc.pid
    # temp files as a crashed writer leaves them: an artifact being saved, a store file being replaced
    from framework.io.atomic import owner_tag

    host = owner_tag().split("-")[0]
    shard = home / "artifacts" / "ab"
    shard.mkdir(parents=True)
    dead_temp = shard / f".{'ab' * 16}.npy.0123456789ab.{host}-{dead_pid}.tmp"
    older_dead_temp = shard / f"{'ab' * 16}.npy.tmp-0123456789ab-{host}-{dead_pid}"  # an earlier release's name
    live_temp = shard / f".{'ab' * 16}.json.0123456789ab.{host}-{os.getpid()}.tmp"
    for temp in (dead_temp, older_dead_temp):
        temp.write_bytes(b"partial")
    live_temp.write_bytes(b"in progress")
    store_temp = home / "metadata" / ".pipelines.json.0123456789ab.tmp"
    store_temp.write_bytes(b"{\"partial")
    [crashed] = client(home).list_runs()
    assert crashed.status == "crashed" and crashed.steps["napping"].status == "crashed"
    result = run_script(script, home, NAP="0")
    assert result.returncode == 0, result.stderr
    assert not dead_temp.exists() and not older_dead_temp.exists() and not store_temp.exists()
    assert live_temp.exists()
    raw = json.loads((home / "metadata" / "runs" / crashed.id[:2] / f"{crashed.id}.json").read_bytes())
    assert list(raw["run"].values())[0]["status"] == "crashed"  # persisted, not only shown


def test_sys_exit_and_os_exit_inside_a_step(tmp_path, home):
    script = write(tmp_path / "exiting.py", """
        import os, sys
        from framework import pipeline, step

        @step
        def leave() -> int:
            if os.environ["HOW"] == "sys.exit":
                sys.exit(3)
            os._exit(4)

        @pipeline
        def exiting():
            leave()

        exiting.with_options(run_name=os.environ["HOW"])()
    """)
    for how, code, status in (("sys.exit", 3, "failed"), ("os._exit", 4, "crashed")):
        result = run_script(script, home, HOW=how)
        assert result.returncode == code, result.stderr
        run = client(home).get_run(how)
        assert run.status == status
        step = run.steps.get("leave")  # a short step that crashed may have no record yet
        assert (step.status if step is not None else "crashed") == status


def test_an_interrupt_while_a_finished_step_is_being_recorded_leaves_it_failed(home, monkeypatch):
    """Ctrl-C between a step's end and its record: the step is recorded failed with the
    run, never missing or `running` in a finished run."""
    from framework import pipeline, step
    from framework.execution import step_recorder

    real_write = step_recorder.StepRecorder.write

    def interrupted(self, record, artifacts):
        if record.invocation_id == "second" and record.status == "completed":
            raise KeyboardInterrupt
        return real_write(self, record, artifacts)

    monkeypatch.setattr(step_recorder.StepRecorder, "write", interrupted)

    @step
    def first() -> int:
        return 1

    @step
    def second(x: int) -> int:
        return x + 1

    @step
    def third(y: int) -> int:
        return y + 1

    @pipeline
    def interrupted_pipeline():
        third(y=second(x=first()))

    with pytest.raises(KeyboardInterrupt):
        interrupted_pipeline()
    run = client(home).list_runs()[0]
    assert run.status == "failed"
    assert {k: s.status for k, s in run.steps.items()} == {"first": "completed", "second": "failed"}
    assert "KeyboardInterrupt" in run.steps["second"].error
