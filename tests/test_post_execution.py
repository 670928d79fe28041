"""Reading runs back the legacy way (SPEC §9: ``framework.post_execution``, the 0.39 surface)."""

import numpy as np
import pytest

from framework import post_execution
from framework.client import Client
from framework.pipelines import pipeline
from framework.pipelines.new import pipeline as new_pipeline
from tests.seed_steps import TrainerParams, loader, new_trainer, scorer, trainer


@pipeline
def legacy(step_1, step_2, step_3):
    X_train, X_test, y_train, y_test = step_1()
    model = step_2(X_train, y_train)
    step_3(model, X_test, y_test)


def _two_runs():
    legacy(step_1=loader(), step_2=trainer(TrainerParams(C=0.5)), step_3=scorer()).run(run_name="first")
    legacy(step_1=loader(), step_2=trainer(TrainerParams(C=2.0)), step_3=scorer()).run(run_name="second")


def test_get_pipeline_by_name_keyword_class_or_instance():
    assert post_execution.get_pipeline("legacy") is None  # never ran
    _two_runs()
    instance = legacy(step_1=loader(), step_2=trainer(), step_3=scorer())
    for spelling in ("legacy", legacy, instance):
        view = post_execution.get_pipeline(spelling)
        assert view.name == "legacy" and view.num_runs == 2
    assert post_execution.get_pipeline(pipeline="legacy").name == "legacy"
    assert [p.name for p in post_execution.get_pipelines()] == ["legacy"]
    with pytest.raises(RuntimeError, match="pipeline name, a pipeline class or a pipeline instance"):
        post_execution.get_pipeline(42)


def test_runs_newest_first_steps_as_a_list_and_get_step_by_slot():
    _two_runs()
    pipe = post_execution.get_pipeline("legacy")
    latest = pipe.runs[0]
    assert [r.name for r in pipe.runs] == ["second", "first"] and latest.status == "completed"
    assert pipe.get_run("first").name == "first"
    assert isinstance(latest.steps, list) and latest.get_step_names() == ["step_1", "step_2", "step_3"]
    assert [(s.name, s.entrypoint_name) for s in latest.steps] == [
        ("step_1", "loader"), ("step_2", "trainer"), ("step_3", "scorer")]
    trainer_view = latest.get_step(step="step_2")
    assert trainer_view.parameters == {"C": 2.0} and trainer_view.is_cached is False
    assert latest.get_step(step="trainer").id == trainer_view.id  # its own name works too
    assert latest.get_step(step="step_1").is_cached is True  # loader came from the first run
    score = latest.steps[-1].output.read()
    assert isinstance(score, float) and latest.steps[-1].read() == score
    X_test = latest.get_step(step="step_1").outputs["X_test"].read()
    assert np.isclose(trainer_view.output.read().score(X_test, latest.get_step(step="step_1").outputs["y_test"]
                                                      .read()), score)
    assert set(latest.get_step(step="step_3").inputs) == {"model", "X_test", "y_test"}
    with pytest.raises(ValueError, match="3 inputs"):
        latest.get_step(step="step_3").input
    with pytest.raises(KeyError, match="step_1, step_2, step_3"):
        latest.get_step(step="nope")


def test_get_run_keyword_spelling_and_unlisted_runs():
    _two_runs()
    legacy(step_1=loader(), step_2=trainer(), step_3=scorer()).run(run_name="hidden", unlisted=True)
    assert post_execution.get_run("first").name == "first"
    assert post_execution.get_run(run_name="second").name == "second"
    assert [r.name for r in post_execution.get_unlisted_runs()] == ["hidden"]
    assert [r.name for r in Client().list_runs(unlisted=True)] == ["hidden"]
    assert [r.name for r in Client().list_runs(unlisted=False, limit=1)] == ["second"]
    assert [r.name for r in post_execution.get_pipeline("legacy").runs] == ["second", "first"]
    with pytest.raises(KeyError):
        post_execution.get_run("no_such_run")


def test_versions_narrow_the_runs():
    _two_runs()

    @pipeline(name="legacy")
    def changed(step_1, step_2, step_3):  # another wiring: a second version of the pipeline
        X_train, X_test, y_train, y_test = step_1()
        step_3(step_2(X_train, y_train), X_train, y_train)

    changed(step_1=loader(), step_2=trainer(), step_3=scorer()).run(run_name="third")
    pipe = post_execution.get_pipeline("legacy")
    assert [v.version for v in pipe.versions] == [1, 2] and pipe.version == 2
    assert [r.name for r in post_execution.get_pipeline("legacy", version=1).runs] == ["second", "first"]
    assert [r.name for r in post_execution.get_pipeline("legacy", version="2").runs] == ["third"]


def test_function_api_runs_read_the_same_way():
    @new_pipeline
    def modern(C: float = 1.0):
        X_train, X_test, y_train, y_test = loader()
        scorer(model=new_trainer(X_train=X_train, y_train=y_train, C=C), X_test=X_test, y_test=y_test)

    modern(C=0.5)
    run = post_execution.get_pipeline(modern).runs[0]
    assert run.get_step_names() == ["loader", "new_trainer", "scorer"]
    assert run.get_step(step="new_trainer").parameters == {"C": 0.5}
    assert Client().get_run(run.name).steps["new_trainer"].id == run.get_step(step="new_trainer").id


def test_client_keyword_spellings_and_active_stack(tmp_path):
    _two_runs()
    client = Client()
    assert client.get_pipeline(pipeline="legacy").name == "legacy"
    assert client.get_pipeline(legacy).name == "legacy"
    assert client.get_run(run_name="first").name == "first"
    stack = client.active_stack
    assert stack.name == "default" and stack.orchestrator.flavor == "local"
    assert stack.artifact_store.path == client.stack.artifact_store_url
    assert stack.experiment_tracker is None
    assert set(stack.components) == {"orchestrator", "artifact_store", "metadata_store"}
