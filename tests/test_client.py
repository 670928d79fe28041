"""Reading runs back (SPEC §8)."""

import numpy as np
import pytest

from framework import client as client_module
from framework.client import Client
from framework.pipelines import pipeline
from framework.pipelines.new import pipeline as new_pipeline
from tests.seed_steps import TrainerParams, loader, new_trainer, scorer, trainer


@pipeline
def legacy(step_1, step_2, step_3):
    X_train, X_test, y_train, y_test = step_1()
    model = step_2(X_train, y_train)
    step_3(model, X_test, y_test)


def test_unknown_pipeline_is_none_and_unknown_run_is_key_error(store_backend):
    assert Client().get_pipeline("never_ran") is None
    with pytest.raises(KeyError):
        Client().get_run("no_such_run")


def test_pipeline_runs_newest_first_and_last_run(backend, store_backend):
    p = legacy(step_1=loader(), step_2=trainer(TrainerParams(C=0.5)), step_3=scorer())
    p.run(run_name="one")
    p.run(run_name="two")
    view = Client().get_pipeline("legacy")
    assert [r.name for r in view.runs] == ["two", "one"]
    assert view.last_run.name == "two"
    assert [v["number"] for v in view.versions] == [1]


def test_steps_by_name_with_slot_aliases_and_outputs(backend, store_backend):
    legacy(step_1=loader(), step_2=trainer(TrainerParams(C=0.5)), step_3=scorer()).run(run_name="r")
    run = Client().get_run("r")
    assert run.status == "completed"
    assert list(run.steps) == ["loader", "trainer", "scorer"]
    assert run.steps["step_2"] is not None and run.steps["step_2"].name == "trainer"
    assert run.steps["trainer"].parameters == {"C": 0.5}
    assert run.steps["loader"].outputs["X_train"].load().shape == (30, 3)
    assert 0.0 <= run.steps["scorer"].output.load() <= 1.0
    assert run.steps["scorer"].output.read() == run.steps["scorer"].output.load()
    with pytest.raises(ValueError, match="4 outputs"):
        run.steps["loader"].output
    with pytest.raises(KeyError):
        run.steps["nope"]


def test_cached_step_links_to_original(backend, store_backend):
    p = legacy(step_1=loader(), step_2=trainer(), step_3=scorer())
    first = p.run(run_name="first")
    second = p.run(run_name="second")
    cached = second.steps["loader"]
    assert cached.is_cached and cached.status == "cached"
    assert cached.original_step_run_id == first.steps["loader"].id
    assert cached.outputs["X_train"].id == first.steps["loader"].outputs["X_train"].id
    assert np.array_equal(cached.outputs["X_test"].load(), first.steps["loader"].outputs["X_test"].load())


def test_module_level_helpers(store_backend):
    @new_pipeline
    def helpers_pipeline():
        X_train, X_test, y_train, y_test = loader()
        new_trainer(X_train=X_train, y_train=y_train)

    run = helpers_pipeline()
    assert client_module.get_pipeline("helpers_pipeline").last_run.name == run.name
    assert client_module.get_run(run.name).steps["new_trainer"].parameters == {"C": 1.0}


def test_client_follows_framework_home(monkeypatch, tmp_path):
    legacy(step_1=loader(), step_2=trainer(), step_3=scorer()).run(run_name="here")
    monkeypatch.setenv("FRAMEWORK_HOME", str(tmp_path / "elsewhere"))
    assert Client().get_pipeline("legacy") is None
