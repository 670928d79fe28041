"""End-to-end runs of every example, each in its own process and fresh home."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from framework.client import Client

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, home: Path) -> str:
    env = {**os.environ, "FRAMEWORK_HOME": str(home)}
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def runs_of(output: str) -> list[list[str]]:
    """Split the log into runs, one list of lines per run."""
    runs: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("Creating run"):
            runs.append([])
        if runs:
            runs[-1].append(line)
    return runs


def test_every_example_is_covered():
    covered = {"first_pipeline.py", "caching.py", "parameters.py", "first_pipeline_new.py"}
    twins = {p.name for p in EXAMPLES.glob("*_migrated.py")}
    assert {p.name for p in EXAMPLES.glob("*.py")} - covered - twins <= {"dask_pipeline.py"}


def test_first_pipeline_twice_shows_caching(home):
    first = run_example("first_pipeline.py", home)
    assert "Registered new pipeline with name `first_pipeline`." in first
    assert "Using cached version" not in first
    second = run_example("first_pipeline.py", home)
    assert "Using cached version of `digits_data_loader`." in second
    assert "Using cached version of `svc_trainer`." in second
    run = Client().get_pipeline("first_pipeline").last_run
    assert [s.status for s in run.steps.values()] == ["cached", "cached"]
    assert run.steps["svc_trainer"].output.load().predict(run.steps["digits_data_loader"].outputs["X_test"].load()[:3]).shape == (3,)


def test_caching_example_three_runs(home):
    output = run_example("caching.py", home)
    first, second, third = runs_of(output)
    assert not any("Using cached version" in line for line in first)
    assert "Using cached version of `digits_data_loader`." in second
    assert "Using cached version of `svc_trainer`." not in second
    assert any(line.startswith("Runtime configuration overwriting") for line in third)
    assert not any("Using cached version" in line for line in third)
    runs = Client().get_pipeline("first_pipeline").runs
    assert [[s.status for s in r.steps.values()] for r in runs] == [
        ["completed", "completed"], ["cached", "completed"], ["completed", "completed"]]


def test_parameters_example_records_the_params(home):
    run_example("parameters.py", home)
    run = Client().get_pipeline("first_pipeline").last_run
    assert run.steps["svc_trainer"].parameters == {"gamma": 0.01, "C": 2.5, "kernel": "linear"}
    assert run.steps["step_2"].output.load().kernel == "linear"


def test_function_api_example(home):
    run_example("first_pipeline_new.py", home)
    second = run_example("first_pipeline_new.py", home)
    assert "Using cached version of `digits_data_loader`." in second
    assert "Using cached version of `svc_trainer`." in second
    run = Client().get_pipeline("first_pipeline").last_run
    assert run.pipeline_parameters == {"gamma": 0.0015}
    assert run.steps["svc_trainer"].parameters == {"gamma": 0.0015}


@pytest.mark.parametrize("legacy", ["first_pipeline.py", "caching.py", "parameters.py"])
def test_migrated_twin_records_the_same(legacy, tmp_path):
    twin = legacy.replace(".py", "_migrated.py")
    if not (EXAMPLES / twin).exists():
        pytest.fail(f"examples/{twin} is missing: every legacy example has a migrated twin")
    old_home, new_home = tmp_path / "old", tmp_path / "new"
    run_example(legacy, old_home)
    run_example(twin, new_home)
    from framework.stacks import default_stack

    old = Client(stack=default_stack(old_home)).get_pipeline("first_pipeline").runs
    new = Client(stack=default_stack(new_home)).get_pipeline("first_pipeline").runs
    assert len(old) == len(new)
    for a, b in zip(old, new):
        assert [s.name for s in a.steps.values()] == [s.name for s in b.steps.values()]
        assert [s.parameters for s in a.steps.values()] == [s.parameters for s in b.steps.values()]
        assert [s.status for s in a.steps.values()] == [s.status for s in b.steps.values()]
