"""One artifact store, two homes (SPEC §11): gc in one home never deletes the other's artifacts.

Homes A and B each have their own metadata store and a stack whose artifacts go to one
shared store: a local directory, an fsspec ``memory://`` store, and an S3 bucket (moto).
Both run pipelines; B's store is then made to look like one from before reference records
(its records removed) and runs once more, which must bring all of its records back. A
deletes every run it has (some through the store alone, which leaves their records for gc
to withdraw) and runs ``gc --min-age 0``. Every artifact B's runs reference
must still load (lost = 0), and every artifact only A referenced must be gone (A's space
freed). On the local store, B also has a run in progress, stopped half-way through an
output, which A's gc must not touch either.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from _helpers import PYTHON, child_env, wait_for

from framework import pipeline, stacks, step
from framework.client import Client
from framework.exceptions import ArtifactError
from framework.gc import collect_garbage
from framework.io.atomic import is_temp_name

CHILD = Path(__file__).with_name("_lease_child.py")


@step
def source(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64)


@step
def scaled(values: np.ndarray, factor: float = 2.0) -> np.ndarray:
    return values * factor


@step
def total(values: np.ndarray) -> float:
    return float(values.sum())


@pipeline
def sharing(n: int = 1000, factor: float = 2.0):
    total(values=scaled(values=source(n=n), factor=factor))


def _use(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("FRAMEWORK_HOME", str(home))
    monkeypatch.setenv("FRAMEWORK_STACK", "shared")


def _artifacts_of(c: Client) -> dict[str, object]:
    """Every artifact record any run of the home references, by id."""
    found = {}
    for row in c.metadata_store.query_runs():
        detail = c.metadata_store.get_run_by_id(row.id)
        found.update(detail.artifacts)
    return found


@pytest.mark.parametrize("where", ["local", "memory", "s3"])
def test_gc_in_one_home_keeps_every_artifact_another_home_references(tmp_path, monkeypatch, request, where):
    options = None
    if where == "s3":  # a real S3 protocol server (moto), as in tests/test_remote_artifacts.py
        options, shared = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_url")
    else:
        shared = str(tmp_path / "shared-artifacts") if where == "local" else f"memory://shared-{uuid.uuid4().hex}"
    homes = {name: tmp_path / f"home-{name}" for name in ("a", "b")}
    for home in homes.values():
        stacks.register_stack("shared", artifact_store=shared, artifact_store_options=options, home=home)
    for i, home in enumerate(homes.values()):
        _use(monkeypatch, home)
        for n in (100 + i, 200 + i, 100 + i):  # the third run is served from the cache
            sharing(n=n)
        sharing.with_options(enable_cache=False)(n=300 + i, factor=3.0)

    # B looks like a home from before reference records: its next run writes them all
    _use(monkeypatch, homes["b"])
    b = Client()
    refs = getattr(b.artifact_store, "references", None)  # (None: a build without reference records)
    if refs is not None:
        for run_id in refs.runs_of(b.metadata_store.store_id):
            refs.withdraw(b.metadata_store.store_id, run_id)
        assert refs.runs_of(b.metadata_store.store_id) == {}
    sharing(n=400)
    backfilled = len(refs.runs_of(b.metadata_store.store_id)) if refs is not None else 0
    b_runs = len(list(b.metadata_store.query_runs()))
    b_artifacts = _artifacts_of(Client())

    live = _start_live_run(tmp_path, homes["b"]) if where == "local" else None
    try:
        _use(monkeypatch, homes["a"])
        a = Client()
        a_artifacts = _artifacts_of(a)
        only_a = set(a_artifacts) - set(b_artifacts)
        doomed = [row.id for row in a.metadata_store.query_runs()]
        a.metadata_store.delete_runs(doomed[:2])  # as a program using the store alone would: records stay
        a.delete_runs(*doomed[2:])  # the client withdraws their records too
        report = collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)

        _use(monkeypatch, homes["b"])
        b = Client()
        lost = [aid for aid, record in b_artifacts.items() if not b.artifact_store.verify(record)]
        loaded, load_errors = _load_all(b)
        left_a = [aid for aid in only_a if b.artifact_store.exists(a_artifacts[aid])]
        freed = {d["artifact_id"] for d in report["deleted"] if d["kind"] == "artifact"}
        live_lost = _finish_live_run(live, b) if live is not None else 0
    finally:
        if live is not None and live["proc"].poll() is None:
            live["proc"].kill()
            live["proc"].communicate()
    figures = {"test": "shared-artifact-store", "store": where, "homes": 2, "runs_b": b_runs,
               "records_backfilled": backfilled, "artifacts_b": len(b_artifacts), "outputs_loaded_b": loaded, "load_errors_b": load_errors,
               "lost": len(lost), "live_run_lost": live_lost, "artifacts_only_a": len(only_a),
               "freed_a": len(freed & only_a), "left_a": len(left_a), "freed_bytes": report["freed_bytes"],
               "kept_for_other_stores": report.get("kept_for_other_stores")}
    print(json.dumps(figures))
    assert not lost and live_lost == 0 and load_errors == 0, json.dumps(figures)
    assert backfilled == b_runs, json.dumps(figures)
    assert not left_a and freed == only_a, json.dumps(figures)  # A's space is freed, and only A's


def _load_all(c: Client) -> tuple[int, int]:
    """(outputs of the home's runs that load, outputs that do not)."""
    loaded = errors = 0
    for run in c.list_runs():
        for step_view in run.steps.values():
            for output in step_view.outputs.values():
                try:
                    output.load()
                    loaded += 1
                except ArtifactError:
                    errors += 1
    return loaded, errors


def _start_live_run(tmp_path: Path, home: Path) -> dict:
    """B's run in progress: stopped half-way through writing its second output."""
    marks = tmp_path / "live-marks"
    marks.mkdir()
    env = child_env(home, READY=str(marks / "ready"), GO=str(marks / "go"), RUN_NAME="live",
                    FRAMEWORK_STACK="shared")
    proc = subprocess.Popen([PYTHON, str(CHILD)], cwd=CHILD.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (marks / "ready").exists() or proc.poll() is not None, timeout=120)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    shared = Path(stacks.get_stack("shared", home).artifact_store_url)
    temps = [p for p in shared.rglob("*") if p.is_file() and is_temp_name(p.name) and ".refs" not in p.parts]
    assert len(temps) == 1, temps
    return {"proc": proc, "go": marks / "go", "temp": temps[0]}


def _finish_live_run(live: dict, b: Client) -> int:
    """Let B's live run finish; how many of its files A's gc took (0 expected)."""
    lost = 0 if live["temp"].exists() else 1
    live["go"].write_text("go")
    out, err = live["proc"].communicate(timeout=120)
    if live["proc"].returncode != 0:
        return lost + 1
    detail = b.metadata_store.get_run("live")
    return lost + sum(1 for record in detail.artifacts.values() if not b.artifact_store.verify(record))


@step
def chatty(n: int) -> int:
    print(f"home B's step says {n}")
    return n


@pipeline
def talking(n: int = 1):
    chatty(n=n)


def test_gc_in_one_home_keeps_the_step_logs_of_another_homes_runs(tmp_path, monkeypatch):
    shared = str(tmp_path / "shared-artifacts")
    homes = {name: tmp_path / f"home-{name}" for name in ("a", "b")}
    for home in homes.values():
        stacks.register_stack("shared", artifact_store=shared, home=home)
    _use(monkeypatch, homes["b"])
    kept = talking.with_options(run_name="b-talks")(n=7)
    _use(monkeypatch, homes["a"])
    gone = talking.with_options(run_name="a-talks")(n=8)
    a = Client()
    a.delete_runs(gone.id)
    report = collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)
    freed_logs = [item for item in report["deleted"] if item["kind"] == "log"]
    _use(monkeypatch, homes["b"])
    b_log = Client().get_run("b-talks").steps["chatty"].logs
    figures = {"logs_lost": 0 if "home B's step says 7" in b_log else 1, "own_logs_freed": len(freed_logs)}
    print(json.dumps({"test": "shared_logs", **figures}))
    assert figures == {"logs_lost": 0, "own_logs_freed": 1}, figures
    assert kept.status == "completed"
