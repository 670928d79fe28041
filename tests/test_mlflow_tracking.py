"""MLflow as a stack's experiment tracker, against real MLflow stores (issue 14).

Runs, params, metrics and autologged models are read back through
``mlflow.tracking.MlflowClient`` from a local SQLite store (a copy of one migrated store per
session, see ``tests/mlflow_stores.py``) and from an ``mlflow server`` on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from framework import stacks
from framework.cli import main
from framework.client import Client
from framework.pipelines.new import pipeline
from framework.steps import step
from tests.mlflow_stores import copy_store, mlflow_server, template_store

# No MLflow process of these tests calls out, and the plots autologging draws keep matplotlib's
# caches out of the user's home (subprocesses and workers inherit both).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="framework-tests-matplotlib-"))
mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402 - after the skip

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory):
    shared = tmp_path_factory.getbasetemp().parent  # one per machine user, shared by the xdist workers
    return template_store(shared / f"mlflow-{mlflow.__version__}")


@pytest.fixture(scope="session")
def tracking_server(mlflow_template, tmp_path_factory):
    with mlflow_server(mlflow_template, tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url


@pytest.fixture
def ml_stack(home, mlflow_template):
    """Stack `ml` (active): local orchestrator, MLflow tracker `mlflow_tracker` at the
    default location, <home>/mlflow.db. Returns the tracking URI."""
    copy_store(mlflow_template, home / "mlflow.db")
    stacks.register_stack("ml", experiment_tracker={"flavor": "mlflow"})
    stacks.set_active_stack("ml")
    return f"sqlite:///{home / 'mlflow.db'}"


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def runs_of(uri: str, experiment: str) -> tuple[list, list]:
    """(parent runs, nested runs) of ``experiment``, oldest first."""
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no MLflow experiment `{experiment}`"
    runs = sorted(client.search_runs([found.experiment_id]), key=lambda r: r.info.start_time)
    return ([r for r in runs if "mlflow.parentRunId" not in r.data.tags],
            [r for r in runs if "mlflow.parentRunId" in r.data.tags])


# ---------------------------------------------------------------------- steps
@step
def digits() -> np.ndarray:
    from sklearn.datasets import load_digits

    return load_digits().data[:300]


@step(experiment_tracker="mlflow_tracker")
def svc_trainer(X: np.ndarray, gamma: float = 0.001) -> float:
    """Autologging and explicit calls inside the step; the accuracy is also an output."""
    from sklearn.datasets import load_digits
    from sklearn.svm import SVC

    mlflow.sklearn.autolog(log_input_examples=False, silent=True)
    y = load_digits().target[:300]
    model = SVC(gamma=gamma).fit(X, y)
    mlflow.log_metric("support_vectors", float(model.n_support_.sum()))
    return float(model.score(X, y))


@step
def untracked(accuracy: float) -> float:
    return accuracy


@pipeline
def mlflow_digits(gamma: float = 0.001):
    X = digits()
    accuracy = svc_trainer(X, gamma=gamma)
    untracked(accuracy)


# ---------------------------------------------------------------------- the stack component
def test_register_describe_and_print_the_tracking_uri_from_the_command_line(home):
    out = cli("stack", "register", "ml", "--experiment-tracker", "mlflow")
    assert "Experiment tracker `mlflow_tracker` (mlflow)" in out and 'experiment_tracker="mlflow_tracker"' in out
    saved = yaml.safe_load((home / "stacks.yaml").read_text())
    assert saved["stacks"]["ml"]["experiment_tracker"] == {"name": "mlflow_tracker", "flavor": "mlflow"}
    assert cli("stack", "tracking-uri", "ml").strip() == f"sqlite:///{home / 'mlflow.db'}"
    described = cli("stack", "describe", "ml")
    assert "experiment tracker" in described and "mlflow_tracker (mlflow)" in described

    cli("stack", "register", "remote", "--experiment-tracker", "mlflow", "--tracker-name", "team_tracker",
        "--tracking-uri", "http://127.0.0.1:5000")
    assert stacks.get_stack("remote").experiment_tracker == {
        "name": "team_tracker", "flavor": "mlflow", "tracking_uri": "http://127.0.0.1:5000"}
    assert "has no experiment tracker" in cli("stack", "tracking-uri", "default", code=1)
    assert "need --experiment-tracker" in cli("stack", "register", "x", "--tracking-uri", "sqlite:///a.db", code=2)


def test_tracker_entries_are_checked_at_registration(home):
    with pytest.raises(stacks.StackError, match="not one MLflow opens.*sqlite:///"):
        stacks.register_stack("bad", experiment_tracker={"flavor": "mlflow", "tracking_uri": "mlruns.db"})
    with pytest.raises(stacks.StackError, match="holds a password.*MLFLOW_TRACKING_PASSWORD"):
        stacks.register_stack("bad", experiment_tracker={"flavor": "mlflow",
                                                         "tracking_uri": "https://me:secret@mlflow.example"})
    with pytest.raises(stacks.StackError, match="unknown experiment tracker flavor `wandb`"):
        stacks.register_stack("bad", experiment_tracker={"flavor": "wandb"})
    assert not (home / "stacks.yaml").exists()


def test_the_legacy_surface_reads_the_active_stacks_tracker(ml_stack):
    from framework.integrations.mlflow.experiment_trackers import MLFlowExperimentTracker
    from framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
        MLFlowExperimentTrackerSettings,
    )
    from framework.integrations.mlflow.mlflow_utils import get_tracking_uri

    tracker = Client().active_stack.experiment_tracker
    assert isinstance(tracker, MLFlowExperimentTracker)
    assert (tracker.name, tracker.flavor) == ("mlflow_tracker", "mlflow")
    assert tracker.get_tracking_uri() == get_tracking_uri() == tracker.config.tracking_uri == ml_stack
    assert Client().active_stack.components["experiment_tracker"] is not None
    assert MLFlowExperimentTrackerSettings(nested=False, tags={"a": 1}).nested is False
    with pytest.raises(Exception, match="experiment_nam"):
        MLFlowExperimentTrackerSettings(experiment_nam="typo")

    stacks.set_active_stack("default")
    assert Client().active_stack.experiment_tracker is None
    with pytest.raises(ValueError, match="framework stack register ml --experiment-tracker mlflow"):
        get_tracking_uri()


def test_importing_the_framework_and_the_integration_does_not_import_mlflow():
    code = ("import sys, framework, framework.steps, framework.pipelines.new, framework.client\n"
            "import framework.integrations.mlflow.mlflow_utils, framework.integrations.mlflow.experiment_trackers\n"
            "import framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor\n"
            "import framework.orchestrators.step_runner, framework.experiment_tracking\n"
            "print(sorted(m for m in sys.modules if m == 'mlflow' or m.startswith('mlflow.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------- before the run
def test_a_step_naming_a_tracker_the_stack_lacks_fails_before_anything_is_written(home):
    from framework.integrations.trackers import ExperimentTrackerError

    with pytest.raises(ExperimentTrackerError) as raised:
        mlflow_digits()
    message = str(raised.value)
    assert "Step `svc_trainer` logs to experiment tracker `mlflow_tracker`" in message
    assert "`default` has no experiment tracker" in message
    assert "framework stack register ml --experiment-tracker mlflow" in message and "framework stack set ml" in message
    assert not (home / "metadata").exists() and not (home / "artifacts").exists()

    stacks.register_stack("ml", experiment_tracker={"flavor": "mlflow"})
    with pytest.raises(ExperimentTrackerError, match="Stack `ml` has it: `framework stack set ml`"):
        mlflow_digits()
    stacks.register_stack("other", experiment_tracker={"flavor": "mlflow", "name": "team"})
    stacks.set_active_stack("other")
    with pytest.raises(ExperimentTrackerError, match="`other` has the tracker `team` .*Stack `ml` has it"):
        mlflow_digits()
    assert not (home / "metadata").exists() and not (home / "mlflow.db").exists()


# ---------------------------------------------------------------------- runs in a local store
def test_a_tracked_step_runs_inside_a_nested_mlflow_run_of_the_pipeline_run(ml_stack, monkeypatch):
    run = mlflow_digits(gamma=0.002)
    assert run.status == "completed"
    parents, nested = runs_of(ml_stack, "mlflow_digits")
    assert len(parents) == 1 and len(nested) == 1  # the untracked steps got no MLflow run
    parent, child = parents[0], nested[0]

    assert parent.info.run_name == run.name and parent.info.status == "FINISHED"
    assert parent.data.tags["framework.pipeline"] == "mlflow_digits"
    assert parent.data.tags["framework.run_id"] == run.id
    assert parent.data.tags["framework.version"] == "1"
    assert parent.data.tags["framework.param.gamma"] == "0.002"  # the pipeline's argument

    assert child.info.run_name == "svc_trainer" and child.info.status == "FINISHED"
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.tags["framework.step"] == "svc_trainer"
    assert child.data.tags["framework.run"] == run.name
    assert child.data.tags["framework.param.gamma"] == "0.002"
    assert child.data.tags["mlflow.source.name"] == parent.data.tags["mlflow.source.name"]  # the caller's context
    accuracy = run.steps["svc_trainer"].output.load()
    metrics = child.data.metrics
    assert metrics["output"] == pytest.approx(accuracy)  # the numeric output, mirrored
    assert metrics["training_accuracy_score"] > 0.9  # autologging
    assert metrics["support_vectors"] > 0  # mlflow.log_metric inside the step
    assert child.data.params["gamma"] == "0.002"  # autologged estimator parameters

    # the process is left as it was: tracking URI, autologging
    from framework.integrations.mlflow.step_run import enabled_autologging

    assert mlflow.get_tracking_uri() != ml_stack and "sklearn" not in enabled_autologging()

    monkeypatch.setenv("MLFLOW_TRACKING_URI", ml_stack)  # for models:/ and runs:/ URIs
    client = MlflowClient(ml_stack)
    if hasattr(client, "search_logged_models"):  # MLflow 3: autologged models are logged models of the run
        models = client.search_logged_models(experiment_ids=[child.info.experiment_id])
        assert [m.source_run_id for m in models] == [child.info.run_id]
        model = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    else:
        model = mlflow.sklearn.load_model(f"runs:/{child.info.run_id}/model")
    assert model.predict(run.steps["digits"].output.load()[:3]).shape == (3,)

    metadata = run.steps["svc_trainer"].run_metadata
    assert metadata["mlflow_run_id"] == child.info.run_id
    assert metadata["mlflow_parent_run_id"] == parent.info.run_id
    assert metadata["mlflow_tracking_uri"] == ml_stack
    assert metadata["experiment_tracker_url"] == (
        f"http://127.0.0.1:5000/#/experiments/{child.info.experiment_id}/runs/{child.info.run_id}")
    assert run.steps["digits"].run_metadata == {}
    assert metadata["experiment_tracker_url"] in cli("runs", "show", run.name)
    tracker = Client().active_stack.experiment_tracker
    assert tracker.get_run_id("mlflow_digits", run.name) == parent.info.run_id  # ZenML's lookup
    _the_dashboard_shows_the_link(run.name, metadata["experiment_tracker_url"])


def _the_dashboard_shows_the_link(run_name: str, url: str) -> None:
    """The step's page (and its API) list the step's metadata, the MLflow link among it."""
    import warnings
    from urllib.parse import quote

    pytest.importorskip("fastapi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from framework.dashboard import create_app

    web = TestClient(create_app(Client()))
    page = f"/runs/{quote(run_name, safe='')}/steps/svc_trainer"
    listed = {entry["key"]: entry for entry in web.get(f"/api{page}").json()["metadata"]}
    assert listed["experiment_tracker_url"]["text"] == url or listed["experiment_tracker_url"]["cut"]
    html = web.get(page).text
    assert "experiment_tracker_url" in html and url.split("#")[0] in html


def test_each_run_gets_its_own_mlflow_run_and_a_cached_step_none(ml_stack):
    first = mlflow_digits(gamma=0.002)
    second = mlflow_digits(gamma=0.002)  # everything cached
    third = mlflow_digits(gamma=0.003)
    assert second.steps["svc_trainer"].is_cached
    parents, nested = runs_of(ml_stack, "mlflow_digits")
    assert [p.info.run_name for p in parents] == [first.name, third.name]  # a wholly cached run: none
    assert [n.data.tags["framework.run"] for n in nested] == [first.name, third.name]
    assert {n.data.tags["mlflow.parentRunId"] for n in nested} == {p.info.run_id for p in parents}


@step(experiment_tracker="mlflow_tracker", enable_cache=False)
def failing_trainer(X: np.ndarray) -> float:
    mlflow.log_metric("before_failure", 1.0)
    raise RuntimeError("diverged")


@pipeline
def failing_pipeline():
    failing_trainer(digits())


def test_a_failed_step_fails_its_mlflow_run_and_the_runs(ml_stack):
    with pytest.raises(RuntimeError, match="diverged"):
        failing_pipeline()
    parents, nested = runs_of(ml_stack, "failing_pipeline")
    assert parents[0].info.status == "FAILED" and nested[0].info.status == "FAILED"
    assert nested[0].data.metrics == {"before_failure": 1.0}
    record = Client().get_pipeline("failing_pipeline").last_run.steps["failing_trainer"]
    assert record.status == "failed" and record.run_metadata["mlflow_run_id"] == nested[0].info.run_id


@step(enable_cache=False)
def mirrored(x: int = 3) -> float:
    from framework.experiment_tracking import mirror_metrics

    mirror_metrics({"auc": 0.75, "label": "not a number", "flag": True})  # what log_metadata will call
    return x / 2


def test_settings_options_and_the_mirroring_hook(ml_stack):
    from framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
        MLFlowExperimentTrackerSettings,
    )

    configured_instance = mirrored(name="configured_step").configure(experiment_tracker="mlflow_tracker")

    @pipeline(settings={"experiment_tracker.mlflow": {"tags": {"team": "vision"}}})
    def configured():
        mirrored.with_options(experiment_tracker="mlflow_tracker", settings={
            "experiment_tracker.mlflow": MLFlowExperimentTrackerSettings(experiment_name="custom-exp",
                                                                         tags={"stage": "dev"})})(x=3)
        mirrored.with_options(experiment_tracker="mlflow_tracker",
                              settings={"experiment_tracker.mlflow": {"nested": False,
                                                                      "experiment_name": "custom-exp"}})(x=5, id="flat")
        mirrored(x=7)  # untracked: mirror_metrics is a no-op
        configured_instance(x=9)

    run = configured()
    [instance_run] = runs_of(ml_stack, "configured")[1]  # .configure(experiment_tracker=...): the pipeline's experiment
    assert instance_run.info.run_name == "configured_step" and instance_run.data.metrics["output"] == 4.5
    parents, nested = runs_of(ml_stack, "custom-exp")
    assert len(parents) == 1 and len(nested) == 1
    parent, child = parents[0], nested[0]
    assert parent.data.tags["team"] == "vision" and "stage" not in parent.data.tags
    assert child.data.tags["team"] == "vision" and child.data.tags["stage"] == "dev"
    assert child.data.metrics == {"auc": 0.75, "output": 1.5}
    assert parent.data.metrics == {"auc": 0.75, "output": 2.5}  # nested=False: the step logs into the run's run
    assert run.steps["flat"].run_metadata["mlflow_run_id"] == parent.info.run_id
    assert "mlflow_parent_run_id" not in run.steps["flat"].run_metadata
    assert run.steps["mirrored_2"].run_metadata == {}

    with pytest.raises(Exception, match="nested"):
        mirrored().configure(settings={"experiment_tracker.mlflow": {"nested": "sometimes"}})


@step(experiment_tracker="mlflow_tracker", enable_cache=False)
def sleeper(seconds: float = 0.3) -> float:
    import threading
    import time

    mlflow.log_param("thread", threading.current_thread().name)
    time.sleep(seconds)
    return seconds


@pipeline
def side_by_side():
    sleeper(seconds=0.3)
    sleeper(seconds=0.31)


@pytest.mark.parametrize("orchestrator", ["local-threads", "dask-in-process"])
def test_steps_running_side_by_side_get_one_nested_run_each(home, mlflow_template, orchestrator, request):
    copy_store(mlflow_template, home / "mlflow.db")
    if orchestrator == "local-threads":
        stacks.register_stack("ml", orchestrator="local", orchestrator_options={"max_workers": 2},
                              experiment_tracker={"flavor": "mlflow"})
    else:
        client = request.getfixturevalue("dask_client")
        stacks.register_stack("ml", orchestrator="dask", experiment_tracker={"flavor": "mlflow"},
                              orchestrator_options={"scheduler": client.scheduler.address})
    stacks.set_active_stack("ml")
    run = side_by_side()
    parents, nested = runs_of(f"sqlite:///{home / 'mlflow.db'}", "side_by_side")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert sorted(n.info.run_name for n in nested) == ["sleeper", "sleeper_2"]
    assert all(n.info.status == "FINISHED" for n in nested)
    assert {n.data.metrics["output"] for n in nested} == {0.3, 0.31}
    assert {run.steps[k].run_metadata["mlflow_run_id"] for k in ("sleeper", "sleeper_2")} == {
        n.info.run_id for n in nested}


# ---------------------------------------------------------------------- a tracking server
def test_a_remote_tracking_server_works_the_same(home, tracking_server):
    stacks.register_stack("remote", experiment_tracker={"flavor": "mlflow", "tracking_uri": tracking_server})
    stacks.set_active_stack("remote")
    run = mlflow_digits(gamma=0.002)
    parents, nested = runs_of(tracking_server, "mlflow_digits")
    parent = next(p for p in parents if p.data.tags["framework.run_id"] == run.id)
    child = next(n for n in nested if n.data.tags["mlflow.parentRunId"] == parent.info.run_id)
    assert child.data.metrics["training_accuracy_score"] > 0.9 and child.data.params["gamma"] == "0.002"
    assert child.data.metrics["output"] == pytest.approx(run.steps["svc_trainer"].output.load())
    assert run.steps["svc_trainer"].run_metadata["experiment_tracker_url"] == (
        f"{tracking_server}/#/experiments/{child.info.experiment_id}/runs/{child.info.run_id}")
    assert MlflowClient(tracking_server).list_artifacts(child.info.run_id)  # uploaded through the server
    assert not (home / "mlflow.db").exists()


# ---------------------------------------------------------------------- scripts in their own processes
DASK_SCRIPT = '''
import mlflow
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from framework import pipeline, step

mlflow.sklearn.autolog(silent=True)  # at module level: the workers never run this line


@step
def loader() -> np.ndarray:
    return load_digits().data[:200]


@step(experiment_tracker="mlflow_tracker")
def trainer(X: np.ndarray, C: float = 0.5) -> float:
    import os

    y = load_digits().target[:200]
    model = LogisticRegression(C=C, max_iter=200).fit(X, y)
    mlflow.log_metric("worker_pid", os.getpid())
    return float(model.score(X, y))


@pipeline
def dask_tracked(C: float = 0.5):
    trainer(loader(), C=C)


run = dask_tracked(C=0.25)
import os
print("parent", os.getpid(), run.status)
'''


def test_worker_processes_of_a_dask_stack_log_to_the_stacks_tracker(home, tmp_path, mlflow_template):
    """Everything the tracker needs travels in the task: the worker, a fresh interpreter that
    never ran the script, sets the tracking URI, the parent run and the script's autologging."""
    copy_store(mlflow_template, home / "mlflow.db")
    stacks.register_stack("procs", orchestrator="dask", orchestrator_options={"max_workers": 1},
                          experiment_tracker={"flavor": "mlflow"})
    script = tmp_path / "dask_tracked.py"
    script.write_text(DASK_SCRIPT)
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "FRAMEWORK_STACK": "procs"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    parent_pid = int(proc.stdout.split("parent ")[1].split()[0])
    parents, nested = runs_of(f"sqlite:///{home / 'mlflow.db'}", "dask_tracked")
    assert len(parents) == 1 and len(nested) == 1 and nested[0].info.status == "FINISHED"
    metrics = nested[0].data.metrics
    assert metrics["worker_pid"] != parent_pid  # it ran on the worker
    assert metrics["training_score"] > 0.9  # autologging, switched on by the script, on the worker
    assert nested[0].data.params["C"] == "0.25"
    assert nested[0].data.tags["mlflow.source.name"].endswith("dask_tracked.py")
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


LEGACY_SCRIPT = HERE / "mlflow_scripts" / "digits_autolog_legacy.py"


def test_a_legacy_mlflow_script_runs_with_only_its_imports_changed_and_migrates(home, tmp_path, mlflow_template):
    """A ZenML-era script (tracker by name from the active stack, autologging, the
    experiment tracker settings, ``get_tracking_uri()``) runs as it is, and ``framework
    migrate`` keeps every tracker spelling so the function-API form logs the same way."""
    copy_store(mlflow_template, home / "mlflow.db")
    stacks.register_stack("ml", experiment_tracker={"flavor": "mlflow"})
    stacks.set_active_stack("ml")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    env = {**os.environ, "FRAMEWORK_HOME": str(home)}
    env.pop("FRAMEWORK_STACK", None)

    def run(script: Path) -> str:
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                              timeout=600, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc.stdout

    out = run(LEGACY_SCRIPT)
    assert f"mlflow ui --backend-store-uri '{uri}'" in out
    migrated = tmp_path / "digits_autolog_migrated.py"
    migrated.write_text(LEGACY_SCRIPT.read_text())
    subprocess.run([sys.executable, "-m", "framework", "migrate", "--write", str(migrated)], check=True,
                   capture_output=True, text=True, env=env)
    code = migrated.read_text()
    assert "TODO(migrate)" not in code and "experiment_tracker=experiment_tracker.name" in code
    assert "framework.pipelines.new" in code or "from framework import" in code
    run(migrated)

    parents, nested = runs_of(uri, "mlflow_example_pipeline")
    assert len(parents) == 2 and all(p.info.status == "FINISHED" for p in parents)
    for parent in parents:  # the legacy run and the migrated one log alike
        children = [n for n in nested if n.data.tags["mlflow.parentRunId"] == parent.info.run_id]
        assert sorted(c.info.run_name for c in children) == ["evaluator", "trainer"]
        trainer = next(c for c in children if c.info.run_name == "trainer")
        evaluator = next(c for c in children if c.info.run_name == "evaluator")
        assert trainer.data.params["gamma"] == "0.001" and trainer.data.metrics["training_accuracy_score"] > 0.9
        assert trainer.data.tags["project"] == "digits"  # MLFlowExperimentTrackerSettings(tags=...)
        assert 0.8 < evaluator.data.metrics["test_accuracy"] <= 1.0


LEGACY_TRACKED = """\
import mlflow
from framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
    MLFlowExperimentTrackerSettings,
)
from framework.integrations.mlflow.mlflow_utils import get_tracking_uri
from framework.pipelines import pipeline
from framework.steps import BaseParameters, step


class Params(BaseParameters):
    gamma: float = 0.001


@step(experiment_tracker="mlflow_tracker",
      settings={"experiment_tracker.mlflow": MLFlowExperimentTrackerSettings(nested=True)})
def trainer(params: Params) -> float:
    mlflow.log_param("gamma", params.gamma)
    return params.gamma


@step
def evaluator(value: float) -> float:
    return value


@pipeline
def tracked(trainer, evaluator):
    evaluator(trainer())


tracked(trainer=trainer(Params(gamma=0.01)), evaluator=evaluator()).run()
print(get_tracking_uri())
"""


def test_the_codemod_keeps_the_tracker_keyword_its_settings_and_the_integrations_imports():
    import ast

    from framework.migrate import migrate_source

    result = migrate_source(LEGACY_TRACKED)
    ast.parse(result.code)
    assert result.todos == [], result.todos
    assert '@step(experiment_tracker="mlflow_tracker",' in result.code
    assert '"experiment_tracker.mlflow": MLFlowExperimentTrackerSettings(nested=True)' in result.code
    assert "from framework.integrations.mlflow.mlflow_utils import get_tracking_uri" in result.code
    assert "from framework.pipelines.new import pipeline" in result.code and ".run()" not in result.code


def test_the_codemod_moves_a_slots_configured_tracker_into_with_options():
    from framework.migrate import migrate_source

    source = LEGACY_TRACKED.replace("evaluator=evaluator()",
                                    'evaluator=evaluator().configure(experiment_tracker="mlflow_tracker")')
    result = migrate_source(source)
    assert result.todos == []
    assert 'evaluator.with_options(experiment_tracker="mlflow_tracker")' in result.code


@step(experiment_tracker="mlflow_tracker", enable_cache=False)
def ends_its_own_run(x: int = 1) -> int:
    mlflow.log_metric("x", x)
    mlflow.end_run()  # code written for plain MLflow may do this
    return x


@pipeline
def inside_a_users_run():
    mirrored.with_options(experiment_tracker="mlflow_tracker")(x=2)
    ends_its_own_run()


def test_a_run_the_caller_opened_around_the_pipeline_stays_open_and_untouched(ml_stack, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", ml_stack)
    with mlflow.start_run(run_name="notebook") as outer:
        inside_a_users_run()
        assert mlflow.active_run().info.run_id == outer.info.run_id
        mlflow.log_metric("after", 1.0)
    parents, nested = runs_of(ml_stack, "inside_a_users_run")
    assert sorted(n.info.run_name for n in nested) == ["ends_its_own_run", "mirrored"]
    assert {n.data.tags["mlflow.parentRunId"] for n in nested} == {parents[0].info.run_id}
    assert all(n.info.status == "FINISHED" for n in nested)
    mine = MlflowClient(ml_stack).get_run(outer.info.run_id)
    assert mine.info.status == "FINISHED" and mine.data.metrics == {"after": 1.0}


@step(experiment_tracker="mlflow_tracker", enable_cache=False)
def logging_trainer() -> int:
    from framework import log_metadata

    log_metadata({"accuracy": 0.875, "note": "text is not a metric"})
    return 7


@pipeline
def logging_pipeline():
    logging_trainer()


def test_log_metadata_in_a_tracked_step_mirrors_its_numbers_and_keeps_the_tracker_link(ml_stack):
    logging_pipeline()
    _parents, nested = runs_of(ml_stack, "logging_pipeline")
    assert nested[0].data.metrics == {"accuracy": 0.875, "output": 7.0}
    record = Client().get_pipeline("logging_pipeline").last_run.steps["logging_trainer"]
    assert record.metadata["accuracy"] == 0.875 and record.metadata["note"] == "text is not a metric"
    assert record.metadata["mlflow_run_id"] == nested[0].info.run_id  # the link and the logged values, side by side
