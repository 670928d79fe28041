"""Run configuration (SPEC §2): YAML keys, validation errors naming the file, precedence."""

import pytest

from framework.config import build_run_config, load_run_config


def write(tmp_path, text):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_yaml_is_read_and_code_arguments_win(tmp_path):
    path = write(tmp_path, "run_name: from_yaml\nenable_cache: false\nsteps:\n  step_2:\n    parameters: {gamma: 0.5}\n")
    config = build_run_config(config_path=path, run_name="from_code",
                              step_configurations={"step_2": {"parameters": {"gamma": 0.7}}})
    assert config.run_name == "from_code"
    assert config.enable_cache is False
    assert config.steps["step_2"].parameters == {"gamma": 0.7}


@pytest.mark.parametrize("text", ["bogus: 1\n", "steps:\n  s:\n    nope: 1\n", "- a list\n", "run_name: [\n"])
def test_invalid_yaml_names_the_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        load_run_config(path)
    assert str(path) in str(err.value)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_run_config(tmp_path / "nope.yaml")


def test_empty_yaml_is_an_empty_configuration(tmp_path):
    assert load_run_config(write(tmp_path, "")).steps == {}


def test_yaml_parameters_override_a_value_the_pipeline_passes_in_code(tmp_path):
    from framework.pipelines.new import pipeline
    from framework.steps import step

    @step
    def scaled(factor: float = 1.0) -> float:
        return factor * 2

    @pipeline
    def passes(factor: float = 3.0):
        scaled(factor=factor)

    config = tmp_path / "run.yaml"
    config.write_text("steps:\n  scaled:\n    parameters:\n      factor: 5.0\n")
    run = passes.with_options(config_path=str(config))()
    assert run.steps["scaled"].parameters == {"factor": 5.0} and run.steps["scaled"].output.load() == 10.0
