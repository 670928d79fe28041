"""Bad step code: unpicklable outputs, wrong arity or types, exceptions, interrupts.

Each case: a clear error naming the step (and the output where there is one); nothing
under a final artifact name that no record points at; upstream outputs kept; downstream
steps skipped; the run failed; the next run re-executes exactly what failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _helpers import artifact_files, audit, client, temp_files

from framework import pipeline, step
from framework.exceptions import ArtifactError, StepInterfaceError
from framework.steps import Output

CALLS: list[str] = []
MODE = {"value": "ok"}


@step
def upstream() -> list:
    CALLS.append("upstream")
    return [1, 2, 3]


@step
def faulty(values: list) -> Any:
    CALLS.append("faulty")
    mode = MODE["value"]
    if mode == "lambda":
        return lambda: values
    if mode == "generator":
        return (v for v in values)
    if mode == "half-pickle":  # pickling starts writing, then fails on the lambda inside
        return [np.arange(50_000), {"nested": [1, 2, lambda: None]}]
    if mode == "raise":
        raise ValueError("boom in faulty")
    if mode == "interrupt":
        raise KeyboardInterrupt
    return sum(values)


@step
def downstream(value: Any) -> int:
    CALLS.append("downstream")
    return value * 10


@pipeline
def bad(mode: str = "ok"):
    downstream(value=faulty(values=upstream()))


@pytest.fixture(autouse=True)
def reset():
    CALLS.clear()
    MODE["value"] = "ok"
    yield
    MODE["value"] = "ok"


def _unreferenced_artifacts(home: Path) -> set[str]:
    referenced = client(home).metadata_store.referenced_artifact_ids()
    files = {p.name.split(".")[0] for p in artifact_files(home)}
    return files - referenced


def _assert_failed_cleanly(home: Path, failed_step: str = "faulty") -> None:
    run = client(home).list_runs()[0]
    assert run.status == "failed"
    statuses = {k: s.status for k, s in run.steps.items()}
    assert statuses == {"upstream": "completed" if "upstream" in CALLS else "cached",
                        "faulty": "failed", "downstream": "skipped"}
    assert run.steps[failed_step].outputs == {}
    assert run.steps["upstream"].output.load() == [1, 2, 3]  # kept
    assert _unreferenced_artifacts(home) == set()  # nothing under a final name
    assert temp_files(home) == {"artifacts": [], "metadata": []}
    assert "downstream" not in CALLS
    audit(home)


@pytest.mark.parametrize("mode, fragment", [
    ("lambda", "lambda"),
    ("generator", "generator"),
    ("half-pickle", "lambda"),
])
def test_unpicklable_outputs_fail_naming_step_and_output(home, mode, fragment):
    MODE["value"] = mode
    with pytest.warns(UserWarning, match="pickle"), pytest.raises(ArtifactError) as info:
        bad()
    message = str(info.value)
    assert "`faulty`" in message and "output `output`" in message and fragment in message.lower()
    _assert_failed_cleanly(home)
    # fixed code (same key: the failed attempt is never reused): only the failed step runs
    MODE["value"] = "ok"
    CALLS.clear()
    assert bad().steps["downstream"].output.load() == 60
    assert CALLS == ["faulty", "downstream"]


def test_an_exception_in_a_step_is_re_raised_and_recorded(home):
    MODE["value"] = "raise"
    with pytest.raises(ValueError, match="boom in faulty"):
        bad()
    _assert_failed_cleanly(home)
    run = client(home).list_runs()[0]
    assert "boom in faulty" in run.steps["faulty"].error and "`faulty`" in run.error


def test_keyboard_interrupt_inside_a_step_stops_the_run_and_records_it(home):
    MODE["value"] = "interrupt"
    with pytest.raises(KeyboardInterrupt):
        bad()
    run = client(home).list_runs()[0]
    assert run.status == "failed"
    assert run.steps["faulty"].status == "failed"
    assert "downstream" not in run.steps  # never started
    audit(home)


@step
def two_outputs(kind: str) -> Output(a=int, b=int):
    return {"one": (1,), "scalar": 1, "string": "ab", "three": (1, 2, 3), "types": (1, "2"),
            "ok": (1, 2)}[kind]


@step
def use_b(b: int) -> int:
    return b


@pipeline
def arity(kind: str):
    a, b = two_outputs(kind=kind)
    use_b(b=b)


@step
def returns_none_declared() -> None:
    return 5  # type: ignore[return-value]


@pipeline
def none_pipeline():
    returns_none_declared()


@step
def declared_float() -> float:
    return 3  # an int is not a float


@pipeline
def float_pipeline():
    declared_float()


@pytest.mark.parametrize("kind, fragments", [
    ("one", ["declares 2 outputs", "returned 1 values"]),
    ("scalar", ["declares 2 outputs", "single int"]),
    ("string", ["declares 2 outputs", "single str"]),  # a string is never split
    ("three", ["returned 3 values"]),
    ("types", ["output `b`", "int", "str"]),
])
def test_wrong_output_arity_or_types_fail_naming_step_and_output(home, kind, fragments):
    with pytest.raises(StepInterfaceError) as info:
        arity(kind=kind)
    message = str(info.value)
    assert "`two_outputs`" in message and all(f in message for f in fragments), message
    run = client(home).list_runs()[0]
    assert run.status == "failed"
    assert {k: s.status for k, s in run.steps.items()} == {"two_outputs": "failed", "use_b": "skipped"}
    assert not artifact_files(home)  # nothing written for a refused return
    audit(home)
    assert arity(kind="ok").steps["use_b"].output.load() == 2


@pytest.mark.parametrize("pipe, fragment", [(none_pipeline, "-> None"), (float_pipeline, "float")])
def test_values_not_matching_the_annotation_fail(home, pipe, fragment):
    with pytest.raises(StepInterfaceError) as info:
        pipe()
    assert fragment in str(info.value)
    assert client(home).list_runs()[0].status == "failed"
    assert not artifact_files(home)


@step
def mutates(values: np.ndarray) -> int:
    values[:] = -1  # changes its own copy only
    return int(values.sum())


@step
def array_source() -> np.ndarray:
    return np.arange(10)


@pipeline
def mutating():
    mutates(values=array_source())


def test_a_step_mutating_its_input_never_changes_the_stored_artifact(home):
    run = mutating()
    assert run.steps["mutates"].output.load() == -10
    assert list(run.steps["array_source"].output.load()) == list(range(10))
    audit(home)  # still verifies against its recorded hash
    assert mutating().steps["mutates"].status == "cached"
