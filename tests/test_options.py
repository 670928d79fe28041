"""Step and pipeline options (``framework.options``): declared once, merged by one rule,
checked when given; output materializers in every form ZenML code uses; recorded settings."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from framework.artifacts.materializers.base import BaseMaterializer
from framework.client import Client
from framework.config import load_run_config
from framework.exceptions import PipelineInterfaceError, StepInterfaceError
from framework.pipelines import pipeline as legacy_pipeline
from framework.pipelines.new import pipeline
from framework.steps import Output, step


class TextMaterializer(BaseMaterializer):
    """Stores a str as plain UTF-8 text (the built-in one writes JSON)."""

    ASSOCIATED_TYPES = (str,)
    EXTENSION = ".txt"

    def save(self, value, fileobj):
        fileobj.write(value.encode())

    def load(self, source, data_type):
        with self.open_source(source) as f:
            return f.read().decode()


TEXT = f"{__name__}.TextMaterializer"


@step
def two_texts() -> Output(a=str, b=str):
    return "first", "second"


def text() -> str:
    return "text"


def alert(exc: BaseException) -> None:
    pass


# ------------------------------------------------------------------ declared once, merged once


def test_option_names_come_from_a_leaf_module():
    code = ("import json, sys, framework.options as o\n"
            "print(json.dumps([o.STEP_OPTION_NAMES, o.PIPELINE_OPTION_NAMES,\n"
            "  sorted(m for m in sys.modules if m.split('.')[0] in ('framework', 'pydantic'))]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    step_names, pipeline_names, modules = json.loads(out)
    assert step_names == ["name", "enable_cache", "parameters", "settings", "extra", "output_materializers",
                          "on_failure", "on_success", "experiment_tracker"]
    assert pipeline_names == ["name", "enable_cache", "settings", "extra", "on_failure", "on_success"]
    assert modules == ["framework", "framework.options"]


def test_every_way_of_giving_step_options_configures_the_same():
    options = dict(name="renamed", enable_cache=False, settings={"resources": {"cpu_count": 2}},
                   extra={"team": {"owner": "ml"}}, output_materializers=TextMaterializer, on_failure=alert,
                   on_success=f"{__name__}.alert", experiment_tracker="mlflow_tracker")
    decorated = step(**options)(text)().configuration
    at_instantiation = step(text)(**options).configuration
    configured = step(text)().configure(**options).configuration
    copied = step(text).with_options(**options).configuration
    assert decorated == at_instantiation == configured == copied
    assert decorated.name == "renamed" and decorated.enable_cache is False
    assert decorated.settings == {"resources": {"cpu_count": 2.0}}
    assert decorated.output_materializers == {"output": TextMaterializer}
    assert decorated.on_failure is alert and decorated.on_success is alert
    assert decorated.experiment_tracker == "mlflow_tracker"


@pytest.mark.parametrize("owner", ["step", "legacy", "function"])
def test_dict_options_merge_key_by_key_unless_merge_is_false(owner):
    if owner == "step":
        target = two_texts()
    elif owner == "legacy":
        target = legacy_pipeline(lambda step_1: step_1())(step_1=two_texts())
    else:
        target = pipeline(lambda: two_texts())
    target.configure(extra={"a": {"b": 1}}, settings={"orchestrator.dask": {"priority": 1}})
    assert target.configure(extra={"a": {"c": 2}}, enable_cache=None) is target
    assert target.configuration.extra == {"a": {"b": 1, "c": 2}}
    target.configure(extra={"z": 0}, merge=False)
    assert target.configuration.extra == {"z": 0}
    assert target.configuration.settings == {"orchestrator.dask": {"priority": 1}}
    assert target.configuration.enable_cache is None  # None means "not given"


@pytest.mark.parametrize(
    "changes, error, words",
    [
        ({"enable_cache": "yes"}, StepInterfaceError, ["`two_texts`", "enable_cache", "True or False"]),
        ({"extra": ["x"]}, StepInterfaceError, ["`two_texts`", "`extra=`", "dict"]),
        ({"experiment_tracker": 3}, StepInterfaceError, ["`two_texts`", "experiment tracker"]),
        ({"bogus": 1}, StepInterfaceError, ["`two_texts`", "`bogus`", "enable_cache, parameters"]),
        ({"settings": {"nope": {}}}, ValueError, ["`two_texts`", "unknown settings key `nope`"]),
        ({"name": "a/b"}, ValueError, ["`two_texts`", "path separator"]),
    ],
)
def test_a_wrong_option_names_the_step_and_changes_nothing(changes, error, words):
    instance = two_texts()
    with pytest.raises(error) as err:
        instance.configure(**{"enable_cache": False, "extra": {"kept": True}, **changes})
    assert all(w in str(err.value) for w in words), str(err.value)
    assert instance.configuration.enable_cache is None and instance.configuration.extra == {}


@pytest.mark.parametrize("api", ["legacy", "function"])
def test_a_wrong_pipeline_option_names_the_pipeline(api):
    def training(step_1=None):
        two_texts()

    decorator = legacy_pipeline if api == "legacy" else pipeline
    with pytest.raises(PipelineInterfaceError, match="Pipeline `training`.*`output_materializers`"):
        decorator(output_materializers=TextMaterializer)(training)
    with pytest.raises(PipelineInterfaceError, match="Pipeline `training`: `enable_cache=` must be True or False"):
        decorator(enable_cache="no")(training)


def test_compiled_invocations_carry_resolved_options(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("steps:\n  two_texts:\n    extra:\n      n:\n        y: 2\n")

    @pipeline(on_failure=alert)
    def tracked():
        two_texts.with_options(extra={"n": {"x": 1}}, experiment_tracker="mlflow_tracker",
                               output_materializers={"b": TEXT})()

    graph, _ = tracked.compile(run_config=load_run_config(config))
    invocation = graph.invocations["two_texts"]
    assert invocation.extra == {"n": {"x": 1, "y": 2}}
    assert invocation.experiment_tracker == "mlflow_tracker"
    assert invocation.on_failure == f"{__name__}.alert"  # the pipeline's hook, for a step with none
    assert invocation.output_materializers == {"b": TEXT}


# ------------------------------------------------------------------ output materializers


@pytest.mark.parametrize(
    "given, used",
    [
        (TextMaterializer, {"a": TEXT, "b": TEXT}),  # one class: every output
        (TEXT, {"a": TEXT, "b": TEXT}),  # one dotted source
        ({"b": TextMaterializer}, {"b": TEXT}),  # by output name
        ({"a": TEXT}, {"a": TEXT}),  # by output name, as a dotted source
    ],
    ids=["class", "source", "dict-class", "dict-source"],
)
def test_output_materializers_forms_are_used_by_the_run(backend, given, used):
    @pipeline
    def texts():
        two_texts.with_options(output_materializers=given)()

    run = texts()
    outputs = run.steps["two_texts"].outputs
    assert {name: out.materializer for name, out in outputs.items() if out.materializer == TEXT} == used
    assert [outputs["a"].load(), outputs["b"].load()] == ["first", "second"]


@pytest.mark.parametrize(
    "given, words",
    [
        ({"nope": TextMaterializer}, ["unknown output(s) `nope`", "a, b"]),
        ("tests.no_such_module.Materializer", ["output `a`", "tests.no_such_module.Materializer", "does not resolve"]),
        ({"a": f"{__name__}.Missing"}, ["output `a`", "does not resolve"]),
        (int, ["not a materializer class", "BaseMaterializer"]),
    ],
)
def test_bad_output_materializers_fail_at_decoration_and_configure(given, words):
    ran = []

    def body() -> Output(a=str, b=str):
        ran.append(True)
        return "a", "b"

    with pytest.raises(StepInterfaceError) as err:
        step(output_materializers=given)(body)
    assert "Step `body`" in str(err.value) and all(w in str(err.value) for w in words), str(err.value)
    instance = step(body)()
    with pytest.raises(StepInterfaceError):
        instance.configure(output_materializers=given)
    assert instance.configuration.output_materializers == {} and ran == []


def test_one_materializer_for_a_step_without_outputs_is_an_error():
    def nothing() -> None:
        pass

    with pytest.raises(StepInterfaceError, match="Step `nothing` returns None"):
        step(output_materializers=TextMaterializer)(nothing)


# ------------------------------------------------------------------ settings ZenML code passes


def test_docker_and_resource_settings_are_accepted_and_recorded(caplog):
    from framework.config import DockerSettings, ResourceSettings
    from framework.integrations.constants import SKLEARN

    caplog.set_level(logging.DEBUG, logger="framework")
    docker = DockerSettings(requirements=["scikit-learn"], required_integrations=[SKLEARN], apt_packages=["git"],
                            environment={"A": "1"}, replicate_local_python_environment="pip_freeze")

    @pipeline(settings={"docker": docker})
    def containerised():
        two_texts.with_options(settings={"resources": ResourceSettings(cpu_count=2, memory="1GB")})()

    assert containerised().status == "completed"
    spec = Client().get_pipeline("containerised").versions[0]["spec"]
    assert spec["settings"]["docker"]["required_integrations"] == ["sklearn"]
    assert spec["invocations"][0]["settings"] == {"resources": {"cpu_count": 2.0, "memory": "1GB"}}
    assert any("docker, resources" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)


def test_unknown_docker_field_is_refused_with_the_field_name():
    with pytest.raises(ValueError, match="(?s)invalid settings `docker`.*not_a_field"):
        pipeline(settings={"docker": {"not_a_field": 1}})(lambda: two_texts())


def test_get_logger_gives_a_logger_under_framework(caplog):
    from framework.logger import get_logger

    caplog.set_level(logging.INFO, logger="framework")
    logger = get_logger("my_project.steps")
    logger.info("hello")
    assert logger.name == "framework.my_project.steps" and not logger.handlers
    assert [r.getMessage() for r in caplog.records if r.name == logger.name] == ["hello"]
    assert get_logger("framework.x").name == "framework.x"
