"""The launcher (SPEC §5): log lines, run names, failures, cache precedence."""

import re

import numpy as np
import pytest

from framework.client import Client
from framework.exceptions import DuplicateRunNameError
from framework.pipelines import pipeline
from framework.steps import step
from tests.seed_steps import CALLS, loader, trainer


@pipeline
def first_pipeline(step_1, step_2):
    X_train, X_test, y_train, y_test = step_1()
    step_2(X_train, y_train)


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


def test_seed_log_lines_in_order(backend, run_log):
    first_pipeline(step_1=loader(), step_2=trainer()).run()
    lines = run_log.lines
    assert lines[0] == "Registered new pipeline with name `first_pipeline`."
    assert re.fullmatch(r"Creating run `first_pipeline-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d_\d{6}` for pipeline "
                        r"`first_pipeline` \(Caching enabled\)", lines[1])
    assert lines[2] == "Using stack `default` to run pipeline `first_pipeline`..."
    assert lines[3] == "Step `loader` has started."
    assert re.fullmatch(r"Step `loader` has finished in \d+\.\d{3}s\.", lines[4])
    assert lines[5] == "Step `trainer` has started."
    assert re.fullmatch(r"Pipeline run `first_pipeline-.*` has finished in \d+\.\d{3}s\.", lines[-1])
    assert len(lines) == 8


def test_seed_caching_runs(run_log, store_backend):
    @step(enable_cache=False)
    def uncached_trainer(X_train: np.ndarray, y_train: np.ndarray) -> float:
        CALLS.append("uncached")
        return float(X_train.sum())

    p = first_pipeline(step_1=loader(), step_2=uncached_trainer())
    p.run()
    run_log.clear()
    second = p.run()
    assert "Using cached version of `loader`." in run_log.lines
    assert second.steps["loader"].status == "cached"
    assert second.steps["uncached_trainer"].status == "completed"
    run_log.clear()
    third = p.run(enable_cache=False)
    assert run_log.lines[1].startswith("Runtime configuration overwriting the pipeline cache settings to "
                                       "enable_cache=False for this pipeline run.")
    assert [s.status for s in third.steps.values()] == ["completed", "completed"]
    assert CALLS == ["loader", "uncached", "uncached", "loader", "uncached"]


def test_run_level_enable_cache_true_overrides_step_false(store_backend):
    @step(enable_cache=False)
    def s() -> int:
        CALLS.append("s")
        return 1

    @pipeline(enable_cache=False)
    def p(step_1):
        step_1()

    p(step_1=s()).run()
    p(step_1=s()).run()
    assert CALLS == ["s", "s"]
    assert p(step_1=s()).run(enable_cache=True).steps["s"].status == "cached"


def test_step_setting_beats_pipeline_setting(store_backend):
    @step(enable_cache=True)
    def s() -> int:
        CALLS.append("s")
        return 1

    @pipeline(enable_cache=False)
    def p(step_1):
        step_1()

    p(step_1=s()).run()
    assert p(step_1=s()).run().steps["s"].status == "cached"


def test_duplicate_run_name_leaves_existing_run_untouched(store_backend):
    p = first_pipeline(step_1=loader(), step_2=trainer())
    original = p.run(run_name="taken")
    CALLS.clear()
    with pytest.raises(DuplicateRunNameError) as err:
        p.run(run_name="taken")
    assert isinstance(err.value, RuntimeError) and "taken" in str(err.value)
    assert CALLS == []
    again = Client().get_run("taken")
    assert again.id == original.id and again.status == "completed"


def test_bad_run_name_fails_before_anything_is_written():
    with pytest.raises(ValueError):
        first_pipeline(step_1=loader(), step_2=trainer()).run(run_name="../escape")
    with pytest.raises(ValueError):
        first_pipeline(step_1=loader(), step_2=trainer()).run(run_name="x_{user}")
    assert Client().get_pipeline("first_pipeline") is None


def test_failing_step_marks_run_failed_skips_downstream_and_reraises(backend, store_backend):
    class Boom(Exception):
        pass

    @step
    def explode(X_train: np.ndarray) -> np.ndarray:
        raise Boom("no luck")

    @step
    def after_boom(x: np.ndarray) -> int:
        CALLS.append("after")
        return 1

    @pipeline
    def failing(step_1, step_2, step_3):
        X_train, X_test, y_train, y_test = step_1()
        step_3(step_2(X_train))

    with pytest.raises(Boom):
        failing(step_1=loader(), step_2=explode(), step_3=after_boom()).run(run_name="failing_run")
    run = Client().get_run("failing_run")
    assert run.status == "failed"
    assert run.steps["loader"].status == "completed"
    assert run.steps["explode"].status == "failed" and "no luck" in run.steps["explode"].error
    assert run.steps["after_boom"].status == "skipped"
    assert run.steps["loader"].outputs["X_train"].load().shape == (30, 3)
    assert "after" not in CALLS


def test_failed_step_is_never_a_cache_hit(store_backend):
    state = {"fail": True}

    @step
    def flaky() -> int:
        CALLS.append("flaky")
        if state["fail"]:
            raise RuntimeError("first time fails")
        return 1

    @pipeline
    def p(step_1):
        step_1()

    with pytest.raises(RuntimeError):
        p(step_1=flaky()).run()
    state["fail"] = False
    assert p(step_1=flaky()).run().steps["flaky"].status == "completed"
    assert CALLS == ["flaky", "flaky"]


def test_output_validation_failure_marks_step_failed():
    @step
    def wrong() -> int:
        return "nope"

    @pipeline
    def p(step_1):
        step_1()

    from framework.exceptions import StepInterfaceError

    with pytest.raises(StepInterfaceError, match="output `output`"):
        p(step_1=wrong()).run(run_name="wrong_run")
    run = Client().get_run("wrong_run")
    assert run.status == "failed" and run.steps["wrong"].status == "failed"


def test_tampered_cached_artifact_is_a_miss(store_backend):
    p = first_pipeline(step_1=loader(), step_2=trainer())
    run = p.run()
    path = run.steps["loader"].outputs["X_train"].path
    with open(path, "r+b") as fh:
        fh.seek(-8, 2)
        fh.write(b"\x00" * 8)
    CALLS.clear()
    rerun = p.run()
    assert rerun.steps["loader"].status == "completed"
    assert CALLS[0] == "loader"


def test_keyboard_interrupt_stops_the_run_and_marks_it_failed(store_backend):
    @step
    def interrupted() -> int:
        raise KeyboardInterrupt

    @step
    def later(x: int) -> int:
        CALLS.append("later")
        return x

    @pipeline
    def p(step_1, step_2):
        step_2(step_1())

    with pytest.raises(KeyboardInterrupt):
        p(step_1=interrupted(), step_2=later()).run(run_name="interrupted_run")
    run = Client().get_run("interrupted_run")
    assert run.status == "failed" and run.steps["interrupted"].status == "failed"
    assert CALLS == []


def test_default_handler_follows_a_swapped_stdout(monkeypatch, capsys):
    import io
    import logging

    from framework.logging_setup import ensure_console_handler

    logger = logging.getLogger("framework")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    ensure_console_handler()
    swapped = io.StringIO()
    monkeypatch.setattr("sys.stdout", swapped)
    logger.info("hello after swap")
    assert "hello after swap" in swapped.getvalue()


def test_repeated_invocation_in_one_run_is_always_a_cache_hit(store_backend):
    from framework.pipelines.new import pipeline as new_pipeline

    @step
    def square(x: int) -> int:
        CALLS.append("square")
        return x * x

    @new_pipeline
    def repeated():
        square(x=3)
        square(x=3)

    for _ in range(5):
        CALLS.clear()
        run = repeated()
        statuses = [s.status for s in run.steps.values()]
        assert statuses[1] == "cached"
        assert CALLS.count("square") <= 1
