"""The step context (SPEC §9): a ``StepContext`` argument, ``framework.get_step_context()`` and
``Environment().step_environment``, on every backend; ZenML's rule that such steps are not
cached unless asked; extra files kept with the run."""

from __future__ import annotations

import os

import fsspec
import numpy as np
import pytest

from framework import get_step_context, stacks
from framework.artifacts.materializers.numpy_arrays import NumpyMaterializer
from framework.environment import Environment
from framework.exceptions import StepContextError, StepInterfaceError
from framework.hashing import new_id
from framework.orchestrators.output_dirs import location
from framework.pipelines import pipeline as legacy_pipeline
from framework.pipelines.new import pipeline
from framework.steps import Output, StepContext, step
from tests.test_options import TextMaterializer

CALLS: list[str] = []


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@step
def names(context: StepContext) -> Output(step=str, pipeline=str, run=str):
    CALLS.append("names")
    return context.step_name, context.pipeline_name, context.run_name


@step
def names_new() -> Output(step=str, pipeline=str, run=str, same=bool, env=str):
    context = get_step_context()
    env = Environment().step_environment
    return (context.step_name, context.pipeline_name, context.run_name, get_step_context() is context,
            f"{env.pipeline_name}/{env.run_name}/{env.step_name}")


@step
def writes_file(context: StepContext) -> str:
    path = context.get_output_artifact_uri()
    with open(os.path.join(path, "report.txt"), "w") as fh:
        fh.write("kept with the run")
    return path


def test_context_argument_receives_names_on_every_backend(backend):
    @legacy_pipeline
    def legacy(step_1):
        step_1()

    run = legacy(step_1=names()).run(run_name="ctx-legacy")
    outputs = run.steps["names"].outputs
    assert [outputs[k].load() for k in ("step", "pipeline", "run")] == ["names", "legacy", "ctx-legacy"]


def test_get_step_context_and_environment_inside_a_function_pipeline(backend):
    @pipeline
    def function_api():
        names_new(id="first")

    run = function_api.with_options(run_name="ctx-new")()
    outputs = {k: v.load() for k, v in run.steps["first"].outputs.items()}
    assert outputs == {"step": "first", "pipeline": "function_api", "run": "ctx-new", "same": True,
                       "env": "function_api/ctx-new/first"}


def test_get_step_context_outside_a_step_is_a_clear_error():
    with pytest.raises(StepContextError, match="outside a running step") as err:
        get_step_context()
    assert isinstance(err.value, RuntimeError)
    with pytest.raises(StepContextError):
        Environment().step_environment


def test_a_context_step_is_not_cached_unless_asked():
    @pipeline
    def twice():
        names()

    @pipeline
    def cached_twice():
        names.with_options(enable_cache=True)()

    assert names().configuration.enable_cache is False
    assert [cached_twice().steps["names"].status for _ in range(2)] == ["completed", "cached"]
    assert [twice().steps["names"].status for _ in range(2)] == ["completed", "completed"]
    assert step(enable_cache=True)(names.entrypoint)().configuration.enable_cache is True


def test_extra_files_are_kept_in_the_local_artifact_store(backend, home):
    @pipeline
    def with_files():
        writes_file()

    run = with_files.with_options(run_name="files-run")()
    path = run.steps["writes_file"].output.load()
    assert path == location(stacks.active_stack().artifact_store_url, "files-run", "writes_file", "output")
    assert path.startswith(str(home / "artifacts")) and os.path.isdir(path)
    with open(os.path.join(path, "report.txt")) as fh:
        assert fh.read() == "kept with the run"


def test_extra_files_are_uploaded_to_a_remote_store(monkeypatch, home):
    url = f"memory://framework-test-{new_id()}"
    base = stacks.default_stack()
    stack = stacks.Stack("remote", base.home, url, base.metadata_root)
    monkeypatch.setattr(stacks, "active_stack", lambda: stack)

    @pipeline
    def with_files():
        writes_file()

    run = with_files.with_options(run_name="remote-files")()
    local = run.steps["writes_file"].output.load()
    assert not os.path.exists(local)  # a temporary directory, removed after the upload
    kept = location(url, "remote-files", "writes_file", "output") + "/report.txt"
    with fsspec.open(kept, "r") as fh:
        assert fh.read() == "kept with the run"


def test_output_materializer_is_the_chosen_or_the_registered_one():
    seen = {}

    @step(output_materializers={"text": TextMaterializer})
    def several(context: StepContext) -> Output(array=np.ndarray, text=str):
        seen["array"] = context.get_output_materializer("array")
        seen["text"] = context.get_output_materializer("text")
        with pytest.raises(StepContextError, match="has 2 outputs"):
            context.get_output_materializer()
        with pytest.raises(StepContextError, match="no output `nope`"):
            context.get_output_artifact_uri("nope")
        return np.zeros(2), "t"

    @pipeline
    def materializers():
        several()

    assert materializers().status == "completed"
    assert seen == {"array": NumpyMaterializer, "text": TextMaterializer}


def test_pipeline_run_view_from_inside_the_step():
    seen = {}

    @step
    def looks_at_run() -> None:
        run = get_step_context().pipeline_run
        seen.update(name=run.name, status=run.status, pipeline=run.pipeline_name)

    @pipeline
    def viewed():
        looks_at_run()

    viewed.with_options(run_name="viewed-run")()
    assert seen == {"name": "viewed-run", "status": "running", "pipeline": "viewed"}


def test_calling_a_context_step_directly_gives_a_context_without_a_run():
    @step
    def direct(context: StepContext) -> list:
        return [context.step_name, context.pipeline_name, context.run_name, get_step_context() is context]

    assert direct()() == ["direct", None, None, True]
    with pytest.raises(StepContextError, match="outside a pipeline run"):
        writes_file()()


def test_two_context_arguments_are_a_definition_error():
    def twice(a: StepContext, b: StepContext) -> None:
        pass

    with pytest.raises(StepInterfaceError, match="Step `twice`: arguments `a` and `b` are both annotated StepContext"):
        step(twice)
