"""``framework artifacts export`` writes values other tools open; ``artifacts list`` finds
artifacts across runs (SPEC §10)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pydantic
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from framework import Client
from framework.cli import main
from framework.pipelines.new import pipeline
from framework.steps import Output, step


class Settings(pydantic.BaseModel):
    alpha: float = 0.5
    name: str = "s"


class Opaque:
    def __init__(self) -> None:
        self.x = 1


@step
def produce() -> Output(array=np.ndarray, frame=pd.DataFrame, config=dict, settings=Settings):
    return (np.arange(6, dtype=float).reshape(2, 3), pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}),
            {"k": [1, 2], "ok": True}, Settings(alpha=0.25))


@step
def model_step(array: np.ndarray) -> LogisticRegression:
    return LogisticRegression().fit(np.vstack([array, -array]), [0, 0, 1, 1])


@step
def opaque() -> Opaque:
    return Opaque()


@pipeline
def exporting():
    array, frame, config, settings = produce()
    model_step(array=array)
    opaque()


@pytest.fixture
def run(home):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the pickle fallback warns about Opaque
        return exporting.with_options(run_name="exp")()


def cli(*args):
    return CliRunner().invoke(main, list(args), prog_name="framework")


def test_export_writes_formats_other_tools_open(run, tmp_path):
    assert cli("artifacts", "export", "exp", "produce.array", str(tmp_path / "a.npy")).exit_code == 0
    assert np.load(tmp_path / "a.npy", allow_pickle=False).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert cli("artifacts", "export", "exp", "produce.array", str(tmp_path / "a.csv")).exit_code == 0
    assert np.loadtxt(tmp_path / "a.csv", delimiter=",").shape == (2, 3)
    assert cli("artifacts", "export", "exp", "produce.frame", str(tmp_path / "f.parquet")).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "f.parquet"), run.steps["produce"].outputs["frame"].load())
    assert cli("artifacts", "export", "latest", "produce.frame", str(tmp_path / "f.csv")).exit_code == 0
    assert pd.read_csv(tmp_path / "f.csv", index_col=0)["b"].tolist() == [0.5, 1.5]
    assert cli("artifacts", "export", "exp", "produce.config", str(tmp_path)).exit_code == 0  # a directory
    assert json.loads((tmp_path / "produce.config.json").read_text()) == {"k": [1, 2], "ok": True}
    assert cli("artifacts", "export", "exp", "produce.settings", str(tmp_path / "s")).exit_code == 0  # no suffix
    assert json.loads((tmp_path / "s.json").read_text()) == {"alpha": 0.25, "name": "s"}
    done = cli("artifacts", "export", "exp", "model_step", str(tmp_path / "m.skops"))
    assert done.exit_code == 0 and done.stdout.strip() == f"Wrote {tmp_path / 'm.skops'}"
    import skops.io

    model = skops.io.load(tmp_path / "m.skops", trusted=skops.io.get_untrusted_types(file=tmp_path / "m.skops"))
    assert model.predict(np.ones((1, 3))).tolist() == [0]


@pytest.mark.parametrize("args, words", [
    (["produce.frame", "out.npy"], "can be exported as .parquet, .csv, not .npy"),
    (["opaque", "o.bin"], "has no export format"),
    (["produce", "x.json"], "has 4 outputs"),
    (["produce.nope", "x.json"], "has no output `nope`"),
    (["nostep", "x.json"], "has no step `nostep`"),
])
def test_export_refuses_clearly(run, tmp_path, monkeypatch, args, words):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    result = cli("artifacts", "export", "exp", *args)
    assert result.exit_code == 1 and words in result.stderr, result.stderr
    assert list(out.iterdir()) == []  # nothing half written


def test_export_does_not_overwrite_unless_forced(run, tmp_path):
    target = tmp_path / "a.npy"
    target.write_bytes(b"keep")
    refused = cli("artifacts", "export", "exp", "produce.array", str(target))
    assert refused.exit_code == 1 and "--force" in refused.stderr and target.read_bytes() == b"keep"
    assert cli("artifacts", "export", "exp", "produce.array", str(target), "--force").exit_code == 0
    assert np.load(target).shape == (2, 3)
    assert Client().export_artifact("exp", "produce", "config", tmp_path / "c.json").name == "c.json"


def test_artifacts_list_across_runs(run):
    exporting.with_options(run_name="exp-2")()  # every step cached: the same artifacts, listed once
    rows = json.loads(cli("artifacts", "list", "--json").stdout)
    assert len(rows) == 6 and {r["run"] for r in rows} == {"exp"}
    arrays = json.loads(cli("artifacts", "list", "--type", "array", "--json").stdout)
    assert [(r["step"], r["output"], r["kind"]) for r in arrays] == [("produce", "array", "array")]
    assert [r["output"] for r in json.loads(cli("artifacts", "list", "--type", "DataFrame", "--json").stdout)] == ["frame"]
    assert [r["output"] for r in json.loads(cli("artifacts", "list", "--step", "produce", "--output", "config",
                                                "--json").stdout)] == ["config"]
    assert json.loads(cli("artifacts", "list", "--pipeline", "exporting", "--limit", "2", "--json").stdout)[1]["id"]
    text = cli("artifacts", "list").stdout
    assert "produce" in text and "ndarray" in text
    assert cli("artifacts", "list", "--pipeline", "nope").exit_code == 1
