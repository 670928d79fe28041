"""Deleting runs and pipelines, then gc: the space only they used is freed, to the byte,
and nothing a remaining run uses (also through a cached step) is ever deleted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from framework import Client, stacks
from framework.exceptions import RunInProgressError
from framework.gc import collect_garbage
from framework.pipelines.new import pipeline
from tests.seed_steps import loader, new_trainer, scorer


@pipeline
def deletable(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(C=C, X_train=X_train, y_train=y_train)
    scorer(model=model, X_test=X_test, y_test=y_test)


def _artifact_ids(run) -> set[str]:
    return {aid for step in run.steps.values() for aid in step.record.outputs.values()}


def _files(home: Path) -> dict[str, int]:
    """Artifact files by id: their sizes on disk."""
    return {p.name.split(".")[0]: p.stat().st_size for p in (home / "artifacts").rglob("*")
            if p.is_file() and ".refs" not in p.parts}  # (not the reference records)


def test_gc_after_deleting_frees_exactly_the_bytes_only_the_deleted_runs_used(home):
    a = deletable.with_options(run_name="a")(C=1.0)  # executes every step
    b = deletable.with_options(run_name="b")(C=0.5)  # loader cached from a
    c = deletable.with_options(run_name="c")(C=2.0)  # loader cached from a; kept
    assert c.steps["loader"].is_cached and c.steps["loader"].original_run_id == a.id
    kept = _artifact_ids(c)
    only_deleted = (_artifact_ids(a) | _artifact_ids(b)) - kept
    sizes = _files(home)
    expected = sum(sizes[aid] for aid in only_deleted)
    assert expected > 0 and len(only_deleted) == 4  # a's and b's models and scores

    assert Client().delete_runs("a", "b") == ["a", "b"]
    report = collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)
    artifacts = [d for d in report["deleted"] if d["kind"] == "artifact"]  # (and any metadata temp file
    assert sum(d["size"] for d in artifacts) == expected                   # of the deletion not yet freed)
    assert {d["artifact_id"] for d in artifacts} == only_deleted
    assert set(_files(home)) == kept
    again = Client().get_run("c")  # the cached loader's outputs came from the deleted run a
    assert again.steps["loader"].outputs["X_train"].load().shape == (30, 3)
    assert again.steps["scorer"].output.load() == c.steps["scorer"].output.load()
    assert [d for d in collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)["deleted"]
            if d["kind"] == "artifact"] == []


def test_deleting_a_pipeline_keeps_what_another_pipeline_uses(home):
    deletable.with_options(run_name="first")(C=1.0)

    @pipeline
    def other(C: float = 3.0):
        X_train, X_test, y_train, y_test = loader()
        new_trainer(C=C, X_train=X_train, y_train=y_train)

    kept = other.with_options(run_name="other-run")()  # loader cached from `first`
    assert kept.steps["loader"].is_cached
    assert Client().delete_pipeline("deletable") == ["first"]
    assert Client().get_pipeline("deletable") is None
    collect_garbage(stacks.active_stack(), dry_run=False, min_age=0)
    assert set(_files(home)) == _artifact_ids(kept)
    assert Client().get_run("other-run").steps["loader"].outputs["y_test"].load().shape == (10,)
    rerun = deletable.with_options(run_name="first")(C=1.0)  # the name is free again
    # the cache entries went with the deleted run: the loader runs again
    assert not rerun.steps["loader"].is_cached and rerun.status == "completed"


def test_a_run_in_progress_is_refused_and_nothing_is_deleted(home):
    from tests.test_metadata_contract import make_run

    finished = deletable.with_options(run_name="done")()
    store = Client().metadata_store
    make_run(store, "in-progress", pipeline="deletable")  # owned by this live process
    with pytest.raises(RunInProgressError, match="in-progress` is still running"):
        Client().delete_runs("done", "in-progress")
    assert {r.name for r in Client().query_runs()} == {"done", "in-progress"}
    with pytest.raises(RunInProgressError):
        Client().delete_pipeline("deletable")
    assert Client().get_run("done").id == finished.id


def test_deleted_runs_leave_no_record_and_their_origin_reads_as_gone(home):
    a = deletable.with_options(run_name="orig")()
    b = deletable.with_options(run_name="copy")()
    Client().delete_runs(a.id[:12])
    from framework.reports.runs import Origins, describe_run

    client = Client()
    shown = describe_run(client.get_run("copy"), Origins(client))
    origin = next(s for s in shown["steps"] if s["name"] == "loader")["cached_from"]
    assert origin == {"run": None, "run_id": a.id, "step": None, "step_run_id": b.steps["loader"].original_step_run_id}
    assert not any(a.id in p.name for p in (home / "metadata").rglob("*") if not p.name.endswith(".tmp"))
    assert os.listdir(home / "metadata" / "runs")
