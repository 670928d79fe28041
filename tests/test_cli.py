"""The ``framework`` command line: listings, show, compare, artifacts, stack, gc, errors, progress."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from framework.cli import main
from framework.client import Client
from framework.gc import Candidate, gc_cutoff, plan_gc
from framework.pipelines.new import pipeline
from framework.reports.compare import compare_table
from framework.steps import Output, step
from tests.seed_steps import loader, new_trainer, scorer

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------- pipelines used below
@step
def make_frame(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({"alpha": list(range(n)), "beta": [x * 0.5 for x in range(n)]})


@step
def frame_stats(df: pd.DataFrame) -> Output(rows=int, label=str, ratio=float, ok=bool):
    return len(df), f"rows-{len(df)}", float(df["beta"].sum()), True


@step
def explode(X_train: np.ndarray) -> int:
    raise RuntimeError("no luck")


@pipeline
def cli_pipeline(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(C=C, X_train=X_train, y_train=y_train)
    scorer(model=model, X_test=X_test, y_test=y_test)


@pipeline
def frames(n: int = 4):
    frame_stats(df=make_frame(n=n))


@pipeline(name="frames")
def frames_v2(n: int = 4):
    df = make_frame(n=n)
    frame_stats(df=df)
    frame_stats(df=df)


@pipeline
def failing():
    X_train, X_test, y_train, y_test = loader()
    explode(X_train=X_train)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One home with runs of every kind, shared by the read-only tests of this module."""
    home = tmp_path_factory.mktemp("cli") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRAMEWORK_HOME", str(home))
        cli_pipeline.with_options(run_name="run-a")(C=1.0)
        cli_pipeline.with_options(run_name="run-b")(C=0.5)  # loader cached from run-a
        cli_pipeline.with_options(run_name="run-c")(C=1.0)  # everything cached from run-a
        frames.with_options(run_name="frames-1")(n=4)
        frames_v2.with_options(run_name="frames-2")(n=6)
        with pytest.raises(RuntimeError):
            failing.with_options(run_name="failing-1")()
    return home


@pytest.fixture
def in_store(store, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_HOME", str(store))
    return store


def cli(*args: str):
    result = CliRunner().invoke(main, list(args), prog_name="framework")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def cli_json(*args: str):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def row(table: dict, section: str, field: str) -> dict:
    return next(r for r in table["rows"] if r["section"] == section and r["field"] == field)


# ---------------------------------------------------------------------- help, exit codes, errors
@pytest.mark.parametrize("args", [
    [], ["pipelines"], ["pipelines", "list"], ["pipelines", "versions"], ["runs"], ["runs", "list"],
    ["runs", "show"], ["runs", "compare"], ["artifacts", "show"], ["stack"], ["stack", "list"],
    ["stack", "describe"], ["gc"], ["migrate"],
])
def test_every_command_explains_itself(args):
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert "Usage: framework" in result.stdout
    assert len(result.stdout.split("\n\n")[1].strip()) > 20  # a real description


@pytest.mark.parametrize("args", [
    ["nonsense"], ["runs", "list", "--status", "bogus"], ["runs", "list", "--limit", "-1"],
    ["runs", "show"], ["runs", "compare", "run-a"], ["runs", "list", "--no-such-option"],
])
def test_usage_errors_exit_2(in_store, args):
    assert cli(*args).exit_code == 2


@pytest.mark.parametrize("args, what", [
    (["runs", "show", "no-such-run"], "No run named `no-such-run`"),
    (["runs", "compare", "run-a", "no-such-run"], "No run named `no-such-run`"),
    (["artifacts", "show", "no-such-run", "loader"], "No run named `no-such-run`"),
    (["artifacts", "show", "run-a", "no_step"], "has no step `no_step`"),
    (["artifacts", "show", "run-a", "loader", "nope"], "has no output `nope`"),
    (["pipelines", "versions", "no_pipeline"], "No pipeline named `no_pipeline`"),
    (["runs", "list", "--pipeline", "no_pipeline"], "No pipeline named `no_pipeline`"),
    (["stack", "describe", "no_stack"], "No stack named `no_stack`"),
])
def test_unknown_names_give_one_line_on_stderr_and_exit_1(in_store, args, what):
    result = cli(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and what in lines[0] and lines[0].startswith("Error: ")


def test_corrupted_store_gives_one_line_naming_the_file(home):
    cli_pipeline.with_options(run_name="ok")(C=1.0)
    broken = home / "metadata" / "pipelines.json"
    broken.write_text('{"pipelines": {"1": {"na')
    for args in (["runs", "list"], ["pipelines", "list", "--json"], ["runs", "list", "--pipeline", "x"], ["gc"]):
        result = cli(*args)
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(broken) in lines[0] and "Traceback" not in result.stderr


def test_missing_artifact_is_one_line_too(home):
    run = cli_pipeline.with_options(run_name="gone")(C=1.0)
    Path(run.steps["new_trainer"].output.path).unlink()
    result = cli("artifacts", "show", "gone", "new_trainer")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "is missing" in result.stderr


# ---------------------------------------------------------------------- pipelines
def test_pipelines_list_and_versions(in_store):
    pipelines = {p["name"]: p for p in cli_json("pipelines", "list")}
    assert set(pipelines) == {"cli_pipeline", "frames", "failing"}
    assert pipelines["cli_pipeline"]["runs"] == 3
    assert pipelines["cli_pipeline"]["last_run"] == "run-c"
    assert pipelines["failing"]["last_run_status"] == "failed"
    assert pipelines["frames"]["latest_version"] == 2

    versions = cli_json("pipelines", "versions", "frames")
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["steps"] == ["make_frame", "frame_stats", "frame_stats_2"]

    text = cli("pipelines", "list").stdout
    assert "cli_pipeline" in text and "run-c" in text and "failed" in text


def test_pipelines_list_on_an_empty_store(home):
    result = cli("pipelines", "list")
    assert result.exit_code == 0 and "No pipelines yet" in result.stdout
    assert cli_json("pipelines", "list") == []


# ---------------------------------------------------------------------- runs list
def test_runs_list_filters_and_json(in_store):
    assert [r["name"] for r in cli_json("runs", "list")] == [
        "failing-1", "frames-2", "frames-1", "run-c", "run-b", "run-a"]
    assert [r["name"] for r in cli_json("runs", "list", "--pipeline", "cli_pipeline")] == ["run-c", "run-b", "run-a"]
    assert [r["name"] for r in cli_json("runs", "list", "--status", "failed")] == ["failing-1"]
    assert [r["name"] for r in cli_json("runs", "list", "--pipeline", "frames", "--limit", "1")] == ["frames-2"]
    assert cli_json("runs", "list", "--pipeline", "cli_pipeline", "--status", "failed") == []
    first = cli_json("runs", "list", "--limit", "1")[0]
    assert {"name", "id", "pipeline", "version", "status", "start_time", "duration", "steps"} <= set(first)
    assert first["steps"] == 2 and first["status"] == "failed"

    text = cli("runs", "list", "--pipeline", "cli_pipeline").stdout
    assert all(name in text for name in ("run-a", "run-b", "run-c")) and "frames-1" not in text
    assert "No runs match." in cli("runs", "list", "--status", "running").stdout


# ---------------------------------------------------------------------- runs show
def test_show_names_the_run_and_step_a_cached_step_came_from(in_store):
    data = cli_json("runs", "show", "run-b")
    steps = {s["name"]: s for s in data["steps"]}
    assert data["status"] == "completed" and data["pipeline_parameters"] == {"C": 0.5}
    assert steps["loader"]["status"] == "cached"
    assert steps["loader"]["cached_from"]["run"] == "run-a"
    assert steps["loader"]["cached_from"]["step"] == "loader"
    assert steps["new_trainer"]["status"] == "completed" and steps["new_trainer"]["cached_from"] is None
    assert steps["new_trainer"]["parameters"] == {"C": 0.5}
    x_train = next(o for o in steps["loader"]["outputs"] if o["name"] == "X_train")
    assert x_train["type"] == "numpy.ndarray" and x_train["size"] > 0 and Path(x_train["path"]).is_file()

    text = cli("runs", "show", "run-b").stdout
    loader_line = next(line for line in text.splitlines() if line.startswith("loader "))
    assert "cached" in loader_line and "run-a / loader" in loader_line
    trainer_line = next(line for line in text.splitlines() if line.startswith("new_trainer "))
    assert "C=0.5" in trainer_line and "completed" in trainer_line
    assert "loader.X_train" in text and "numpy.ndarray" in text and "shape (30, 3)" in text
    assert x_train["path"] in text


def test_show_a_failed_run_shows_the_error(in_store):
    data = cli_json("runs", "show", "failing-1")
    assert data["status"] == "failed"
    explode_step = next(s for s in data["steps"] if s["name"] == "explode")
    assert explode_step["status"] == "failed" and "no luck" in explode_step["error"]
    assert "no luck" in cli("runs", "show", "failing-1").stdout


def test_show_accepts_a_run_id(in_store):
    run_id = cli_json("runs", "show", "run-a")["id"]
    assert cli_json("runs", "show", run_id)["name"] == "run-a"


# ---------------------------------------------------------------------- runs compare
def test_compare_highlights_differing_parameters_and_statuses(in_store):
    table = cli_json("runs", "compare", "run-a", "run-b", "run-c")
    assert table["runs"] == ["run-a", "run-b", "run-c"]
    c = row(table, "parameters", "new_trainer.C")
    assert c["values"] == [1.0, 0.5, 1.0] and c["differs"] is True
    assert row(table, "pipeline arguments", "C")["differs"] is True
    assert row(table, "run", "status") == {"section": "run", "field": "status", "values": ["completed"] * 3,
                                           "present": [True] * 3, "differs": False}
    assert row(table, "step status", "loader")["values"] == ["completed", "cached", "cached"]
    score = row(table, "outputs", "scorer.output")
    assert all(isinstance(v, float) for v in score["values"])

    text = cli("runs", "compare", "run-a", "run-b", "run-c").stdout
    header = text.splitlines()[0]
    assert header.index("run-a") < header.index("run-b") < header.index("run-c")
    c_line = next(line for line in text.splitlines() if "new_trainer.C" in line)
    assert c_line.startswith("*") and c_line.split()[-3:] == ["1.0", "0.5", "1.0"]
    status_line = next(line for line in text.splitlines() if line.split()[:2] == ["run", "pipeline"])
    assert not status_line.startswith("*")  # the same in every run: not marked
    loader_line = next(line for line in text.splitlines() if line.split()[-3:] == ["completed", "cached", "cached"])
    assert loader_line.startswith("*") and "loader" in loader_line
    differing = sum(r["differs"] for r in table["rows"])
    assert f"* {differing} row(s) differ" in text

    only = cli_json("runs", "compare", "run-a", "run-c", "--diff-only")
    assert all(r["differs"] for r in only["rows"])
    assert {r["field"] for r in only["rows"]} == {"loader", "new_trainer", "scorer"}  # step statuses only


def test_compare_loads_scalar_outputs(in_store):
    table = cli_json("runs", "compare", "frames-1", "frames-2")
    assert row(table, "outputs", "frame_stats.rows")["values"] == [4, 6]
    assert row(table, "outputs", "frame_stats.label")["values"] == ["rows-4", "rows-6"]
    assert row(table, "outputs", "frame_stats.ok") == {
        "section": "outputs", "field": "frame_stats.ok", "values": [True, True], "present": [True, True],
        "differs": False}
    extra = row(table, "outputs", "frame_stats_2.rows")
    assert extra["present"] == [False, True] and extra["differs"] is True
    assert row(table, "run", "version")["values"] == [1, 2]
    assert not any(r["field"].startswith("make_frame.output") for r in table["rows"])  # a DataFrame is no scalar


def test_compare_table_is_pure():
    table = compare_table(["x", "y"], [{("parameters", "a.k"): 1, ("parameters", "a.same"): "s"},
                                       {("parameters", "a.k"): 2, ("parameters", "a.same"): "s",
                                        ("outputs", "a.output"): None}])
    assert [(r["field"], r["differs"]) for r in table["rows"]] == [
        ("a.k", True), ("a.same", False), ("a.output", True)]
    assert table["rows"][2]["values"] == [None, None] and table["rows"][2]["present"] == [False, True]


# ---------------------------------------------------------------------- artifacts show
def test_artifacts_show_array_from_metadata_without_loading(in_store):
    data = cli_json("artifacts", "show", "run-a", "loader", "X_train")
    assert data["summary"] == {"kind": "array", "loaded": False, "shape": [30, 3], "dtype": "float64",
                               "text": "array  shape (30, 3)  dtype float64"}
    assert data["type"] == "numpy.ndarray" and Path(data["path"]).is_file()
    text = cli("artifacts", "show", "run-a", "loader", "X_train").stdout
    assert "shape (30, 3)" in text and "float64" in text and data["path"] in text


def test_artifacts_show_all_outputs_of_a_step(in_store):
    data = cli_json("artifacts", "show", "run-a", "loader")
    assert [d["output"] for d in data] == ["X_train", "X_test", "y_train", "y_test"]
    assert data[2]["summary"]["dtype"] == "int64"


def test_artifacts_show_dataframe_head(in_store):
    data = cli_json("artifacts", "show", "frames-1", "make_frame", "--head", "2")
    summary = data[0]["summary"]
    assert summary["kind"] == "dataframe" and summary["rows"] == 4 and summary["columns"] == ["alpha", "beta"]
    assert summary["head"].splitlines()[0].split() == ["alpha", "beta"] and len(summary["head"].splitlines()) == 3
    text = cli("artifacts", "show", "frames-1", "make_frame").stdout
    assert "4 rows × 2 columns" in text and "alpha" in text and "beta" in text


def test_artifacts_show_model_repr_and_no_load(in_store):
    data = cli_json("artifacts", "show", "run-b", "new_trainer", "output")
    assert data["summary"]["kind"] == "model" and data["summary"]["repr"] == "LogisticRegression(C=0.5)"
    assert "LogisticRegression(C=0.5)" in cli("artifacts", "show", "run-b", "new_trainer").stdout
    bare = cli_json("artifacts", "show", "run-b", "new_trainer", "output", "--no-load")
    assert bare["summary"]["loaded"] is False and bare["summary"]["class"] == "LogisticRegression"


def test_artifacts_show_scalars(in_store):
    data = {d["output"]: d["summary"] for d in cli_json("artifacts", "show", "frames-1", "frame_stats")}
    assert data["rows"] == {"kind": "scalar", "loaded": False, "value": 4, "text": "builtins.int = 4"}
    assert data["label"]["value"] == "rows-4" and data["ok"]["value"] is True and data["ratio"]["value"] == 3.0
    text = cli("artifacts", "show", "frames-1", "frame_stats", "ratio").stdout
    assert "builtins.float = 3.0" in text


def test_artifacts_show_a_cached_step_reads_the_original_artifact(in_store):
    original = cli_json("artifacts", "show", "run-a", "loader", "X_train")
    cached = cli_json("artifacts", "show", "run-c", "loader", "X_train")
    assert cached["path"] == original["path"] and cached["produced_by_run"] == "run-a"


# ---------------------------------------------------------------------- stack
def test_stack_list_and_describe(home):
    stacks = cli_json("stack", "list")
    assert [s["name"] for s in stacks] == ["default"] and stacks[0]["active"] is True
    info = cli_json("stack", "describe")
    assert info["home"] == str(home.resolve())
    assert info["artifact_store"] == str(home.resolve() / "artifacts")
    assert info["metadata_store"] == str(home.resolve() / "metadata")
    assert cli_json("stack", "describe", "default")["name"] == "default"
    text = cli("stack", "describe").stdout
    assert str(home.resolve() / "artifacts") in text and "not created yet" in text
    assert "default" in cli("stack", "list").stdout


# ---------------------------------------------------------------------- gc
OLD = time.time() - 24 * 3600


def _artifact_files(home: Path) -> set[Path]:
    return {p for p in (home / "artifacts").rglob("*") if p.is_file() and ".refs" not in p.parts}


def _orphan(home: Path, age_from: float = OLD, suffix: str = ".json", size: int = 1000) -> Path:
    artifact_id = os.urandom(16).hex()
    path = home / "artifacts" / artifact_id[:2] / f"{artifact_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (age_from, age_from))
    return path


def _age_everything(home: Path) -> None:
    for path in _artifact_files(home):
        os.utime(path, (OLD, OLD))


def test_gc_deletes_orphans_and_temp_files_never_a_referenced_artifact(home):
    run = cli_pipeline.with_options(run_name="keep")(C=1.0)
    _age_everything(home)  # even old referenced files must survive
    referenced = _artifact_files(home)
    orphan = _orphan(home, size=1000)
    temp = Path(f"{_orphan(home, size=24)}.tmp-0123456789ab")
    Path(str(temp)[: -len(".tmp-0123456789ab")]).rename(temp)
    os.utime(temp, (OLD, OLD))
    store_temp = home / "metadata" / ".pipelines.json.0123456789ab.tmp"
    store_temp.write_bytes(b"{")

    dry = cli_json("gc", "--dry-run")
    assert dry["dry_run"] is True and dry["freed_bytes"] == 1000 + 24 + 1
    assert {d["path"] for d in dry["deleted"]} == {str(orphan), str(temp), str(store_temp)}
    assert orphan.exists() and temp.exists() and store_temp.exists()  # a dry run deletes nothing
    text = cli("gc", "--dry-run").stdout
    assert "Would delete 1 orphaned artifact file(s) and 2 temp file(s); would free 1.0 KB." in text
    assert str(orphan) in text

    result = cli("gc")
    assert result.exit_code == 0
    assert "Deleted 1 orphaned artifact file(s) and 2 temp file(s); freed 1.0 KB." in result.stdout
    assert not orphan.exists() and not temp.exists() and not store_temp.exists()
    assert _artifact_files(home) == referenced
    fresh = Client().get_run("keep")
    assert fresh.steps["new_trainer"].output.load().C == 1.0  # still loads and verifies
    assert fresh.steps["loader"].outputs["X_train"].load().shape == (30, 3)
    assert cli_json("gc")["deleted"] == []
    assert run.name == "keep"


def test_gc_keeps_cached_runs_artifacts(home):
    cli_pipeline.with_options(run_name="first")(C=1.0)
    cli_pipeline.with_options(run_name="cached")(C=1.0)
    _age_everything(home)
    before = _artifact_files(home)
    assert cli_json("gc")["deleted"] == []
    assert _artifact_files(home) == before


def test_gc_keeps_a_file_written_after_it_read_the_referenced_set(home, monkeypatch):
    from framework.metadata import TinyDBStore

    cli_pipeline.with_options(run_name="r")(C=1.0)
    _age_everything(home)
    real = TinyDBStore.referenced_artifact_ids
    written: list[Path] = []

    def scan_then_a_run_saves(self):
        ids = real(self)
        written.append(_orphan(home, age_from=time.time()))  # saved by a run, not yet recorded
        return ids

    monkeypatch.setattr(TinyDBStore, "referenced_artifact_ids", scan_then_a_run_saves)
    report = cli_json("gc", "--min-age", "0")
    assert written[0].exists() and report["deleted"] == []
    assert [k["path"] for k in report["kept_recent"]] == [str(written[0])]


def test_gc_keeps_unrecorded_files_of_a_run_in_progress(home):
    from framework.metadata import TinyDBStore
    from framework.records import Run

    store = TinyDBStore(home / "metadata")
    registration = store.register_pipeline("live", "hash-1", {})
    started = time.time() - 600
    store.create_run(Run(
        id=os.urandom(16).hex(), name="live-run", pipeline_name="live",
        pipeline_id=registration.pipeline_id, version=registration.version, status="running",
        start_time=dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(),
        pid=os.getpid(), host=socket.gethostname(),
    ))
    in_flight = _orphan(home, age_from=started + 300)  # older than gc, newer than the live run
    crashed_leftover = _orphan(home, age_from=started - 3600)
    report = cli_json("gc")
    assert report["running_runs"] == ["live-run"]
    assert in_flight.exists() and not crashed_leftover.exists()
    text = cli("gc", "--dry-run").stdout
    assert "Kept 1 unreferenced recent file(s) (runs in progress: live-run)" in text


def test_gc_plan_is_pure():
    files = [Candidate("a", 10, 100.0, "artifact", "a" * 32), Candidate("b", 20, 100.0, "artifact", "b" * 32),
             Candidate("c", 30, 500.0, "artifact", "c" * 32), Candidate("t", 5, 100.0, "artifact-temp"),
             Candidate("s", 1, 999.0, "store-temp"), Candidate("u", 7, None, "artifact", "d" * 32)]
    plan = plan_gc(files, {"a" * 32}, cutoff=200.0)
    assert [f.path for f in plan.delete] == ["b", "t", "s"] and plan.freed_bytes == 26
    assert [f.path for f in plan.kept_recent] == ["c", "u"] and plan.referenced == 1
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert gc_cutoff(start.timestamp(), [], 60) == start.timestamp() - 60
    earlier = (start - dt.timedelta(hours=1)).isoformat()
    assert gc_cutoff(start.timestamp(), [earlier], 0) == start.timestamp() - 3600
    assert gc_cutoff(start.timestamp(), ["garbage"], 0) == float("-inf")


def test_gc_on_an_empty_home_creates_nothing(home):
    report = cli_json("gc")
    assert report["deleted"] == [] and report["freed_bytes"] == 0
    assert not home.exists()


# ---------------------------------------------------------------------- logging, import cost
def test_cli_installs_and_removes_its_log_handler(in_store, monkeypatch):
    from framework.reports import run_list as runs_module

    logger = logging.getLogger("framework")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # an application without logging set up
    level = logger.level
    seen = []
    original = runs_module.full_row

    def spy(record, reader=None):
        seen.append([type(h).__name__ for h in logger.handlers])
        return original(record, reader)

    monkeypatch.setattr(runs_module, "full_row", spy)
    assert cli("runs", "list").exit_code == 0
    assert seen and all(names == ["ConsoleHandler"] for names in seen)
    assert logger.handlers == [] and logger.level == level


def test_import_cli_is_light():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, framework.cli; "
         "print([m for m in ('rich', 'pandas', 'sklearn', 'numpy', 'framework.client') if m in sys.modules])"],
        capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------- through a real process
def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(FRAMEWORK_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def _console_script() -> Path:
    script = Path(sys.executable).parent / "framework"
    if not script.exists():
        pytest.skip("the framework console script is not installed next to this interpreter")
    return script


def test_python_m_framework_and_console_script(store):
    for command in ([sys.executable, "-m", "framework"], [str(_console_script())]):
        done = subprocess.run([*command, "runs", "list", "--pipeline", "cli_pipeline", "--json"],
                              capture_output=True, text=True, env=_env(store))
        assert done.returncode == 0, done.stderr
        assert [r["name"] for r in json.loads(done.stdout)] == ["run-c", "run-b", "run-a"]

        shown = subprocess.run([*command, "runs", "show", "run-c"], capture_output=True, text=True,
                               env=_env(store))
        assert shown.returncode == 0 and "run-a / new_trainer" in shown.stdout

        missing = subprocess.run([*command, "runs", "show", "nope"], capture_output=True, text=True,
                                 env=_env(store))
        assert missing.returncode == 1 and missing.stdout == ""
        assert missing.stderr.count("\n") == 1 and "No run named `nope`" in missing.stderr

        usage = subprocess.run([*command, "runs", "frobnicate"], capture_output=True, text=True, env=_env(store))
        assert usage.returncode == 2


def test_subprocess_corrupted_store_is_one_line(tmp_path):
    home = tmp_path / "home"
    (home / "metadata").mkdir(parents=True)
    (home / "metadata" / "pipelines.json").write_text("")
    done = subprocess.run([str(_console_script()), "pipelines", "list"], capture_output=True, text=True,
                          env=_env(home))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and str(home / "metadata" / "pipelines.json") in done.stderr


# ---------------------------------------------------------------------- progress
SIX_STEPS = textwrap.dedent("""
    from framework import pipeline, step

    @step
    def first() -> int:
        return 1

    @step
    def add(x: int) -> int:
        return x + 1

    @pipeline
    def six():
        x = first()
        for _ in range(5):
            x = add(x)

    six.with_options(run_name="six-run")()
""")


def test_progress_leaves_log_lines_plain_when_not_a_terminal(tmp_path):
    script = tmp_path / "six.py"
    script.write_text(SIX_STEPS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=_env(tmp_path / "home", FRAMEWORK_PROGRESS="1"))
    assert done.returncode == 0, done.stderr
    steps = ["first", "add", "add_2", "add_3", "add_4", "add_5"]
    expected = ["Registered new pipeline with name `six`.",
                "Creating run `six-run` for pipeline `six` (Caching enabled)",
                "Using stack `default` to run pipeline `six`..."]
    for name in steps:
        expected += [f"Step `{name}` has started.", f"Step `{name}` has finished in"]
    expected.append("Pipeline run `six-run` has finished in")
    lines = done.stdout.splitlines()
    assert len(lines) == len(expected)
    assert all(line.startswith(prefix) for line, prefix in zip(lines, expected)), lines
    assert "\x1b" not in done.stdout and "\r" not in done.stdout and done.stderr == ""


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_prints_log_lines_intact(monkeypatch):
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    logger = logging.getLogger("framework")
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(message)s"))
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "disabled", False)
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not the attribute: it clears the isEnabledFor cache
    try:
        _drive_reporter(terminal, handler, logger)
    finally:
        logger.setLevel(level)


def _drive_reporter(terminal, handler, logger):
    from rich.console import Console

    from framework.execution.progress import ProgressReporter

    reporter = ProgressReporter(enabled=True, console=Console(file=terminal, force_terminal=True, width=120),
                                min_steps=2)
    logged = []

    def log(message: str) -> None:
        logged.append(message)
        logger.info(message)

    reporter.run_started("demo-run", 3)
    for name in ("a", "b", "c"):
        log(f"Step `{name}` has started.")
        reporter.step_started(name)
        assert "demo-run:" in reporter.line() and f"running {name}" in reporter.line()
        print(f"print from {name}")
        log(f"Step `{name}` has finished in 0.001s.")
        reporter.step_finished(name)
    assert reporter.line().startswith("demo-run: 3/3 steps done")
    reporter.run_finished()
    assert handler.stream is terminal and sys.stdout is terminal
    log("Pipeline run `demo-run` has finished in 0.010s.")

    raw = terminal.getvalue()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    lines = [line.rsplit("\r", 1)[-1] for line in plain.split("\n")]
    shown = [line for line in lines if line and not line.startswith("demo-run:")]
    assert [line for line in shown if not line.startswith("print from")] == logged
    assert [line for line in shown if line.startswith("print from")] == ["print from a", "print from b",
                                                                           "print from c"]
    assert "demo-run: " in raw  # the live line was drawn


def test_progress_is_a_no_op_off_a_terminal(monkeypatch):
    from framework.execution.progress import ProgressReporter

    reporter = ProgressReporter()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    reporter.run_started("r", 10)
    reporter.step_started("a")
    reporter.step_finished("a")
    reporter.run_finished()
    assert sys.stdout.getvalue() == "" and reporter._live is None
