"""Legacy class API (SPEC §2): wiring, connect tracing, run(), YAML configuration and precedence."""

import numpy as np
import pytest

from framework.client import Client
from framework.exceptions import PipelineInterfaceError, StepInterfaceError
from framework.pipelines import BasePipeline, pipeline
from framework.steps import step
from tests.seed_steps import CALLS, TrainerParams, loader, scorer, trainer


@pipeline
def two_step(step_1, step_2):
    X_train, X_test, y_train, y_test = step_1()
    step_2(X_train, y_train)


@pipeline
def three_step(step_1, step_2, step_3):
    X_train, X_test, y_train, y_test = step_1()
    model = step_2(X_train, y_train)
    step_3(model, X_test, y_test)


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


# ------------------------------------------------------------------ wiring


def test_pipeline_decorator_makes_base_pipeline_subclass():
    assert issubclass(two_step, BasePipeline) and two_step.__name__ == "two_step"


@pytest.mark.parametrize(
    "wire, message",
    [
        (lambda: two_step(loader(), trainer(), scorer()), "takes 2 step"),
        (lambda: two_step(step_1=loader()), "missing step(s) for slot(s) step_2"),
        (lambda: two_step(step_1=loader(), step_2=trainer(), step_9=scorer()), "unexpected step `step_9`"),
        (lambda: two_step(step_1=loader, step_2=trainer()), "missing brackets: use step_1=loader()"),
        (lambda: two_step(step_1=loader(), step_2=42), "not a step"),
        (lambda: (lambda s: two_step(step_1=s, step_2=s))(loader()), "same step object"),
        (lambda: two_step(step_1=loader(), step_2=loader()), "name="),
    ],
)
def test_wiring_errors(wire, message):
    with pytest.raises(PipelineInterfaceError) as err:
        wire()
    assert message in str(err.value)


def test_positional_keyword_and_mixed_wiring_compile_the_same_graph():
    graphs = [
        two_step(loader(), trainer()).compile(),
        two_step(step_1=loader(), step_2=trainer()).compile(),
        two_step(loader(), step_2=trainer()).compile(),
    ]
    assert len({g.version_hash() for g in graphs}) == 1
    assert list(graphs[0].invocations) == ["step_1", "step_2"]


def test_class_based_pipeline_with_connect():
    class MyPipeline(BasePipeline):
        def connect(self, step_1, step_2):
            X_train, X_test, y_train, y_test = step_1()
            step_2(X_train, y_train)

    graph = MyPipeline(step_1=loader(), step_2=trainer()).compile()
    assert graph.name == "MyPipeline" and set(graph.invocations) == {"step_1", "step_2"}


# ------------------------------------------------------------------ connect tracing


def test_raw_values_in_connect_are_rejected():
    @pipeline
    def bad(step_1, step_2):
        step_1()
        step_2(np.zeros(3), np.zeros(3))

    with pytest.raises(StepInterfaceError, match="raw value"):
        bad(step_1=loader(), step_2=trainer()).compile()


@pytest.mark.parametrize(
    "body, message",
    [
        ("a, b, c, d = step_1(); step_2(a, c, b)", "more positional"),
        ("a, b, c, d = step_1(); step_2(a)", "missing input"),
        ("a, b, c, d = step_1(); step_2(a, c, nope=b)", "unexpected argument `nope`"),
        ("a, b, c, d = step_1(); step_2(a, c); step_2(a, c)", "called twice"),
    ],
)
def test_connect_call_errors(body, message):
    namespace = {}
    exec(f"def connect(step_1, step_2):\n    {body}\n", namespace)
    cls = pipeline(namespace["connect"])
    with pytest.raises(StepInterfaceError) as err:
        cls(step_1=loader(), step_2=trainer()).compile()
    assert message in str(err.value)


def test_after_adds_an_ordering_edge_and_uncalled_steps_do_not_run():
    @step
    def first() -> int:
        return 1

    @step
    def second() -> int:
        return 2

    @pipeline
    def ordered(step_1, step_2, step_3):
        step_2.after(step_1)
        step_1()
        step_2()

    graph = ordered(step_1=first(), step_2=second(), step_3=loader()).compile()
    assert graph.invocations["step_2"].after == ("step_1",)
    assert "step_3" not in graph.invocations
    assert graph.topological_order() == ["step_1", "step_2"]


# ------------------------------------------------------------------ running


def test_run_twice_and_steps_are_not_mutated(backend):
    step_2 = trainer(TrainerParams(C=0.5))
    before = step_2.configuration
    p = three_step(step_1=loader(), step_2=step_2, step_3=scorer())
    first = p.run(run_name="first")
    second = p.run(run_name="second")
    assert first.status == second.status == "completed"
    assert step_2.configuration == before and step_2.params_object == TrainerParams(C=0.5)
    assert [s.status for s in second.steps.values()] == ["cached", "cached", "cached"]
    assert CALLS == ["loader", "trainer", "scorer"]


def test_run_records_parameters_flat_with_defaults(backend):
    run = two_step(step_1=loader(), step_2=trainer(TrainerParams(C=0.25))).run()
    assert run.steps["step_2"].parameters == {"C": 0.25}
    assert run.steps["trainer"].parameters == {"C": 0.25}
    assert list(run.steps) == ["loader", "trainer"]


def test_yaml_configuration_and_precedence(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(
        "run_name: yaml_run\n"
        "steps:\n"
        "  step_2:\n"
        "    parameters:\n"
        "      C: 0.3\n"
    )
    p = two_step(step_1=loader(), step_2=trainer(TrainerParams(C=0.1)))
    run = p.run(config_path=str(config))
    assert run.name == "yaml_run" and run.steps["trainer"].parameters == {"C": 0.3}
    run = p.run(config_path=str(config), run_name="code_run",
                step_configurations={"step_2": {"parameters": {"C": 0.7}}})
    assert run.name == "code_run" and run.steps["trainer"].parameters == {"C": 0.7}


def test_yaml_unknown_step_is_key_error(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("steps:\n  step_9:\n    enable_cache: false\n")
    with pytest.raises(KeyError, match="step_9"):
        two_step(step_1=loader(), step_2=trainer()).run(config_path=str(config))
    assert Client().get_pipeline("two_step") is None


def test_configure_parameters_then_yaml_then_code(tmp_path):
    p = two_step(step_1=loader(), step_2=trainer().configure(parameters={"C": 0.2}))
    assert p.run().steps["trainer"].parameters == {"C": 0.2}


# ------------------------------------------------------------------ legacy spellings (SPEC §9)


def test_connect_with_kwargs_takes_whatever_slots_the_instance_gets(backend):
    class AnySlots(BasePipeline):
        def connect(self, **kwargs):
            X_train, X_test, y_train, y_test = kwargs["loader"]()
            kwargs["trainer"](X_train, y_train)

    run = AnySlots(loader=loader(), trainer=trainer(TrainerParams(C=0.3))).run()
    assert run.status == "completed" and list(run.steps) == ["loader", "trainer"]
    assert run.steps["trainer"].parameters == {"C": 0.3}
    with pytest.raises(PipelineInterfaceError, match="by position"):
        AnySlots(loader())


def test_named_slots_and_kwargs_together():
    @pipeline
    def mixed(step_1, **more):
        X_train, X_test, y_train, y_test = step_1()
        more["step_2"](X_train, y_train)

    graph = mixed(loader(), step_2=trainer()).compile()
    assert list(graph.invocations) == ["step_1", "step_2"]
    with pytest.raises(PipelineInterfaceError, match="missing step"):
        mixed(step_2=trainer())


def test_pipeline_configuration_is_an_options_object():
    p = two_step(step_1=loader(), step_2=trainer())
    p.configure(enable_cache=False, settings={"orchestrator.local": {"max_workers": 2}}, extra={"a": {"b": 1}})
    p.configure(extra={"a": {"c": 2}}, merge=True)
    configuration = p.configuration
    assert (configuration.name, configuration.enable_cache) == ("two_step", False)
    assert configuration.settings == {"orchestrator.local": {"max_workers": 2}}
    assert configuration.extra == {"a": {"b": 1, "c": 2}}
    assert two_step(step_1=loader(), step_2=trainer()).configuration.enable_cache is None  # per instance
