"""Function API (SPEC §3, §4): tracing, ids, parameters, with_options, bridge with the legacy API."""

from typing import Any

import numpy as np
import pytest

from framework import pipeline as short_pipeline
from framework.client import Client
from framework.exceptions import PipelineInterfaceError, StepInterfaceError
from framework.pipelines import pipeline as legacy_pipeline
from framework.pipelines.new import pipeline
from framework.steps import step
from tests.seed_steps import CALLS, TrainerParams, loader, new_trainer, trainer


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@step
def tagger(X_train: np.ndarray, tag: Any = None) -> int:
    return len(X_train)


@pipeline
def seed_like(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    new_trainer(C=C, X_train=X_train, y_train=y_train)


def test_short_import_is_the_function_api():
    assert short_pipeline is pipeline


def test_calling_runs_and_a_second_call_is_cached(backend, run_log):
    first = seed_like(C=0.5)
    assert first.status == "completed"
    run_log.clear()
    second = seed_like(C=0.5)
    assert [s.status for s in second.steps.values()] == ["cached", "cached"]
    assert "Using cached version of `loader`." in run_log.lines
    assert "Using cached version of `new_trainer`." in run_log.lines
    assert CALLS == ["loader", "new_trainer"]


def test_new_value_reruns_only_the_trainer(backend):
    seed_like(C=0.5)
    run = seed_like(C=0.25)
    assert run.steps["loader"].status == "cached"
    assert run.steps["new_trainer"].status == "completed"
    assert run.steps["new_trainer"].parameters == {"C": 0.25}
    assert run.pipeline_parameters == {"C": 0.25}


def test_repeated_calls_get_numbered_ids_and_explicit_ids():
    @pipeline
    def twice():
        X_train, X_test, y_train, y_test = loader()
        new_trainer(X_train=X_train, y_train=y_train, C=0.1)
        new_trainer(X_train=X_train, y_train=y_train, C=0.2)
        new_trainer(X_train=X_train, y_train=y_train, C=0.3, id="third")

    graph, _ = twice.compile()
    assert list(graph.invocations) == ["loader", "new_trainer", "new_trainer_2", "third"]
    run = twice()
    assert run.steps["new_trainer_2"].parameters == {"C": 0.2}


def test_duplicate_explicit_id_is_an_error_before_any_run():
    @pipeline
    def dup():
        loader(id="x")
        loader(id="x")

    with pytest.raises(StepInterfaceError, match="id='x'"):
        dup()
    assert Client().get_pipeline("dup") is None


def test_after_orders_and_nested_pipeline_adds_steps():
    @step
    def a() -> int:
        return 1

    @step
    def b() -> int:
        return 2

    @pipeline
    def inner():
        b(id="inner_b", after="a")

    @pipeline
    def outer():
        a()
        inner()

    graph, _ = outer.compile()
    assert graph.invocations["inner_b"].after == ("a",)
    assert outer().status == "completed"


def test_parameters_object_is_accepted():
    @pipeline
    def with_params():
        X_train, X_test, y_train, y_test = loader()
        trainer(TrainerParams(C=0.4), X_train=X_train, y_train=y_train)

    assert with_params().steps["trainer"].parameters == {"C": 0.4}


def test_with_options_configures_a_copy(run_log):
    configured = seed_like.with_options(run_name="named_{date}", enable_cache=False)
    seed_like()
    run = configured()
    assert run.name.startswith("named_2")
    assert [s.status for s in run.steps.values()] == ["completed", "completed"]
    assert any(line.startswith("Runtime configuration overwriting") for line in run_log.lines)
    assert seed_like.run_options == {}


def test_step_with_options_inside_a_pipeline():
    @pipeline
    def p():
        X_train, X_test, y_train, y_test = loader()
        new_trainer.with_options(enable_cache=False)(X_train=X_train, y_train=y_train)

    p()
    run = p()
    assert run.steps["loader"].status == "cached" and run.steps["new_trainer"].status == "completed"


def test_yaml_keyed_by_invocation_id(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("parameters:\n  C: 0.9\nsteps:\n  loader:\n    enable_cache: false\n")
    run = seed_like.with_options(config_path=str(config))()
    assert run.pipeline_parameters == {"C": 0.9}
    assert run.steps["new_trainer"].parameters == {"C": 0.9}


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: seed_like(C="not a float"), StepInterfaceError, ["C"]),
        (lambda: seed_like(D=1.0), ValueError, ["D"]),
        (lambda: seed_like(1.0, 2.0), ValueError, ["seed_like"]),
    ],
)
def test_pipeline_argument_errors(call, error, words):
    with pytest.raises(error) as err:
        call()
    assert all(w in str(err.value) for w in words)
    assert Client().get_pipeline("seed_like") is None


def test_missing_pipeline_argument():
    @pipeline
    def needs(C: float):
        X_train, X_test, y_train, y_test = loader()
        new_trainer(C=C, X_train=X_train, y_train=y_train)

    with pytest.raises(ValueError, match="`C`"):
        needs()


@pytest.mark.parametrize(
    "body, words",
    [
        ("new_trainer(X_train=X_train, y_train=y_train, C=object())", ["new_trainer", "`C`", "valid number"]),
        ("tagger(X_train=X_train, tag=object())", ["tagger", "`tag`", "JSON-serialisable"]),
        ("new_trainer(X_train=X_train, y_train=y_train, bogus=1)", ["new_trainer", "`bogus`"]),
        ("new_trainer(X_train=X_train)", ["new_trainer", "`y_train`"]),
    ],
)
def test_bad_step_calls_fail_before_any_run_record(body, words):
    namespace = {"loader": loader, "new_trainer": new_trainer, "tagger": tagger}
    exec(f"def bad():\n    X_train, X_test, y_train, y_test = loader()\n    {body}\n", namespace)
    with pytest.raises(StepInterfaceError) as err:
        pipeline(namespace["bad"])()
    assert all(w in str(err.value) for w in words), str(err.value)
    assert Client().get_pipeline("bad") is None


def test_legacy_and_function_twins_share_pipeline_versions_and_cache(run_log):
    @legacy_pipeline(name="twin")
    def twin_legacy(step_1, step_2):
        X_train, X_test, y_train, y_test = step_1()
        step_2(X_train, y_train)

    @pipeline(name="twin")
    def twin_new(C: float = 1.0):
        X_train, X_test, y_train, y_test = loader()
        trainer(TrainerParams(C=C), X_train=X_train, y_train=y_train)

    legacy_run = twin_legacy(step_1=loader(), step_2=trainer()).run()
    new_run = twin_new()
    assert [s.status for s in new_run.steps.values()] == ["cached", "cached"]
    assert "Registered new version 2 of pipeline `twin`." in run_log.lines
    view = Client().get_pipeline("twin")
    assert [r.name for r in view.runs] == [new_run.name, legacy_run.name]
    assert [v["number"] for v in view.versions] == [1, 2]
    a = legacy_run.steps["trainer"].output.load()
    b = new_run.steps["trainer"].output.load()
    assert np.array_equal(a.coef_, b.coef_)


def test_configure_and_configuration_of_a_function_pipeline():
    @pipeline(extra={"owner": "ml"})
    def p(C: float = 1.0):
        X_train, X_test, y_train, y_test = loader()
        new_trainer(C=C, X_train=X_train, y_train=y_train)

    assert p.configure(enable_cache=False, extra={"team": "a"}) is p
    configuration = p.configuration
    assert (configuration.name, configuration.enable_cache) == ("p", False)
    assert configuration.extra == {"owner": "ml", "team": "a"}
    p.configure(extra={"only": 1}, merge=False)
    assert p.configuration.extra == {"only": 1}
    assert p.compile()[0].extra == {"only": 1}


def test_with_options_sets_pipeline_options_on_the_copy_only():
    def notify() -> None:
        pass

    configured = seed_like.with_options(run_name="r_{date}", on_failure=notify)
    assert configured.configuration.on_failure is notify and seed_like.configuration.on_failure is None
    assert configured.run_options == {"run_name": "r_{date}"}
    graph, _ = configured.compile()
    assert graph.invocations["new_trainer"].on_failure.endswith("notify")
    with pytest.raises(PipelineInterfaceError, match="unexpected keyword argument `bogus`"):
        seed_like.with_options(bogus=1)
