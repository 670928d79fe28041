"""Run history through the client: log_metadata and metrics, summaries, run addressing,
tags and notes (SPEC §10)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework
from framework import Client, get_step_context, log_metadata
from framework.exceptions import AmbiguousRunError, RunNotFoundError, StepContextError
from framework.pipelines.new import pipeline
from framework.steps import Output, StepContext, step


@step
def prepare(n: int = 5) -> np.ndarray:
    log_metadata({"rows": n, "source": "synthetic"})
    return np.arange(n, dtype=float)


@step
def fit(data: np.ndarray, gamma: float = 0.1) -> Output(model=dict, score=float):
    log_metadata({"loss": 1.0 - gamma, "curve": {"epoch_1": 0.5}})
    log_metadata({"auc": 0.5 + gamma}, artifact="model")
    log_metadata({"accuracy": 0.8 + gamma}, run=get_step_context().run_name)
    return {"weights": data.tolist()}, float(data.sum() * gamma)


@pipeline
def tracked(gamma: float = 0.1):
    fit(data=prepare(), gamma=gamma)


def test_metadata_logged_in_steps_is_recorded_and_summarised(backend):
    run = tracked.with_options(run_name="tracked-1")(gamma=0.2)
    assert run.steps["prepare"].metadata == {"rows": 5, "source": "synthetic"}
    assert run.steps["fit"].metadata == {"loss": 0.8, "curve": {"epoch_1": 0.5}}
    assert run.steps["fit"].output_metadata == {"model": {"auc": 0.7}}
    assert run.steps["fit"].outputs["model"].logged_metadata == {"auc": 0.7}
    assert run.metadata == {"accuracy": 1.0}
    assert run.summary == {
        "params": {"pipeline:gamma": 0.2, "prepare.n": 5, "fit.gamma": 0.2},
        "metrics": {"accuracy": 1.0, "prepare.rows": 5, "fit.score": pytest.approx(2.0), "fit.loss": 0.8,
                    "fit.curve.epoch_1": 0.5, "fit.model.auc": 0.7},
    }
    row = next(Client().query_runs())
    assert row.name == "tracked-1" and row.summary == run.summary  # listings need no steps file


def test_bad_metadata_fails_the_step_naming_the_key():
    @step
    def leaky() -> int:
        log_metadata({"score": float("nan")})
        return 1

    @pipeline
    def nan_pipeline():
        leaky()

    with pytest.raises(ValueError, match=r"metadata\.score") as info:
        nan_pipeline()
    assert "strict JSON" in str(info.value) and "leaky" in str(info.value)
    assert Client().get_run("latest").status == "failed"


def test_log_metadata_inside_a_step_targets_only_its_own_outputs_and_run():
    @step
    def wrong_output() -> int:
        log_metadata({"a": 1}, artifact="nope")
        return 1

    @step
    def other_run() -> int:
        log_metadata({"a": 1}, run="some-other-run")
        return 1

    def single(bad):
        @pipeline(name=f"p_{bad.__name__}")
        def one():
            bad()

        return one

    for bad, words in ((wrong_output, "no output `nope`"), (other_run, "can only name that run")):
        with pytest.raises(StepContextError, match=words):
            single(bad)()


def test_legacy_context_add_output_metadata():
    @step(enable_cache=False)
    def legacy_step(context: StepContext) -> Output(a=int, b=int):
        context.add_output_metadata({"rows": 3}, output_name="b")
        context.add_output_metadata({"kind": "ints"}, "a")
        return 1, 2

    @pipeline
    def ctx_pipeline():
        legacy_step()

    run = ctx_pipeline()
    assert run.steps["legacy_step"].output_metadata == {"b": {"rows": 3}, "a": {"kind": "ints"}}


def test_log_metadata_outside_a_step_needs_a_target_and_updates_the_summary():
    run = tracked.with_options(run_name="later")()
    log_metadata({"reviewed": True, "f1": 0.6}, run="later")
    log_metadata({"calibrated": 0.9}, artifact=Client().get_run("later").steps["fit"].outputs["model"])
    again = Client().get_run(run.id)
    assert again.metadata == {"accuracy": pytest.approx(0.9), "reviewed": True, "f1": 0.6}
    assert again.steps["fit"].output_metadata == {"model": {"auc": 0.6, "calibrated": 0.9}}
    assert again.summary["metrics"]["f1"] == 0.6 and again.summary["metrics"]["fit.model.calibrated"] == 0.9
    with pytest.warns(UserWarning, match="nothing was recorded"):
        log_metadata({"x": 1})
    with pytest.raises(ValueError, match="artifact view"):
        log_metadata({"x": 1}, artifact="model")
    with pytest.raises(RunNotFoundError):
        log_metadata({"x": 1}, run="no-such-run")


def test_a_step_called_directly_may_log_metadata():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert prepare()(n=2).tolist() == [0.0, 1.0]
    assert any("nothing was recorded" in str(w.message) for w in caught)


def test_log_metadata_is_exported_lazily():
    assert framework.log_metadata is log_metadata and "log_metadata" in framework.__all__


# ---------------------------------------------------------------------- addressing
@pytest.fixture
def three_runs():
    return [tracked.with_options(run_name=f"tracked-{g}")(gamma=g / 10) for g in (1, 2, 3)]


def test_a_run_is_found_by_name_id_prefix_latest_and_position(three_runs):
    first, second, third = three_runs
    client = Client()
    assert client.get_run("tracked-2").id == second.id
    assert client.get_run(second.id).name == "tracked-2"
    assert client.get_run(second.id[:10]).name == "tracked-2"  # a unique prefix of the id
    assert client.get_run("latest").name == "tracked-3"
    assert client.get_run("tracked@latest").name == "tracked-3"
    assert client.get_run("tracked@-1").name == "tracked-3"
    assert client.get_run("tracked@-3").name == "tracked-1"
    assert client.get_run(run_name="tracked-1").id == first.id  # the legacy keyword
    with pytest.raises(AmbiguousRunError) as info:
        client.get_run("tracked-")
    assert all(name in str(info.value) for name in ("tracked-1", "tracked-2", "tracked-3"))
    with pytest.raises(RunNotFoundError, match="only 3 run"):
        client.get_run("tracked@-4")
    with pytest.raises(RunNotFoundError, match="no pipeline named `nope`"):
        client.get_run("nope@latest")


def test_an_unknown_run_is_a_key_error_that_says_how_to_list_runs(three_runs):
    with pytest.raises(KeyError) as info:
        Client().get_run("nope")
    assert isinstance(info.value, RunNotFoundError)
    message = str(info.value)
    assert message.startswith("No run named `nope`") and "framework runs list" in message
    assert not message.startswith("'")  # shown as written, not as a quoted KeyError


def test_latest_in_an_empty_store():
    with pytest.raises(RunNotFoundError, match="no runs yet"):
        Client().get_run("latest")


# ---------------------------------------------------------------------- tags and notes
def test_tags_and_notes_on_runs_and_pipelines(three_runs):
    client = Client()
    assert client.tag_run("tracked-1", "baseline", "v1").tags == ["baseline", "v1"]
    client.tag_run("tracked-3", "v1")
    assert client.untag_run("tracked-1", "v1").tags == ["baseline"]
    assert [r.name for r in client.query_runs(tags=["v1"])] == ["tracked-3"]
    assert client.note_run("latest", "the best so far").notes == "the best so far"
    assert client.get_run("tracked-3").notes == "the best so far"
    pipeline = client.tag_pipeline("tracked", "prod")
    assert pipeline.tags == ["prod"] and client.note_pipeline("tracked", "digits").notes == "digits"
    assert client.get_pipeline("tracked").tags == ["prod"]
    assert client.untag_pipeline("tracked", "prod").tags == []
    with pytest.raises(ValueError, match="not a valid tag"):
        client.tag_run("tracked-1", "a,b")
    with pytest.raises(KeyError, match="No pipeline named `nope`"):
        client.tag_pipeline("nope", "x")
