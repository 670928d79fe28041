"""Errors that name the thing and the fix: a home that is a file, a forgotten ``@step``."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from framework import Client
from framework.cli import main
from framework.exceptions import StepInterfaceError
from framework.pipelines.new import pipeline
from framework.stacks import StackError
from framework.steps import Output, step


@pytest.mark.parametrize("below", [False, True])
def test_a_framework_home_that_is_a_file_is_named(tmp_path, monkeypatch, below):
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    monkeypatch.setenv("FRAMEWORK_HOME", str(afile / "home" if below else afile))
    with pytest.raises(StackError, match="not a directory") as info:
        Client()
    assert str(afile) in str(info.value) and "FRAMEWORK_HOME" in str(info.value)
    result = CliRunner().invoke(main, ["runs", "list"])
    assert result.exit_code == 1 and str(afile) in result.stderr and "Traceback" not in result.stderr


@step
def numbers() -> np.ndarray:
    return np.arange(4)


@step
def pair() -> Output(a=int, b=int):
    return 1, 2


def undecorated(values):
    return len(values)


@pytest.mark.parametrize("body, words", [
    (lambda: undecorated(numbers()), r"`len\(\)` cannot be applied"),
    (lambda: numbers()[0], "cannot be indexed"),
    (lambda: numbers() + 1, "arithmetic"),
    (lambda: np.asarray(numbers()).sum(), "cannot become an array"),
    (lambda: [x for x in numbers()], "cannot be iterated"),
    (lambda: float(pair()[0]), "cannot become a number"),
])
def test_using_an_output_as_a_value_while_defining_names_it_and_suggests_step(body, words):
    @pipeline
    def forgot():
        body()

    with pytest.raises(StepInterfaceError, match=words) as info:
        forgot()
    message = str(info.value)
    assert "of step `" in message and "@step" in message
