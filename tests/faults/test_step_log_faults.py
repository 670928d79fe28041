"""Step logs under abuse: binary junk, 100 MB of output, and a process killed mid-step.

Each pipeline runs in a process of its own (its real stdout, not pytest's), with its
console thrown away, as a user's script would; the store is audited afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _helpers import PYTHON, audit, child_env, client, wait_for, write
from click.testing import CliRunner

from framework.cli import main

HEAD = TAIL = 1024 * 1024


def run_quietly(script: Path, home: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run ``script``, its stdout thrown away (it may be binary or huge), its stderr kept."""
    done = subprocess.run([PYTHON, str(script)], cwd=script.parent, env=child_env(home, **env),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    return done


def runs_logs(home: Path, *args: str) -> str:
    os.environ["FRAMEWORK_HOME"] = str(home)  # the autouse `home` fixture restores it
    result = CliRunner().invoke(main, ["runs", "logs", *args], prog_name="framework")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_step_printing_binary_junk_has_a_readable_bounded_log_and_the_run_goes_on(tmp_path):
    home = tmp_path / "home"
    script = write(tmp_path / "junk.py", """
        import os, sys
        from framework import pipeline, step

        @step
        def junk() -> int:
            sys.stdout.buffer.write(os.urandom(3 * 1024 * 1024))
            sys.stderr.buffer.write(b"\\xff\\xfe\\x00 invalid utf-8 on stderr\\n")
            print("lone \\udc80 surrogate, nul \\x00, escape \\x1b[31mred\\x1b[0m, bell \\a")
            print(b"\\x00\\x01 bytes printed as bytes")
            return 1

        @step
        def after(x: int) -> int:
            print("after ok")
            return x + 1

        @pipeline
        def junk_pipeline():
            after(junk())

        junk_pipeline.with_options(run_name="junk")()
    """)
    run_quietly(script, home)
    audit(home)
    run = client(home).get_run("junk")
    assert run.status == "completed"
    text, info = run.steps["junk"].logs, run.steps["junk"].log_info
    assert isinstance(text, str) and "\ufffd" in text and info["complete"]
    assert info["size"] <= HEAD + TAIL and info["size"] + info["cut"] >= 3 * 1024 * 1024
    assert "lone \\udc80 surrogate, nul \x00, escape \x1b[31mred\x1b[0m, bell \a" in text
    assert "b'\\x00\\x01 bytes printed as bytes'" in text and "invalid utf-8 on stderr" in text
    assert os.path.getsize(home / "artifacts" / info["uri"]) < HEAD + TAIL + 1024
    assert run.steps["after"].logs == "after ok\n"
    assert "==> after (completed) <==\nafter ok\n" in runs_logs(home, "junk")


def test_a_step_printing_100_mb_keeps_a_bounded_file_and_the_run_is_fine(tmp_path):
    home = tmp_path / "home"
    script = write(tmp_path / "flood.py", """
        import sys
        from framework import pipeline, step

        @step
        def flood() -> int:
            line = "x" * 99
            for i in range(500_000):  # 50 MB in lines
                print(line)
            sys.stdout.write("y" * 50_000_000 + "\\n")  # and 50 MB at once
            print("the last line")
            return 1

        @step
        def after(x: int) -> int:
            return x + 1

        @pipeline
        def flood_pipeline():
            after(flood())

        flood_pipeline.with_options(run_name="flood")()
    """)
    run_quietly(script, home)
    audit(home)
    run = client(home).get_run("flood")
    assert run.status == "completed" and run.steps["after"].output.load() == 2
    info = run.steps["flood"].log_info
    printed = 500_000 * 100 + 50_000_001 + len("the last line\n")
    assert info["size"] + info["cut"] == printed and info["size"] <= HEAD + TAIL and info["complete"]
    assert os.path.getsize(home / "artifacts" / info["uri"]) < HEAD + TAIL + 1024
    lines = run.steps["flood"].logs.splitlines()
    assert lines[0] == "x" * 99 and lines[-1] == "the last line"
    assert any(line.startswith(f"[framework: {info['cut']:,} bytes cut here") for line in lines)


@pytest.mark.parametrize("when", ["in its first half second", "after its running record", "past the head"])
def test_the_log_of_a_run_killed_mid_step_is_readable_up_to_the_kill(tmp_path, when):
    home = tmp_path / "home"
    marker = tmp_path / "printed"
    script = write(tmp_path / "killed.py", f"""
        import time
        from pathlib import Path
        from framework import pipeline, step

        @step
        def first() -> int:
            print("first is done")
            return 1

        @step
        def victim(x: int) -> int:
            for i in range(50):
                print(f"progress {{i}}")
            time.sleep({1.2 if when == "after its running record" else 0})
            Path({str(marker)!r}).write_text("x")
            time.sleep(60)
            return x

        @pipeline
        def killed_pipeline():
            victim(first())

        killed_pipeline.with_options(run_name="killed")()
    """)
    env = {"FRAMEWORK_STEP_LOG_HEAD": "100"} if when == "past the head" else {}
    proc = subprocess.Popen([PYTHON, str(script)], cwd=tmp_path, env=child_env(home, **env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(marker.exists, timeout=120)
        time.sleep(0.3)  # a few flush intervals
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    audit(home)
    run = client(home).get_run("killed")
    assert run.status == "crashed"
    shown = runs_logs(home, "killed")
    assert shown.startswith("==> first (completed) <==\nfirst is done\n\n==> victim (crashed, incomplete")
    victim = runs_logs(home, "killed", "victim")
    if when == "past the head":
        assert victim.startswith("".join(f"progress {i}\n" for i in range(9)) + "[framework: the step printed "
                                 "more than 99 bytes; only the last 1,048,576 bytes of the rest are kept")
    else:
        assert victim == "".join(f"progress {i}\n" for i in range(50))
    if when == "after its running record":
        assert run.steps["victim"].log_info["uri"] in {log.uri for log in client(home).artifact_store.logs.list()}
