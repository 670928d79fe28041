"""Steps (SPEC §1): definition, instantiation, direct calls, configuration, output validation."""


import typing
from typing import Annotated, Any

import numpy as np
import pytest

from framework.exceptions import MissingStepParameterError, StepInterfaceError
from framework.steps import BaseParameters, BaseStep, Output, step


class TrainerParams(BaseParameters):
    gamma: float = 0.001
    kernel: str = "rbf"


class OtherParams(BaseParameters):
    x: int = 1


class RequiredParams(BaseParameters):
    alpha: float


@step
def trainer(params: TrainerParams, data: np.ndarray) -> float:
    """Docstring."""
    return float(data.sum() * params.gamma)


@step
def loader() -> Output(a=np.ndarray, b=int):
    return np.arange(3), 2


# ------------------------------------------------------------------ definition


def test_step_decorator_makes_a_base_step_subclass_named_like_the_function():
    assert isinstance(trainer, type) and issubclass(trainer, BaseStep)
    assert trainer.__name__ == "trainer"
    assert trainer.__module__ == __name__
    assert trainer().name == "trainer"


def test_step_with_options_in_decorator():
    @step(name="renamed", enable_cache=False)
    def s() -> None:
        return None

    assert s().name == "renamed"
    assert s().enable_cache is False


def test_class_based_step_behaves_like_decorated():
    class Doubler(BaseStep):
        def entrypoint(self, x: int) -> int:
            return 2 * x

    assert Doubler()(x=4) == 8
    assert Doubler.entrypoint(x=5) == 10
    assert Doubler().entrypoint(x=6) == 12


@pytest.mark.parametrize(
    "source, message",
    [
        ("def s(x: int):\n    return x", "-> None"),
        ("def s(*args: int) -> None:\n    pass", "variable arguments"),
        ("def s(**kw: int) -> None:\n    pass", "variable arguments"),
        ("def s(a: TrainerParams, b: OtherParams) -> None:\n    pass", "Found multiple parameter arguments"),
        ("def s(after: int) -> None:\n    pass", "`after`"),
        ("def s(id: int) -> None:\n    pass", "`id`"),
        ("def s(x) -> None:\n    pass", "`x`"),
    ],
)
def test_definition_errors_name_the_step_and_argument(source, message):
    namespace = {"TrainerParams": TrainerParams, "OtherParams": OtherParams}
    exec(source, namespace)
    with pytest.raises(StepInterfaceError) as err:
        step(namespace["s"])
    assert message in str(err.value)
    assert "`s`" in str(err.value)


def test_empty_output_is_an_error():
    with pytest.raises(StepInterfaceError, match="Output"):
        Output()


def test_class_without_entrypoint_is_a_base_that_cannot_be_instantiated():
    class WithHelper(BaseStep):
        def helper(self) -> int:
            return 20

    with pytest.raises(StepInterfaceError, match="`WithHelper` has no `entrypoint"):
        WithHelper()

    class Concrete(WithHelper):
        def entrypoint(self) -> int:
            return self.helper() + 1

    assert Concrete().entrypoint() == 21


def test_annotated_return_names_the_output():
    @step
    def s() -> Annotated[int, "count"]:
        return 3

    assert list(s._signature.outputs) == ["count"]


# ------------------------------------------------------------------ instantiation


def test_instantiation_forms():
    assert trainer(TrainerParams(gamma=0.5)).params_object.gamma == 0.5
    assert trainer(params=TrainerParams(gamma=0.25)).params_object.gamma == 0.25
    named = trainer(name="other", enable_cache=False)
    assert named.name == "other" and named.enable_cache is False


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: trainer(OtherParams()), "TrainerParams"),
        (lambda: trainer(TrainerParams(), TrainerParams()), "two parameters objects"),
        (lambda: loader(TrainerParams()), "no parameters argument"),
        (lambda: trainer(unknown=1), "unexpected keyword argument `unknown`"),
        (lambda: trainer(3), "input `data` expects ndarray"),  # a step argument: the call runs the step
    ],
)
def test_instantiation_errors(make, message):
    with pytest.raises(StepInterfaceError) as err:
        make()
    assert message in str(err.value)


# ------------------------------------------------------------------ parameters


def test_parameters_reject_unknown_fields_and_coerce():
    with pytest.raises(Exception, match="gama"):
        TrainerParams(gama=1)
    assert TrainerParams(gamma="0.5").gamma == 0.5
    assert TrainerParams(gamma=0.01).flat() == {"gamma": 0.01, "kernel": "rbf"}


def test_missing_required_parameter_names_step_field_and_three_fixes():
    @step
    def needs(params: RequiredParams) -> float:
        return params.alpha

    with pytest.raises(MissingStepParameterError) as err:
        needs()()
    text = str(err.value)
    assert "`needs`" in text and "`alpha`" in text
    assert "RequiredParams(alpha=...)" in text and "configure(parameters=" in text and "YAML" in text


def test_wrong_parameter_type_is_step_interface_error_with_pydantic_message():
    @step
    def needs(params: RequiredParams) -> float:
        return params.alpha

    with pytest.raises(StepInterfaceError, match="alpha"):
        needs().configure(parameters={"alpha": "not a number"})()


# ------------------------------------------------------------------ calling


def test_entrypoint_calls_the_raw_function_on_class_and_instance():
    assert trainer.entrypoint(TrainerParams(gamma=1.0), np.ones(3)) == 3.0
    assert trainer().entrypoint(params=TrainerParams(gamma=2.0), data=np.ones(2)) == 4.0


def test_calling_a_step_class_with_its_arguments_outside_a_pipeline_runs_it():
    # The function API's reading of `trainer(data=...)`: the caller wants the result, as
    # calling an instance gives; without step arguments the call still makes an instance.
    assert trainer(data=np.ones(4)) == pytest.approx(4 * TrainerParams().gamma)
    assert trainer(TrainerParams(gamma=0.5), data=np.ones(2)) == pytest.approx(1.0)
    assert trainer(np.ones(2), params=TrainerParams(gamma=2.0)) == pytest.approx(4.0)
    assert isinstance(trainer(TrainerParams(gamma=0.5)), BaseStep) and isinstance(loader(), BaseStep)
    with pytest.raises(StepInterfaceError, match=r"with_options\(enable_cache=...\)"):
        trainer(data=np.ones(2), enable_cache=False)


def test_calling_an_instance_outside_a_pipeline_runs_it():
    assert trainer(TrainerParams(gamma=2.0))(data=np.ones(2)) == 4.0
    a, b = loader()()
    assert b == 2 and np.array_equal(a, np.arange(3))


def test_direct_call_validates_inputs():
    with pytest.raises(StepInterfaceError, match="input `data`"):
        trainer()(data=[1, 2, 3])


def test_configure_mutates_and_with_options_copies():
    original = trainer()
    copy = original.with_options(enable_cache=False, extra={"a": {"b": 1}})
    assert original.enable_cache is None and copy.enable_cache is False
    assert original.configure(extra={"a": {"c": 2}}) is original
    original.configure(extra={"a": {"d": 3}})
    assert original.configuration.extra == {"a": {"c": 2, "d": 3}}
    original.configure(extra={"z": 1}, merge=False)
    assert original.configuration.extra == {"z": 1}
    on_class = trainer.with_options(name="fresh")
    assert isinstance(on_class, trainer) and on_class.name == "fresh"


def test_unknown_settings_key_is_value_error():
    with pytest.raises(ValueError, match="unknown settings key `nope`"):
        trainer().configure(settings={"nope": {}})


# ------------------------------------------------------------------ output validation


def _run(func, *args, **kwargs):
    return step(func)()(*args, **kwargs)


def test_value_returned_from_none_step():
    def s() -> None:
        return 3

    with pytest.raises(StepInterfaceError, match="-> None"):
        _run(s)


def test_multiple_outputs_need_a_tuple_and_a_string_is_never_split():
    def s() -> Output(a=str, b=str):
        return "ab"

    with pytest.raises(StepInterfaceError, match="tuple"):
        _run(s)


def test_wrong_output_count():
    def s() -> Output(a=int, b=int):
        return 1, 2, 3

    with pytest.raises(StepInterfaceError, match="returned 3 values"):
        _run(s)


@pytest.mark.parametrize(
    "annotation, value, ok",
    [
        (int, True, True),
        (float, 1, False),
        (int, 1.0, False),
        (typing.List[int], [1], True),
        (list[int], (1,), False),
        (typing.Optional[int], None, True),
        (Any, object(), True),
        (np.ndarray, np.zeros(1), True),
    ],
)
def test_output_type_checks(annotation, value, ok):
    def s() -> annotation:  # type: ignore[valid-type]
        return value

    if ok:
        _run(s)
    else:
        with pytest.raises(StepInterfaceError, match="output `output`"):
            _run(s)


# ------------------------------------------------------------------ configuration objects (SPEC §9)


def test_configuration_is_an_options_object_with_the_params_object_flat():
    instance = trainer(TrainerParams(gamma=0.5), enable_cache=False).configure(extra={"team": "ml"})
    configuration = instance.configuration
    assert (configuration.name, configuration.enable_cache, configuration.extra) == (None, False, {"team": "ml"})
    assert configuration.parameters == {"gamma": 0.5, "kernel": "rbf"}
    instance.configure(parameters={"kernel": "linear"})
    assert instance.configuration.parameters == {"gamma": 0.5, "kernel": "linear"}
    instance.configuration.extra["team"] = "changed"  # a copy: the step is not affected
    assert instance.configuration.extra == {"team": "ml"}


def test_configure_parameters_on_a_step_without_a_parameters_argument_fails_at_once():
    instance = loader()
    with pytest.raises(StepInterfaceError, match="Step `loader` has no parameters argument.*`gamma`"):
        instance.configure(parameters={"gamma": 0.1})
    with pytest.raises(StepInterfaceError, match="Step `trainer`: `parameters=` names unknown field.*`gama`"):
        trainer().configure(parameters={"gama": 0.1})
    assert instance.configuration.parameters == {}


# ------------------------------------------------------------------ parameters written for pydantic v1


def test_pydantic_v1_parameters_run_unchanged(recwarn):
    from framework.steps import BaseStepConfig

    class SplitParams(BaseStepConfig):
        test_size = 0.2
        shuffle = False
        label = "target"
        columns = None

        class Config:
            allow_mutation = False

    @step
    def split(params: SplitParams) -> float:
        return params.test_size

    assert BaseStepConfig is BaseParameters
    params = SplitParams(test_size="0.5")
    assert params.test_size == 0.5 and split(params)() == 0.5
    assert params.dict() == {"test_size": 0.5, "shuffle": False, "label": "target", "columns": None}
    assert params.json() == '{"test_size":0.5,"shuffle":false,"label":"target","columns":null}'
    with pytest.raises(Exception, match="frozen"):
        params.test_size = 0.1
    with pytest.raises(Exception, match="test_size"):
        SplitParams(test_size="a lot")
    assert not [w for w in recwarn if "deprecated" in str(w.message).lower() or "V2" in str(w.message)]


def test_pydantic_v1_config_extra_is_honoured():
    class Loose(BaseParameters):
        alpha = 1

        class Config:
            extra = "allow"

    assert Loose(alpha=2, beta=3).dict() == {"alpha": 2, "beta": 3}
    with pytest.raises(Exception, match="beta"):
        RequiredParams(alpha=1.0, beta=3)  # the default stays: unknown fields are refused
