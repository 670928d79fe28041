"""The command line for run history: runs list filters, --where, --sort, --columns and
formats; tables that fit 80 columns; tag, note and delete; run addressing (SPEC §10)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from framework import Client, log_metadata
from framework.cli import main
from framework.pipelines.new import pipeline
from framework.steps import step

LONG = "a_pipeline_with_a_rather_long_descriptive_name"


@step
def train(gamma: float = 0.1) -> float:
    log_metadata({"accuracy": round(0.5 + gamma, 3)})
    return gamma * 2


@pipeline
def sweep(gamma: float = 0.1):
    train(gamma=gamma)


@pipeline(name=LONG)
def long_named():
    train(gamma=0.004)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    home = tmp_path_factory.mktemp("history") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRAMEWORK_HOME", str(home))
        for gamma in (0.001, 0.01, 0.1, 0.3):
            sweep.with_options(run_name=f"sweep-{gamma}")(gamma=gamma)
        long_named()  # the default name: <pipeline>-<date>-<time>, 70 characters
        Client().tag_run("sweep-0.1", "best")
        Client().tag_run("sweep-0.3", "best", "v2")
    return home


@pytest.fixture
def in_store(store, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_HOME", str(store))
    monkeypatch.delenv("COLUMNS", raising=False)
    return store


def cli(*args: str, input: str | None = None, env: dict | None = None):
    result = CliRunner().invoke(main, list(args), prog_name="framework", input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def names(*args: str) -> list[str]:
    result = cli("runs", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [r["name"] for r in json.loads(result.stdout)]


def test_filters_where_and_sort(in_store):
    assert names("--where", "params.gamma>0.005") == ["sweep-0.3", "sweep-0.1", "sweep-0.01"]
    assert names("--where", "params.gamma>0.005", "--where", "metrics.accuracy<0.7") == ["sweep-0.1", "sweep-0.01"]
    assert names("--where", "params.train.gamma<=0.005 or tags=v2") == [names()[0], "sweep-0.3", "sweep-0.001"]
    assert names("--where", "not (status=completed and pipeline=sweep)") == [names()[0]]
    assert names("--where", "name~'0.0'") == ["sweep-0.01", "sweep-0.001"]
    assert names("--sort", "-metrics.accuracy", "--pipeline", "sweep") == [
        "sweep-0.3", "sweep-0.1", "sweep-0.01", "sweep-0.001"]
    assert names("--sort", "metrics.train.output", "--limit", "2") == ["sweep-0.001", names()[0]]
    assert names("--tag", "best") == ["sweep-0.3", "sweep-0.1"]
    assert names("--tag", "best", "--tag", "v2") == ["sweep-0.3"]
    assert names("--status", "failed", "--status", "completed", "--pipeline", "sweep", "--limit", "1") == ["sweep-0.3"]
    assert len(names("--since", "1h")) == 5 and names("--until", "1h") == []
    assert names("--since", "2000-01-01", "--until", "2999-01-01T00:00") == names()


def test_columns_and_formats(in_store):
    rows = json.loads(cli("runs", "list", "--columns", "name,params.gamma,metrics.accuracy,tags",
                          "--pipeline", "sweep", "--json").stdout)
    assert rows[0] == {"name": "sweep-0.3", "params.gamma": 0.3, "metrics.accuracy": 0.8, "tags": ["best", "v2"]}
    full = json.loads(cli("runs", "list", "--json", "--limit", "1", "--pipeline", "sweep").stdout)[0]
    assert full["params"] == {"pipeline:gamma": 0.3, "train.gamma": 0.3} and full["tags"] == ["best", "v2"]
    assert full["metrics"] == {"train.output": 0.6, "train.accuracy": 0.8}
    text = cli("runs", "list", "--format", "csv", "--columns", "name,status,params.gamma,tags").stdout
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["name", "status", "params.gamma", "tags"]
    assert ["sweep-0.3", "completed", "0.3", "best,v2"] in table
    assert any(row[0].startswith(LONG + "-") and len(row[0]) > 60 for row in table)  # full names in CSV
    markdown = cli("runs", "list", "--format", "markdown", "--columns", "name,metrics.accuracy", "--limit", "2").stdout
    lines = markdown.splitlines()
    assert lines[0] == "| name | metrics.accuracy |" and lines[1] == "| --- | --- |" and len(lines) == 4


def test_a_table_fits_80_columns_and_shortens_long_names_in_the_middle(in_store):
    result = cli("runs", "list", "--columns", "name,pipeline,status,started,duration,params.gamma,tags",
                 env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    long_row = next(line for line in lines if line.startswith("a_pip"))
    assert "…" in long_row and "completed" in long_row
    full = names()[0]
    name_cell = long_row.split("  ")[0]
    head, tail = name_cell.split("…")
    assert full.startswith(head) and full.endswith(tail)  # the time at the end is kept
    assert "sweep-0.3" in result.stdout
    wide = cli("runs", "list").stdout  # off a terminal, without $COLUMNS: lines stay whole
    assert full in wide


@pytest.mark.parametrize("args, words", [
    (["--where", "params.gamma >"], "expected a value"),
    (["--where", "colour=red"], "unknown field `colour`"),
    (["--where", "(status=completed"], "expected `)`"),
    (["--sort", "-nonsense"], "unknown field `nonsense`"),
    (["--columns", "name,bogus"], "unknown field `bogus`"),
    (["--since", "last tuesday"], "cannot read 'last tuesday'"),
    (["--format", "xml"], "xml"),
    (["--tag", "a,b"], "not a valid tag"),
])
def test_bad_listing_options_are_usage_errors(in_store, args, words):
    result = cli("runs", "list", *args)
    assert result.exit_code == 2 and words in result.stderr, result.stderr


def test_run_references_on_the_command_line(in_store):
    latest = names()[0]
    assert json.loads(cli("runs", "show", "latest", "--json").stdout)["name"] == latest
    assert json.loads(cli("runs", "show", "sweep@-4", "--json").stdout)["name"] == "sweep-0.001"
    assert json.loads(cli("runs", "show", "a_pipeline_with", "--json").stdout)["name"] == latest  # a prefix
    ambiguous = cli("runs", "show", "sweep-0.0")
    assert ambiguous.exit_code == 1 and "sweep-0.01" in ambiguous.stderr and "sweep-0.001" in ambiguous.stderr
    missing = cli("runs", "show", "nope")
    assert missing.exit_code == 1 and "framework runs list" in missing.stderr
    compared = json.loads(cli("runs", "compare", "sweep@-1", "sweep@-2", "--json").stdout)
    metric = next(r for r in compared["rows"] if r["section"] == "metrics")
    assert (metric["field"], metric["values"], metric["differs"]) == ("train.accuracy", [0.8, 0.6], True)


def test_show_prints_tags_notes_and_metrics(in_store):
    text = cli("runs", "show", "sweep-0.3").stdout
    assert "best, v2" in text and "train.accuracy=0.8" in text


def test_tag_note_and_delete_runs_and_pipelines(home):
    for gamma in (0.1, 0.2):
        sweep.with_options(run_name=f"s-{gamma}")(gamma=gamma)
    long_named.with_options(run_name="other")()
    assert cli("runs", "tag", "s-0.1", "keep", "x").stdout.strip() == "Run `s-0.1` tags: keep, x"
    assert cli("runs", "tag", "s-0.1", "x", "--remove").stdout.strip() == "Run `s-0.1` tags: keep"
    assert "notes: good one" in cli("runs", "note", "s-0.1", "good one").stdout
    assert Client().get_run("s-0.1").notes == "good one"
    assert "no notes now" in cli("runs", "note", "s-0.1", "").stdout
    assert "tags: prod" in cli("pipelines", "tag", "sweep", "prod").stdout
    assert "notes: sweeps" in cli("pipelines", "note", "sweep", "sweeps").stdout
    assert Client().get_pipeline("sweep").tags == ["prod"]
    assert cli("pipelines", "tag", "nope", "x").exit_code == 1

    dry = cli("runs", "delete", "s-0.1", "s-0.2", "--dry-run")
    assert dry.exit_code == 0 and "Would delete these 2 runs" in dry.stdout and "s-0.2" in dry.stdout
    assert cli("runs", "delete", "s-0.1").exit_code == 1  # no --yes and no answer: aborted
    assert cli("runs", "delete", "s-0.1", input="n\n").exit_code == 1
    assert {r.name for r in Client().query_runs()} == {"s-0.1", "s-0.2", "other"}
    done = cli("runs", "delete", "s-0.1", input="y\n")
    assert done.exit_code == 0 and "Deleted 1 run(s)" in done.stdout and "framework gc" in done.stdout
    gone = cli("pipelines", "delete", "sweep", "--yes", "--json")
    assert json.loads(gone.stdout)["deleted"] == ["s-0.2"]
    assert [p["name"] for p in json.loads(cli("pipelines", "list", "--json").stdout)] == [LONG]
    assert [r.name for r in Client().query_runs()] == ["other"]
