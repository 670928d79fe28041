"""Step logs (SPEC §10): what each step printed, logged and raised is kept per step run, on
every orchestrator, bounded, readable through the client, the CLI and the artifact store."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework import stacks
from framework.cli import main
from framework.client import Client
from framework.pipelines.new import pipeline
from framework.steps import step

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="framework")


def use_stack(monkeypatch, url=None, **fields):
    base = stacks.default_stack()
    stack = stacks.Stack("logs-stack", base.home, url or base.artifact_store_url, base.metadata_root, **fields)
    monkeypatch.setattr(stacks, "active_stack", lambda: stack)
    return stack


@step(enable_cache=False)
def chatty(tag: str) -> int:
    print(f"stdout of {tag}")
    print(f"stderr of {tag}", file=sys.stderr)
    logging.getLogger("user.module").warning("record of %s", tag)
    sys.stdout.buffer.write(f"bytes of {tag}\n".encode())
    return len(tag)


@step(enable_cache=False)
def failing(n: int) -> int:
    print("about to fail")
    raise ValueError(f"bad value {n}")


@pipeline
def chatty_then_failing(tag: str = "a"):
    failing(chatty(tag=tag))


# ---------------------------------------------------------------------- what is captured
def test_prints_records_and_the_traceback_are_kept_per_step_on_every_orchestrator(backend, capsys):
    with pytest.raises(ValueError, match="bad value 1"):
        chatty_then_failing.with_options(run_name="r")(tag="x")
    run = Client().get_run("r")
    talk, fail = run.steps["chatty"], run.steps["failing"]
    for line in ("stdout of x", "stderr of x", "record of x", "bytes of x"):
        assert line in talk.logs
    assert talk.logs.index("stdout of x") < talk.logs.index("stderr of x")  # the order it was printed in
    assert talk.logs.count("record of x") == 1
    assert "about to fail" not in talk.logs and "stdout of x" not in fail.logs
    assert fail.logs.startswith("about to fail\nTraceback (most recent call last):\n")
    assert 'raise ValueError(f"bad value {n}")' in fail.logs and fail.logs.endswith("ValueError: bad value 1\n")
    assert "step_runner.py" not in fail.logs  # the traceback starts at the step's own code
    info = talk.log_info
    assert set(info) == {"uri", "size", "cut", "complete"}
    assert info["uri"].startswith(f"logs/{run.id}/000-{talk.id}") and info["complete"] and info["cut"] == 0
    assert info["size"] == len(talk.logs.encode())
    printed = capsys.readouterr()
    assert "stdout of x" in printed.out and "stderr of x" in printed.err  # still shown as before
    assert run.logs == {"chatty": talk.logs, "failing": fail.logs}


@step(enable_cache=False)
def tagged(tag: str, lines: int = 300) -> int:
    for i in range(lines):
        print(f"{tag} line {i}")
        if i % 50 == 0:
            time.sleep(0.01)
    logging.getLogger("user").error("%s done", tag)
    return lines


@pipeline
def two_at_once():
    tagged(tag="left", id="left")
    tagged(tag="right", id="right")


@pytest.mark.parametrize("where", ["threads", "dask"])
def test_steps_running_at_once_in_one_process_keep_their_own_output(monkeypatch, request, where):
    if where == "threads":
        use_stack(monkeypatch, orchestrator="local", orchestrator_options={"max_workers": 2})
    else:
        use_stack(monkeypatch, orchestrator="dask", orchestrator_options={"scheduler": request.getfixturevalue(
            "dask_client")})
    run = two_at_once.with_options(run_name="both")()
    for tag in ("left", "right"):
        text = run.steps[tag].logs
        assert text.splitlines()[:300] == [f"{tag} line {i}" for i in range(300)]
        other = "right" if tag == "left" else "left"
        assert f"{other} line" not in text and f"{tag} done" in text


def test_a_dask_worker_process_captures_and_ships_the_log(monkeypatch):
    pytest.importorskip("distributed")
    # the workers are fresh interpreters: they import this module (as pytest named it) to unpickle its steps
    path = [str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, path)))
    use_stack(monkeypatch, orchestrator="dask", orchestrator_options={"max_workers": 1, "processes": True})
    with pytest.raises(ValueError):
        chatty_then_failing.with_options(run_name="remote-worker")(tag="w")
    run = Client().get_run("remote-worker")
    assert "stdout of w" in run.steps["chatty"].logs and "record of w" in run.steps["chatty"].logs
    assert "ValueError: bad value 1" in run.steps["failing"].logs


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "python -u"])
def test_a_plain_python_script_keeps_warnings_and_records_and_prints_as_before(tmp_path, home, unbuffered):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import logging, sys, warnings
        from framework import pipeline, step

        @step
        def noisy() -> int:
            print("plain print")
            print("then stderr", file=sys.stderr)
            print("then stdout again")
            warnings.warn("mind the gap")
            logging.getLogger("quiet").info("not shown: below the default level")
            logging.getLogger("loud").warning("shown by Python's last resort")
            logging.basicConfig(level=logging.INFO, format="configured %(levelname)s %(message)s")
            logging.getLogger("configured").info("shown once basicConfig ran")
            print("\\udcff surrogate and \\x00 nul")
            return 1

        @pipeline
        def script_pipeline():
            noisy()

        script_pipeline.with_options(run_name="script")()
    """))
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "PYTHONPATH": str(REPO), "FRAMEWORK_PROGRESS": "0"}
    env.pop("PYTHONUNBUFFERED", None)
    env.update({"PYTHONUNBUFFERED": "1"} if unbuffered else {})
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "plain print\nthen stdout again\n" in done.stdout and "Step `noisy` has finished" in done.stdout
    assert done.stdout.index("plain print") < done.stdout.index("Step `noisy` has finished")
    assert "UserWarning: mind the gap" in done.stderr and "shown by Python's last resort" in done.stderr
    assert "not shown" not in done.stderr
    text = Client().get_run("script").steps["noisy"].logs
    assert text.startswith("plain print\nthen stderr\nthen stdout again\n") and "UserWarning: mind the gap" in text
    assert text.count("shown by Python's last resort") == 1 and "not shown" not in text
    assert "configured INFO shown once basicConfig ran" in done.stderr
    assert text.count("shown once basicConfig ran") == 1 and "configured INFO shown once" in text
    assert "\\udcff surrogate and \x00 nul" in text


# ---------------------------------------------------------------------- bounded
@step(enable_cache=False)
def counts(lines: int) -> int:
    for i in range(lines):
        print(f"line {i:05d}")
    return lines


@pipeline
def counting(lines: int = 1000):
    counts(lines=lines)


def test_a_long_log_keeps_its_head_and_tail_and_says_what_was_cut(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_STEP_LOG_HEAD", "1K")
    monkeypatch.setenv("FRAMEWORK_STEP_LOG_TAIL", "2K")
    step_run = counting.with_options(run_name="long")(lines=2000).steps["counts"]
    info, text = step_run.log_info, step_run.logs
    lines = text.splitlines()
    printed = 2000 * len("line 00000\n")
    assert info["size"] + info["cut"] == printed and info["size"] <= 3 * 1024 and info["complete"]
    head = lines[:lines.index(next(line for line in lines if line.startswith("[framework:")))]
    assert head == [f"line {i:05d}" for i in range(len(head))] and len(head) == 1024 // 11
    assert lines[len(head)].startswith("[framework: the step printed more than 1,023 bytes; only the last 2,048")
    assert lines[len(head) + 1] == f"[framework: {info['cut']:,} bytes cut here; the last " \
                                   f"{info['size'] - 1023:,} bytes follow]"
    tail = lines[len(head) + 2:]
    assert tail == [f"line {i:05d}" for i in range(2000 - len(tail), 2000)]  # whole lines, up to the last
    assert info["size"] == len("\n".join(head + tail).encode()) + 1


def test_logs_can_be_turned_off_and_a_silent_step_leaves_no_file(monkeypatch, home):
    silent = counting.with_options(run_name="silent")(lines=0).steps["counts"]
    assert silent.logs == "" and silent.log_info["size"] == 0 and silent.log_info["complete"]
    assert not (home / "artifacts" / silent.log_info["uri"]).exists()
    monkeypatch.setenv("FRAMEWORK_STEP_LOGS", "0")
    off = counting.with_options(run_name="off")(lines=3).steps["counts"]
    assert off.log_info is None and off.logs == ""
    monkeypatch.setenv("FRAMEWORK_STEP_LOGS", "1")
    monkeypatch.setenv("FRAMEWORK_STEP_LOG_HEAD", "lots")
    with pytest.raises(ValueError, match="FRAMEWORK_STEP_LOG_HEAD='lots' is not a size"):
        counting.with_options(run_name="bad")(lines=1)


def test_a_remote_store_gets_the_log_when_the_step_ends(monkeypatch):
    import uuid

    use_stack(monkeypatch, url=f"memory://step-logs-{uuid.uuid4().hex}")
    with pytest.raises(ValueError):
        chatty_then_failing.with_options(run_name="remote")(tag="m")
    run = Client().get_run("remote")
    assert "stdout of m" in run.steps["chatty"].logs and run.steps["chatty"].log_info["complete"]
    assert "ValueError: bad value 1" in run.steps["failing"].logs
    assert run.steps["chatty"].read_logs(start=len("stdout of m\n")).startswith(b"stderr of m")


# ---------------------------------------------------------------------- the record
def alert(exception: BaseException) -> None:
    print("alerting about", exception)
    raise RuntimeError("pager is down")


@step(enable_cache=False, on_failure=alert)
def alarming() -> int:
    raise KeyError("missing")


@pipeline
def alarming_pipeline():
    alarming()


def test_a_hook_error_is_recorded_with_the_step_error_and_its_output_is_in_the_log():
    with pytest.raises(KeyError):
        alarming_pipeline.with_options(run_name="hooked")()
    failed = Client().get_run("hooked").steps["alarming"]
    assert failed.error == "KeyError: 'missing'; on_failure hook `alert`: RuntimeError: pager is down"
    assert "alerting about 'missing'" in failed.logs and "RuntimeError: pager is down" in failed.logs


@step(enable_cache=False)
def writes_extra_files() -> int:
    from framework import get_step_context

    Path(get_step_context().get_output_artifact_uri(), "note.txt").write_text("kept")
    return 1


@pipeline
def extra_pipeline():
    writes_extra_files()


def test_the_directories_of_extra_files_are_recorded():
    step_run = extra_pipeline.with_options(run_name="extra")().steps["writes_extra_files"]
    assert Path(step_run.extra_files["output"], "note.txt").read_text() == "kept"


def test_a_cached_step_has_no_log_of_its_own_and_the_cli_says_where_its_output_came_from():
    @step
    def cacheable() -> int:
        print("computed once")
        return 1

    @pipeline
    def cache_pipeline():
        cacheable()

    cache_pipeline.with_options(run_name="first")()
    second = cache_pipeline.with_options(run_name="second")()
    assert second.steps["cacheable"].log_info is None and second.steps["cacheable"].logs == ""
    shown = cli("runs", "logs", "second")
    assert shown.exit_code == 0
    assert shown.stdout == "==> cacheable (cached, not run again: its output came from run `first`) <==\n"
    alone = cli("runs", "logs", "second", "cacheable")
    assert alone.stdout == "" and "has no log: not run again: its output came from run `first`" in alone.stderr


# ---------------------------------------------------------------------- the CLI
def test_cli_shows_one_step_or_every_step_with_headers_and_the_last_lines():
    with pytest.raises(ValueError):
        chatty_then_failing.with_options(run_name="shown")(tag="c")
    run = Client().get_run("shown")
    one = cli("runs", "logs", "shown", "chatty")
    assert one.exit_code == 0 and one.stdout == run.steps["chatty"].logs
    every = cli("runs", "logs", run.id)
    assert every.stdout.startswith("==> chatty (completed) <==\nstdout of c\n")
    assert "\n\n==> failing (failed) <==\nabout to fail\nTraceback" in every.stdout
    last = cli("runs", "logs", "shown", "failing", "--tail", "1")
    assert last.stdout == "ValueError: bad value 1\n"
    unknown = cli("runs", "logs", "shown", "nope")
    assert unknown.exit_code == 1 and "Run `shown` has no step `nope`; its steps: chatty, failing." in unknown.stderr
    missing = cli("runs", "logs", "no-such-run")
    assert missing.exit_code == 1 and "No run named `no-such-run`" in missing.stderr


def test_follow_streams_a_running_step_until_it_finishes(tmp_path, home):
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent("""
        import time
        from framework import pipeline, step

        @step(enable_cache=False)
        def slow() -> int:
            for i in range(12):
                print(f"tick {i}")
                time.sleep(0.15)
            return 1

        @pipeline
        def slow_pipeline():
            slow()

        slow_pipeline.with_options(run_name="slow")()
    """))
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "PYTHONPATH": str(REPO), "FRAMEWORK_PROGRESS": "0"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while cli("runs", "show", "slow").exit_code != 0:  # the run exists
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        started = time.monotonic()
        followed = subprocess.run([sys.executable, "-m", "framework", "runs", "logs", "slow", "slow", "--follow",
                                   "--timeout", "60"], env=env, capture_output=True, text=True, timeout=90)
        assert followed.returncode == 0, followed.stderr
        assert followed.stdout == "".join(f"tick {i}\n" for i in range(12))
        assert proc.wait(timeout=60) == 0
        assert time.monotonic() - started < 30
    finally:
        if proc.poll() is None:
            proc.kill()


def test_follow_of_a_finished_run_prints_everything_once_and_returns():
    counting.with_options(run_name="done")(lines=3)
    result = cli("runs", "logs", "done", "--follow")
    assert result.exit_code == 0
    assert result.stdout == "==> counts (completed) <==\nline 00000\nline 00001\nline 00002\n"


# ---------------------------------------------------------------------- gc
def test_gc_keeps_the_logs_of_existing_runs_and_deletes_those_of_runs_that_are_gone(home):
    import json

    step_run = counting.with_options(run_name="kept")(lines=5).steps["counts"]
    kept = home / "artifacts" / step_run.log_info["uri"]
    gone_run, gone_step = os.urandom(16).hex(), os.urandom(16).hex()
    gone = home / "artifacts" / "logs" / gone_run / f"000-{gone_step}.log"
    gone.parent.mkdir(parents=True)
    gone.write_text("a deleted run's output\n")
    recent = home / "artifacts" / "logs" / os.urandom(16).hex() / f"001-{gone_step}.log"
    recent.parent.mkdir(parents=True)
    recent.write_text("written just now\n")
    old = time.time() - 3600
    for path in (kept, gone):
        os.utime(path, (old, old))
    dry = json.loads(cli("gc", "--dry-run", "--json").stdout)
    assert [item["path"] for item in dry["deleted"]] == [str(gone)] and gone.exists()
    report = json.loads(cli("gc", "--json").stdout)
    assert [(item["path"], item["kind"]) for item in report["deleted"]] == [(str(gone), "log")]
    assert report["logs_kept"] == 1 and report["freed_bytes"] == len("a deleted run's output\n")
    assert kept.exists() and recent.exists() and not gone.exists() and not gone.parent.exists()
    assert "1 log file(s) of runs that no longer exist" in cli("gc", "--dry-run", "--min-age", "0").stdout
    assert Client().get_run("kept").steps["counts"].logs.startswith("line 00000")


def test_views_read_a_log_from_an_offset_and_refuse_a_record_pointing_elsewhere(home):
    import attrs

    from framework.exceptions import ArtifactError
    from framework.views import StepView

    step_run = counting.with_options(run_name="offsets")(lines=3).steps["counts"]
    assert step_run.read_logs(start=11) == b"line 00001\nline 00002\n"
    assert step_run.read_logs(start=1000) == b""
    altered = StepView(attrs.evolve(step_run.record, logs={**step_run.log_info, "uri": "../../etc/passwd"}),
                       step_run.run)
    with pytest.raises(ArtifactError, match="is not a step log's path"):
        altered.logs
    (home / "artifacts" / step_run.log_info["uri"]).unlink()
    with pytest.raises(ArtifactError, match="The log of step `counts` of run `offsets` is missing"):
        Client().get_run("offsets").steps["counts"].logs


def test_output_of_other_threads_is_not_taken_for_a_step_running_in_a_worker_thread(monkeypatch):
    use_stack(monkeypatch, orchestrator="local", orchestrator_options={"max_workers": 2})
    stop = threading.Event()

    def chatter() -> None:
        while not stop.is_set():
            print("background chatter")
            time.sleep(0.002)

    background = threading.Thread(target=chatter)
    background.start()
    try:
        run = two_at_once.with_options(run_name="background")()
    finally:
        stop.set()
        background.join()
    assert all("background chatter" not in run.steps[tag].logs for tag in ("left", "right"))
