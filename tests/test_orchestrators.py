"""Orchestrators: local threads and Dask run the one scheduling loop; parallelism, settings
and every way a cluster can fail (unreachable, unserialisable step, dying worker)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

from framework import stacks
from framework.client import Client
from framework.exceptions import OrchestratorError
from framework.orchestrators.dask import DaskOrchestrator, check_serialisable
from framework.pipelines.new import pipeline
from framework.settings import DaskOrchestratorSettings
from framework.steps import Output, step
from tests.seed_steps import CALLS, loader, new_trainer


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


def use_stack(monkeypatch, name="test-stack", url=None, **fields):
    base = stacks.default_stack()
    stack = stacks.Stack(name, base.home, url or base.artifact_store_url, base.metadata_root, **fields)
    monkeypatch.setattr(stacks, "active_stack", lambda: stack)
    return stack


@step(enable_cache=False)
def nap(seconds: float = 0.4) -> Output(start=float, end=float):
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


@pipeline
def two_naps():
    nap(id="nap_a")
    nap(id="nap_b")


@pipeline
def three_naps():
    nap(seconds=0.05, id="first")
    nap(seconds=0.05, id="second")
    nap(seconds=0.05, id="third")


def _span(run, step_id):
    outputs = run.steps[step_id].outputs
    return outputs["start"].load(), outputs["end"].load()


def _overlap(run, a, b):
    (a0, a1), (b0, b1) = _span(run, a), _span(run, b)
    return a0 < b1 and b0 < a1


@pipeline
def seed_like(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    new_trainer(C=C, X_train=X_train, y_train=y_train)


# ---------------------------------------------------------------------- local orchestrator
def test_local_with_one_worker_runs_steps_one_after_another_in_order(monkeypatch):
    use_stack(monkeypatch, orchestrator_options={"max_workers": 1})
    run = three_naps()
    spans = [_span(run, s) for s in ("first", "second", "third")]
    assert list(run.steps) == ["first", "second", "third"]
    assert spans[0][1] <= spans[1][0] and spans[1][1] <= spans[2][0]


def test_local_with_two_workers_overlaps_independent_steps(monkeypatch):
    use_stack(monkeypatch, orchestrator_options={"max_workers": 2})
    assert _overlap(two_naps(), "nap_a", "nap_b")


def test_local_max_workers_from_pipeline_settings_beats_the_stack(monkeypatch):
    use_stack(monkeypatch, orchestrator_options={"max_workers": 2})
    run = two_naps.with_options(settings={"orchestrator.local": {"max_workers": 1}})()
    assert not _overlap(run, "nap_a", "nap_b")


# ---------------------------------------------------------------------- dask: runs like local
def test_dask_runs_independent_steps_in_parallel(monkeypatch, dask_client):
    use_stack(monkeypatch, orchestrator="dask", orchestrator_options={"scheduler": dask_client})
    run = two_naps()
    assert run.status == "completed" and _overlap(run, "nap_a", "nap_b")


def test_dask_stack_logs_records_and_caches_like_the_default_stack(monkeypatch, dask_client, run_log):
    use_stack(monkeypatch, name="cluster", orchestrator="dask", orchestrator_options={"scheduler": dask_client})
    first = seed_like(C=0.5)
    assert "Using stack `cluster` to run pipeline `seed_like`..." in run_log.lines
    second = seed_like(C=0.5)
    assert [s.status for s in second.steps.values()] == ["cached", "cached"]
    assert second.steps["loader"].original_step_run_id == first.steps["loader"].id
    assert Client().get_run(first.name).stack == "cluster"
    assert first.steps["loader"].outputs["y_test"].load().shape == (10,)


def test_dask_cluster_made_for_the_run_is_closed_after_it(monkeypatch):
    """No scheduler given: a LocalCluster starts with the first submitted step and closes
    with the run; a run served wholly from the cache starts none."""
    distributed = pytest.importorskip("distributed")
    made = []
    real = distributed.LocalCluster

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(distributed, "LocalCluster", spy)
    use_stack(monkeypatch, url=f"memory://dask-own-cluster-{os.getpid()}", orchestrator="dask",
              orchestrator_options={"max_workers": 2, "processes": False})
    assert seed_like(C=0.3).status == "completed"
    assert len(made) == 1 and made[0].status.name == "closed"
    assert [s.status for s in seed_like(C=0.3).steps.values()] == ["cached", "cached"]
    assert len(made) == 1


def test_dask_settings_merge_step_over_pipeline_and_reject_unknown_keys():
    assert DaskOrchestratorSettings(resources={"GPU": 1}).resources == {"GPU": 1.0}
    with pytest.raises(ValueError, match="valid keys are: .*orchestrator.dask"):
        @step(settings={"orchestrator.dusk": {}})
        def typo() -> int:
            return 1
    with pytest.raises(ValueError, match="orchestrator.dask"):
        @step(settings={"orchestrator.dask": {"resorces": {"GPU": 1}}})
        def typo2() -> int:
            return 1


@step(settings={"orchestrator.dask": DaskOrchestratorSettings(resources={"GPU": 1})})
def where_am_i() -> str:
    from distributed import get_worker

    return get_worker().address


@pipeline
def gpu_pipeline():
    where_am_i()
    where_am_i(id="again")


def test_dask_resources_send_a_step_to_a_worker_that_has_them(monkeypatch, home):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        gpu_worker = client.sync(distributed.Worker, cluster.scheduler_address, resources={"GPU": 1},
                                 nthreads=1)
        try:
            use_stack(monkeypatch, orchestrator="dask", orchestrator_options={"scheduler": client})
            run = gpu_pipeline()
            assert run.steps["where_am_i"].output.load() == gpu_worker.address
            assert run.steps["again"].output.load() == gpu_worker.address
            # the pipeline-level value applies to every step; a step's own value wins key by key
            with pytest.raises(OrchestratorError, match=r"Step `(where_am_i|again)` asks for Dask "
                                                          r"resources \{'GPU': 1.0, 'TPU': 2.0\}"):
                gpu_pipeline.with_options(settings={"orchestrator.dask": {"resources": {"TPU": 2}}},
                                          run_name="no_tpu", enable_cache=False)()
            failed = Client().get_run("no_tpu")
            assert failed.status == "failed" and failed.steps["where_am_i"].status == "failed"
            assert "GPU=1" in failed.steps["where_am_i"].error
        finally:
            client.sync(gpu_worker.close)


class _Done:
    def __init__(self, value):
        self.value = value

    def add_done_callback(self, callback):
        callback(self)

    def result(self):
        return self.value


class RecordingClient:
    """Runs each submission at once and remembers what Dask was asked for."""

    def __init__(self):
        self.asked = {}

    def scheduler_info(self):
        return {"workers": {"inproc://w": {"resources": {"GPU": 8, "TPU": 8, "CPU": 8}}}}

    def submit(self, fn, *args, key, pure, resources, priority):
        self.asked[args[1].invocation_id] = (resources, priority)
        return _Done(fn(*args))


@step(enable_cache=False, settings={"orchestrator.dask": {"resources": {"GPU": 1}}})
def gpu_step() -> int:
    return 1


@pipeline
def settings_pipeline():
    gpu_step(id="a")
    gpu_step(id="b")
    gpu_step.with_options(settings={"orchestrator.dask": {"priority": 9}})(id="c")


def test_dask_settings_precedence_step_over_pipeline_over_nothing(monkeypatch, tmp_path):
    client = RecordingClient()
    monkeypatch.setattr(DaskOrchestrator, "_connector", lambda self, cleanup: lambda: client)
    use_stack(monkeypatch, orchestrator="dask")
    config = tmp_path / "run.yaml"
    config.write_text("settings:\n  orchestrator.dask: {priority: 2}\n"
                      "steps:\n  b:\n    settings:\n      orchestrator.dask: {resources: {TPU: 1}}\n")
    settings_pipeline.with_options(config_path=str(config),
                                   settings={"orchestrator.dask": {"resources": {"GPU": 4, "CPU": 2}}})()
    assert client.asked["a"] == ({"CPU": 2.0, "GPU": 1.0}, 2)  # step GPU wins, pipeline CPU merges in
    assert client.asked["b"] == ({"CPU": 2.0, "GPU": 1.0, "TPU": 1.0}, 2)  # the YAML step entry adds TPU
    assert client.asked["c"] == ({"CPU": 2.0, "GPU": 1.0}, 9)  # with_options on the step


# ---------------------------------------------------------------------- dask: failures
def test_unreachable_scheduler_fails_within_the_connect_timeout(monkeypatch, home):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    use_stack(monkeypatch, orchestrator="dask",
              orchestrator_options={"scheduler": address, "connect_timeout": 1.5})
    start = time.perf_counter()
    with pytest.raises(OrchestratorError, match="Could not reach the Dask scheduler at tcp://127.0.0.1"):
        seed_like.with_options(run_name="unreachable")()
    assert time.perf_counter() - start < 10
    run = Client().get_run("unreachable")
    assert run.status == "failed" and "Could not reach" in run.error
    assert list(run.steps) == [] and CALLS == []


class Connection(BaseModel):
    """A parameter whose JSON form is fine but which holds a lock: it cannot travel to a worker."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    url: str = "db://x"
    _lock: Any = PrivateAttr(default_factory=threading.Lock)


@step
def query(conn: Connection) -> str:
    return conn.url


def test_unserialisable_parameter_fails_before_submission_naming_step_and_parameter(monkeypatch, dask_client):
    use_stack(monkeypatch, orchestrator="dask", orchestrator_options={"scheduler": dask_client})

    @pipeline
    def uses_connection():
        loader()
        query(conn=Connection())

    with pytest.raises(OrchestratorError, match=r"Step `query` cannot be sent to the Dask cluster: "
                                                r"parameter `conn` cannot be serialised"):
        uses_connection.with_options(run_name="unpicklable")()
    run = Client().get_run("unpicklable")
    assert run.status == "failed" and list(run.steps) == []  # nothing ran, nothing half-recorded
    assert CALLS == []


def test_unserialisable_step_function_is_named():
    lock = threading.Lock()

    @step
    def holds_lock() -> bool:
        return lock.locked()

    with pytest.raises(OrchestratorError, match="Step `holds_lock` .* the step function"):
        check_serialisable("holds_lock", holds_lock(), {})


def test_dask_is_imported_only_when_a_dask_run_starts():
    import subprocess
    import sys

    code = ("import sys, framework, framework.stacks, framework.orchestrators.dask, framework.settings\n"
            "print([m for m in ('dask', 'distributed') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@step
def sudden_death(X_train: Any) -> int:
    os._exit(3)  # the worker process dies mid-step


@pipeline
def dies():
    X_train, X_test, y_train, y_test = loader()
    sudden_death(X_train)
    new_trainer(X_train=X_train, y_train=y_train)


def test_worker_processes_with_s3_artifacts_and_a_worker_that_dies(monkeypatch, s3_server, s3_url):
    """One real multi-process cluster (started once here, as it costs seconds): the seed-like
    pipeline with artifacts on S3, then a step that kills its worker."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            use_stack(monkeypatch, name="procs", url=s3_url, artifact_store_options=s3_server,
                      orchestrator="dask", orchestrator_options={"scheduler": client})
            first = seed_like(C=0.5)
            assert CALLS == []  # the steps ran in the worker processes
            second = seed_like(C=0.5)
            assert [s.status for s in second.steps.values()] == ["cached", "cached"]
            assert first.steps["new_trainer"].output.load().get_params()["C"] == 0.5

            with pytest.raises(OrchestratorError, match="Step `sudden_death` failed: the Dask worker running it died"):
                dies.with_options(run_name="died")()
            run = Client().get_run("died")
            assert run.status == "failed" and "sudden_death" in run.error
            assert run.steps["sudden_death"].status == "failed"
            assert "KilledWorker" in run.steps["sudden_death"].error
            assert run.steps["loader"].status == "cached"
            assert run.steps["new_trainer"].status in {"cached", "completed"}  # independent: still runs
            assert "running" not in {s.status for s in run.steps.values()}
    finally:
        cluster.close()


def test_memory_store_with_worker_processes_is_refused():
    from framework.orchestrators.dask import DaskStepExecutor

    class FakeClient:  # a cluster whose workers are other processes
        def scheduler_info(self):
            return {"workers": {"tcp://10.0.0.1:4000": {}}}

    executor = DaskStepExecutor(FakeClient, seed_like.compile()[0])
    with pytest.raises(OrchestratorError, match="memory.*processes=False"):
        executor._check_store("memory://x")
    executor._check_store("s3://bucket/x")  # shared stores are fine


def test_dask_example_runs_the_unchanged_seed_pipeline(home):
    """examples/dask_pipeline.py; its stack is registered beforehand with in-process workers
    (--no-processes) only to keep this test fast — the script itself is unchanged."""
    import subprocess
    import sys
    from pathlib import Path

    stacks.register_stack("local-dask", orchestrator="dask",
                          orchestrator_options={"max_workers": 2, "processes": False})
    example = Path(__file__).resolve().parent.parent / "examples" / "dask_pipeline.py"
    env = {**os.environ, "FRAMEWORK_HOME": str(home)}
    env.pop("FRAMEWORK_STACK", None)
    proc = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert "Using stack `local-dask` to run pipeline `first_pipeline`..." in output
    assert "on stack `local-dask`: predictions for 5 test digits" in output
    run = Client(stack=stacks.get_stack("local-dask")).get_pipeline("first_pipeline").last_run
    assert run.status == "completed" and run.stack == "local-dask"
    assert run.steps["svc_trainer"].parameters == {"gamma": 0.0015}


MODULE_LEVEL_SCRIPT = '''
import os
from framework import pipeline, step

@step
def where() -> int:
    return os.getpid()

@step
def plus(x: int) -> int:
    return x + 1

@pipeline
def module_level():
    plus(x=where())

module_level()  # no `if __name__ == "__main__":`, as most scripts are written
print("parent", os.getpid())
'''


def test_a_module_level_script_runs_on_a_dask_stack_with_worker_processes(home, tmp_path):
    """Workers are fresh interpreters that never import the script: it runs once, its steps
    in other processes (it used to fail with "Nanny failed to start": every worker ran the
    script again)."""
    import subprocess
    import sys

    stacks.register_stack("procs", orchestrator="dask", orchestrator_options={"max_workers": 1})
    script = tmp_path / "module_level.py"
    script.write_text(MODULE_LEVEL_SCRIPT)
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "FRAMEWORK_STACK": "procs"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("parent ") == 1 and "Nanny failed" not in proc.stderr
    parent = int(proc.stdout.split("parent ")[1].split()[0])
    runs = Client(stack=stacks.get_stack("procs")).list_runs()
    assert len(runs) == 1 and runs[0].status == "completed"  # the workers never ran the pipeline again
    worker_pid = runs[0].steps["where"].output.load()
    assert worker_pid != parent
