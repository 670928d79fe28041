"""Run names (SPEC §5): placeholders, default template, validation as keys."""

import datetime as dt

import pytest

from framework import run_names

NOW = dt.datetime(2023, 2, 19, 11, 7, 9, 326492, tzinfo=dt.timezone.utc)


def test_default_name_is_pipeline_date_time():
    assert run_names.render(None, pipeline="p", now=NOW) == "p-2023_02_19-11_07_09_326492"


@pytest.mark.parametrize("template", ["run_{date}_{time}", "run_{{date}}_{{time}}"])
def test_both_placeholder_spellings(template):
    assert run_names.render(template, pipeline="p", now=NOW) == "run_2023_02_19_11_07_09_326492"


@pytest.mark.parametrize("template", ["run_{user}", "run_{{user}}", "run_{0}", "run_{", "{date!r}x{nope}"])
def test_unknown_placeholder_is_value_error(template):
    with pytest.raises(ValueError):
        run_names.render(template, pipeline="p", now=NOW)


@pytest.mark.parametrize("name", ["../x", "/", "a/b", "a\\b", "", "  ", ".", "..", "a\x00b", "tab\there", "x" * 300])
def test_names_are_keys_not_paths(name):
    with pytest.raises(ValueError):
        run_names.render(name, pipeline="p", now=NOW)


def test_plain_name_passes():
    assert run_names.render("custom_pipeline_run_name", pipeline="p") == "custom_pipeline_run_name"
