"""Metadata damage that is still valid JSON (SPEC §11): detected, named, and repaired.

A probe matrix over the files of a TinyDB store: each of its kinds of file is removed,
emptied (to nothing, and to ``{}``), stripped of a key (by hand, and by a program that
also rewrote the checksum) or truncated, in a copy of one populated home. Every probe then
runs what users run: ``runs list``, ``runs show``, the pipeline in the client, the next run
of the pipeline, and ``framework doctor``. A probe is

* **silent** if nothing — no command, no read, not the doctor — says anything is wrong;
* **wrong** if a command shows other data than before without an error, or the next run
  registers the pipeline under a new id (orphaning its runs) or loses earlier runs;
* **raw** if anything ends in an exception that is not the framework's own (a traceback).

Then ``framework doctor --repair`` must leave a store the doctor finds healthy (or one whose
only problems it names as beyond repair), with every run of before still there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework import pipeline, step
from framework.cli import main
from framework.client import Client
from framework.exceptions import FrameworkError
from framework.metadata.tinydb import layout

try:
    from framework.metadata.tinydb.seal import reseal
except ImportError:  # a build without checksums: a file rewritten by another program needs none
    def reseal(path: str) -> None:
        pass

STORE_FILE = "store.json"  # the store's identity (framework.metadata.tinydb.identity)


def _parse(raw: bytes) -> dict:
    """A store file's tables, without its checksum."""
    data = json.loads(re.sub(rb',?"_sum":"[0-9a-f]{32}"\}\s*$', b"}", raw))
    data.pop("_sum", None)
    return data


@step
def load(n: int) -> list:
    return list(range(n))


@step
def double(values: list) -> list:
    return [2 * v for v in values]


@pipeline
def probed(n: int = 5):
    double(values=load(n=n))


@pipeline
def other(n: int = 3):
    load(n=n)


def _drop_key(raw: bytes) -> bytes:
    """The first document of the first non-empty table loses its first key (a hand edit)."""
    data = _parse(raw)
    for table in data.values():
        for doc in table.values():
            doc.pop(next(iter(doc)))
            return json.dumps(data, separators=(",", ":")).encode()
    return json.dumps(data).encode()


DAMAGES = {
    "remove": None,
    "empty": lambda raw: b"",
    "empty-json": lambda raw: b"{}",
    "drop-key": _drop_key,
    "drop-key-resealed": _drop_key,  # then resealed: another program that writes checksums
    "truncate": lambda raw: raw[: len(raw) // 2],
}


def _populate(home: Path, monkeypatch) -> dict:
    monkeypatch.setenv("FRAMEWORK_HOME", str(home))
    runs = [probed(n=5), probed(n=5), probed(n=6), other(n=3)]
    c = Client()
    target = c.get_run(runs[1].name)
    pipeline_id = c.get_pipeline("probed").id
    files = {
        "store": STORE_FILE, "pipelines": layout.PIPELINES, "versions": layout.VERSIONS,
        "run": layout.run_file(target.id), "steps": layout.steps_file(target.id),
        "names": layout.name_file(target.name), "index": layout.index_file(pipeline_id, 0),
        "cache": layout.cache_file(c.get_run(runs[0].name).steps["double"].cache_key),
    }
    return {"files": files, "target": target.name, "pipeline_id": pipeline_id, "runs": [r.name for r in runs]}


class Outcome:
    def __init__(self) -> None:
        self.detected: list[str] = []
        self.wrong: list[str] = []
        self.raw: list[str] = []


def _normal(output: str) -> str:
    """A command's output without the home's path (which differs from copy to copy) and the
    column padding that follows from its length."""
    return re.sub(r"[ ─]+", " ", output.replace(os.environ["FRAMEWORK_HOME"], "<home>"))


def _shown(args: list[str]) -> str:
    return _normal(CliRunner().invoke(main, args).output)


def _cli(outcome: Outcome, args: list[str], baseline: str | None) -> str:
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        outcome.raw.append(f"{' '.join(args)}: {type(result.exception).__name__}: {result.exception}")
    elif result.exit_code != 0:
        if "Error:" in result.output and "'" in result.output:  # one line naming the file
            outcome.detected.append(" ".join(args))
        else:
            outcome.raw.append(f"{' '.join(args)}: exit {result.exit_code}: {result.output[-300:]}")
    elif baseline is not None and _normal(result.output) != baseline:
        outcome.wrong.append(f"{' '.join(args)} showed other data: {result.output[:200]!r}")
    return result.output


def _reads(outcome: Outcome, info: dict, baselines: dict) -> None:
    _cli(outcome, ["runs", "list"], baselines["list"])
    _cli(outcome, ["runs", "show", info["target"]], baselines["show"])
    try:
        view = Client().get_pipeline("probed")
        seen = (view.id, [r.name for r in view.runs], len(view.versions)) if view is not None else None
        if seen != baselines["pipeline"]:
            outcome.wrong.append(f"get_pipeline showed {seen}")
    except FrameworkError:
        outcome.detected.append("get_pipeline")
    except Exception as exc:  # noqa: BLE001 - what the matrix counts
        outcome.raw.append(f"get_pipeline: {type(exc).__name__}: {exc}")


def _next_run(outcome: Outcome, info: dict) -> None:
    try:
        run = probed(n=5)
    except FrameworkError:
        outcome.detected.append("next run")
        return
    except Exception as exc:  # noqa: BLE001
        outcome.raw.append(f"next run: {type(exc).__name__}: {exc}")
        return
    c = Client()
    try:
        registered = c.get_pipeline("probed")
        known = {r.name for r in c.list_runs()}
    except FrameworkError:
        outcome.detected.append("reads after the next run")
        return
    except Exception as exc:  # noqa: BLE001
        outcome.raw.append(f"reads after the next run: {type(exc).__name__}: {exc}")
        return
    if registered is None or registered.id != info["pipeline_id"]:
        outcome.wrong.append(f"the next run registered pipeline `probed` anew ({run.name})")
    if not set(info["runs"]) <= known:
        outcome.wrong.append(f"after the next run, runs are gone: {sorted(set(info['runs']) - known)}")


def test_probe_matrix_every_damage_is_named_and_repaired(tmp_path, monkeypatch):
    pristine = tmp_path / "pristine"
    info = _populate(pristine, monkeypatch)
    baselines = {"list": _shown(["runs", "list"]), "show": _shown(["runs", "show", info["target"]]),
                 "runs": {r.name: (r.status, r.end_time) for r in Client().list_runs()}}
    view = Client().get_pipeline("probed")
    baselines["pipeline"] = (view.id, [r.name for r in view.runs], len(view.versions))
    counts = {"probes": 0, "detected": 0, "silent": 0, "wrong": 0, "raw": 0, "repaired": 0, "runs_lost": 0,
              "unrepairable": 0, "records_lost": 0, "listing_changed": 0}
    details: list[str] = []
    for kind, relpath in info["files"].items():
        for damage, change in DAMAGES.items():
            home = tmp_path / f"{kind}-{damage}"
            shutil.copytree(pristine, home)
            monkeypatch.setenv("FRAMEWORK_HOME", str(home))
            path = home / "metadata" / relpath
            if not path.exists():  # (a build that does not write this file)
                continue
            if change is None:
                path.unlink()
            else:
                path.write_bytes(change(path.read_bytes()))
                if damage.endswith("resealed"):
                    reseal(str(path))
            outcome = Outcome()
            _reads(outcome, info, baselines)
            doctor = CliRunner().invoke(main, ["doctor"])
            if doctor.exception is not None and not isinstance(doctor.exception, SystemExit):
                outcome.raw.append(f"doctor: {type(doctor.exception).__name__}: {doctor.exception}")
            elif doctor.exit_code == 1 and str(path) in doctor.output:
                outcome.detected.append("doctor")
            _next_run(outcome, info)
            counts["probes"] += 1
            label = f"{kind}/{damage}"
            counts["detected"] += bool(outcome.detected)
            counts["silent"] += not outcome.detected and not outcome.wrong and not outcome.raw
            counts["wrong"] += bool(outcome.wrong)
            counts["raw"] += bool(outcome.raw)
            details += [f"{label}: wrong: {w}" for w in outcome.wrong] + [f"{label}: raw: {r}" for r in outcome.raw]
            if not outcome.detected:
                details.append(f"{label}: nothing noticed")
            _repair(home, info, baselines, counts, details, label)
    print(json.dumps({"test": "store-doctor-probe-matrix", **counts}))
    summary = json.dumps({k: v for k, v in counts.items() if k != "beyond_repair"}) + "\n" + "\n".join(details[:40])
    assert counts["silent"] == 0 and counts["wrong"] == 0 and counts["raw"] == 0, summary
    assert counts["runs_lost"] == 0 and counts["repaired"] + counts["unrepairable"] == counts["probes"], summary
    assert counts["listing_changed"] == 0, summary


def _repair(home: Path, info: dict, baselines: dict, counts: dict, details: list[str], label: str) -> None:
    """``doctor --repair``, then: healthy (or only what it says it cannot repair), runs all there."""
    repaired = CliRunner().invoke(main, ["doctor", "--repair", "--json"])
    if repaired.exception is not None and not isinstance(repaired.exception, SystemExit):
        counts["raw"] += 1
        details.append(f"{label}: doctor --repair: {type(repaired.exception).__name__}: {repaired.exception}")
        return
    try:
        report = json.loads(repaired.output)
    except ValueError:
        details.append(f"{label}: doctor --repair: {repaired.output.strip().splitlines()[-1:]}")
        return
    left = report["problems"]
    if left and all(not p["repairable"] for p in left):
        counts["unrepairable"] += 1
        counts.setdefault("beyond_repair", []).append(f"{label}: {left[0]['problem'][:90]}")
    elif left:
        details.append(f"{label}: after repair: {left[:3]}")
        return
    else:
        counts["repaired"] += 1
    counts["records_lost"] += len(report["repair"]["lost"])  # named in the report: what no file still held
    try:
        known = {r.name: (r.status, r.end_time) for r in Client().list_runs()}
    except Exception as exc:  # noqa: BLE001 - what the matrix counts
        counts["raw"] += not isinstance(exc, FrameworkError)
        details.append(f"{label}: after repair the store still fails: {type(exc).__name__}: {exc}")
        return
    lost = set(info["runs"]) - set(known)
    counts["runs_lost"] += len(lost)
    changed = {name for name in set(info["runs"]) & set(known) if known[name] != baselines["runs"][name]}
    if changed:
        counts["listing_changed"] += 1
        details.append(f"{label}: after repair these runs show another status or end: {sorted(changed)}")
    if lost:
        details.append(f"{label}: runs lost by the repair: {sorted(lost)}")


@pytest.mark.parametrize("what", ["pipelines", "steps", "name"])
def test_the_three_damages_users_met(home, what):
    """``rm pipelines.json`` no longer reads as "No runs yet." nor re-registers the pipeline;
    a lost steps file no longer shows a completed run without steps; a run record without
    "name" is one line naming its file."""
    first, _second = probed(n=5), probed(n=5)
    c = Client()
    run = c.get_run(first.name)
    root = Path(home) / "metadata"
    if what == "pipelines":
        (root / layout.PIPELINES).unlink()
        listing = CliRunner().invoke(main, ["runs", "list"])
        assert listing.exit_code == 1 and "No runs yet" not in listing.output
        assert f"'{root / layout.PIPELINES}' is missing" in listing.output
        with pytest.raises(FrameworkError, match="pipelines.json"):
            probed(n=5)  # never registered again under a new id
    elif what == "steps":
        (root / layout.steps_file(run.id)).unlink()
        shown = CliRunner().invoke(main, ["runs", "show", first.name])
        assert shown.exit_code == 1 and layout.steps_file(run.id).rsplit("/", 1)[1] in shown.output
    else:
        path = root / layout.run_file(run.id)
        data = _parse(path.read_bytes())
        data["run"]["1"].pop("name")
        path.write_text(json.dumps(data))
        reseal(str(path))  # even written with a valid checksum (another program)
        for args in (["runs", "show", run.id], ["runs", "delete", run.id, "--yes"], ["artifacts", "list"], ["doctor"]):
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 1, (args, result.output)
            assert isinstance(result.exception, SystemExit) and str(path) in result.output, (args, result.output)
    doctor = CliRunner().invoke(main, ["doctor"])
    assert doctor.exit_code == 1
    fixed = CliRunner().invoke(main, ["doctor", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert {r.name for r in Client().list_runs()} >= {first.name}
