"""Step hooks (SPEC §9): ``on_failure=`` / ``on_success=`` on steps and both pipeline APIs, their
argument rules checked when configured, run after the step in its process, and a hook's own
error logged and recorded without hiding the step's."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from framework.exceptions import StepInterfaceError
from framework.orchestrators.step_runner import StepTask, run_step
from framework.pipelines import pipeline as legacy_pipeline
from framework.pipelines.new import pipeline
from framework.steps import BaseParameters, StepContext, step

SEEN: list[tuple] = []


@pytest.fixture(autouse=True)
def clear_seen():
    SEEN.clear()


class Params(BaseParameters):
    threshold: float = 0.5


def on_failure(error: BaseException, params: Params, context: StepContext) -> None:
    SEEN.append(("failure", type(error).__name__, str(error), params.threshold if params else None,
                 context.step_name, context.run_name, os.getpid(), threading.get_ident()))


def on_success(context: StepContext) -> None:
    SEEN.append(("success", context.step_name, context.pipeline_name))


def pipeline_failure(error: ValueError) -> None:
    SEEN.append(("pipeline failure", str(error)))


def raising_hook() -> None:
    raise KeyError("the alert service is down")


@step
def fails(params: Params) -> int:
    SEEN.append(("body", os.getpid(), threading.get_ident()))
    raise ValueError(f"threshold {params.threshold} not met")


@step
def works() -> int:
    return 1


# ------------------------------------------------------------------ running


def test_failure_hook_gets_the_exception_params_and_context_in_the_steps_process(backend):
    @legacy_pipeline
    def alerting(step_1):
        step_1()

    with pytest.raises(ValueError, match="threshold 0.75 not met"):  # the step's own error, unchanged
        alerting(step_1=fails(Params(threshold=0.75)).configure(on_failure=on_failure)).run(run_name="hooked")
    (_, body_pid, body_thread), hook = SEEN
    assert hook[:6] == ("failure", "ValueError", "threshold 0.75 not met", 0.75, "fails", "hooked")
    assert hook[6:] == (body_pid, body_thread)


def test_success_hook_runs_after_the_step_and_not_on_failure(backend):
    @pipeline
    def both():
        works.with_options(on_success=on_success, on_failure=on_failure)()

    assert both().status == "completed"
    assert SEEN == [("success", "works", "both")]


def test_pipeline_hooks_apply_to_steps_without_their_own(backend):
    @pipeline(on_failure=pipeline_failure, on_success=on_success)
    def mixed():
        works()
        fails.with_options(on_failure=on_failure)(id="own_hook")
        fails(id="pipeline_hook")

    with pytest.raises(ValueError):
        mixed()
    hooks = sorted(entry[:2] for entry in SEEN if entry[0] != "body")
    assert hooks == [("failure", "ValueError"), ("pipeline failure", "threshold 0.5 not met"), ("success", "works")]


@pytest.mark.parametrize("api", ["legacy", "function"])
def test_pipeline_hooks_from_configure_and_with_options(api):
    if api == "legacy":
        @legacy_pipeline
        def p(step_1):
            step_1()

        configured = p(step_1=works()).configure(on_success=f"{__name__}.on_success")
        configured.run()
    else:
        @pipeline
        def p():
            works()

        p.configure(on_success=f"{__name__}.on_success")()
        p.with_options(on_success=lambda: SEEN.append(("with_options",)), enable_cache=False)()  # replaces it
    expected = [("success", "works", "p")] + ([("with_options",)] if api == "function" else [])
    assert SEEN == expected


def test_a_raising_failure_hook_is_logged_and_never_hides_the_steps_error(caplog):
    caplog.set_level(logging.ERROR, logger="framework")

    @pipeline
    def p():
        fails.with_options(on_failure=raising_hook)()

    with pytest.raises(ValueError, match="threshold"):
        p()
    assert any("on_failure hook `raising_hook` of step `fails` raised KeyError" in r.getMessage()
               for r in caplog.records)


def test_a_raising_success_hook_never_fails_the_step(caplog):
    caplog.set_level(logging.ERROR, logger="framework")

    @pipeline
    def p():
        works.with_options(on_success=raising_hook)()

    run = p()
    assert run.status == "completed" and run.steps["works"].status == "completed"
    assert any("on_success hook `raising_hook`" in r.getMessage() for r in caplog.records)


def test_the_outcome_records_a_hooks_error(tmp_path):
    @pipeline
    def p():
        works.with_options(on_success=raising_hook)()

    graph, _ = p.compile()
    inv = graph.invocations["works"]
    task = StepTask(inv.id, inv.id, "unit-run", inv.step, inv.call_values, {}, inv.output_materializers,
                    str(tmp_path / "store"))
    outcome = run_step(task)
    assert outcome.error is None and set(outcome.outputs) == {"output"}
    assert outcome.hook_error == "on_success hook `raising_hook`: KeyError: 'the alert service is down'"


# ------------------------------------------------------------------ checked when configured


def _int_arg(x: int) -> None: ...
def _unannotated(x) -> None: ...
def _two_exceptions(a: Exception, b: ValueError) -> None: ...
def _two_contexts(a: StepContext, b: StepContext) -> None: ...
def _variadic(*args: BaseException) -> None: ...


@pytest.mark.parametrize(
    "hook, words",
    [
        (_int_arg, ["`_int_arg`", "argument `x`", "BaseException", "StepContext"]),
        (_unannotated, ["`_unannotated`", "argument `x` has no annotation"]),
        (_two_exceptions, ["`_two_exceptions`", "`a` and `b`", "at most once"]),
        (_two_contexts, ["`_two_contexts`", "`a` and `b`", "at most once"]),
        (_variadic, ["`_variadic`", "variable argument `args`"]),
        ("tests.test_hooks.no_such_hook", ["tests.test_hooks.no_such_hook", "cannot be imported"]),
        (42, ["takes a hook: a function or its dotted path", "42"]),
    ],
)
@pytest.mark.parametrize("where", ["@step", "configure", "with_options", "@pipeline", "legacy @pipeline",
                                   "pipeline.configure"])
def test_bad_hooks_are_value_errors_when_configured(hook, words, where):
    def body() -> int:
        return 1

    make = {
        "@step": lambda: step(on_failure=hook)(body),
        "configure": lambda: step(body)().configure(on_success=hook),
        "with_options": lambda: step(body).with_options(on_failure=hook),
        "@pipeline": lambda: pipeline(on_failure=hook)(lambda: works()),
        "legacy @pipeline": lambda: legacy_pipeline(on_success=hook)(lambda step_1: step_1()),
        "pipeline.configure": lambda: pipeline(lambda: works()).configure(on_failure=hook),
    }[where]
    with pytest.raises(ValueError) as err:
        make()
    assert all(w in str(err.value) for w in words), str(err.value)
    assert "hook" in str(err.value) and not isinstance(err.value, StepInterfaceError)


class Thresholds(BaseParameters):
    limit: float = 0.5
    label: str = "default"


SEEN_PARAMS: list = []


def remember_thresholds(params: Thresholds, exception: BaseException) -> None:
    SEEN_PARAMS.append((type(params).__name__, params.limit, params.label, type(exception).__name__))


def test_a_hook_asking_for_a_parameters_class_gets_one_built_from_a_function_steps_arguments():
    """Migrated legacy hooks keep their `params: P` argument while the step now takes plain
    arguments: the hook gets P made of the step's values of the same names."""
    SEEN_PARAMS.clear()

    @step(on_failure=remember_thresholds)
    def strict(value: float, limit: float = 0.5, label: str = "x") -> float:
        raise ValueError(f"{value} is over {limit}")

    @pipeline
    def checked():
        strict(value=0.9, limit=0.25, label="tight")

    with pytest.raises(ValueError, match="over 0.25"):
        checked()
    assert SEEN_PARAMS == [("Thresholds", 0.25, "tight", "ValueError")]


SEEN_ANY: list = []


def remember_any_parameters(params: BaseParameters) -> None:
    SEEN_ANY.append(params.dict())


def test_a_hook_asking_for_base_parameters_gets_all_of_a_function_steps_parameters():
    SEEN_ANY.clear()

    @step(on_success=remember_any_parameters)
    def scaled(x: int, factor: float = 2.0, label: str = "a") -> float:
        return x * factor

    @step
    def source() -> int:
        return 3

    @pipeline
    def scaling():
        scaled(x=source(), factor=0.5)

    scaling()
    assert SEEN_ANY == [{"factor": 0.5, "label": "a"}]  # parameters only: `x` is an input
