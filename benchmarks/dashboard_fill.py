"""A framework home the dashboard benchmark reads: one pipeline with N runs, a 200-step run.

``python -m benchmarks.dashboard_fill HOME RUNS [big|small] [TAGGED]`` (prints a JSON summary).

Written in the TinyDB store's own layout in one pass (as ``store_fill`` does, whose
``BulkFiles`` it uses), because 10,000 runs through the API take minutes:

* pipeline ``wide``: version 1 is a 200-step graph — 20 nested pipeline calls of 10 steps
  each (groups), fed by one loader, each group a chain with a branch, all joined by one
  report step, plus a long edge from the loader to the report; ``RUNS`` runs, each with
  its summary (parameters ``trainer.lr``, ``trainer.depth``, ``pipeline:seed``, a
  ``note`` string of 10,000 characters; metrics ``score.accuracy`` and ``score.loss``),
  every 17th run ``failed``, every 2nd tagged ``sweep`` and every 100th ``best`` (a
  common tag and a rare one), every 10th with a line of notes. The newest run has all
  200 step records (each with a scalar output); older runs keep three, which is all a
  listing never reads anyway. Its index entries carry no listing row (as in a store
  written before rows existed), which the figures measured before rows keep comparing.
* 49 more pipelines with one small run each, so the front page lists 50.
* pipeline ``tagged`` (``TAGGED`` runs; none unless asked): runs tagged and noted as in
  ``wide``, written as today's store writes them — each index entry with its listing row
  (``checks.row_document``), which ``query_runs`` (the tag filter) reads instead of run
  files — with summaries of ordinary size (no 10,000-character parameter) and no steps
  files (a listing never reads them).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from benchmarks.store_fill import BulkFiles
from framework.metadata import TinyDBStore
from framework.metadata.checks import row_document
from framework.metadata.tinydb import layout, rows
from framework.records import Artifact, Pipeline, Run, StepRun, Version, to_doc

GROUPS, GROUP_SIZE = 20, 10
OTHER_PIPELINES = 49
BUILTINS = "framework.artifacts.materializers.builtin_types.BuiltinsMaterializer"


def _id() -> str:
    return uuid.uuid4().hex


def wide_spec() -> dict[str, Any]:
    """The 200-step graph: loader → 20 groups (chain with a branch) → report."""
    invocations = [{"id": "load_raw_data", "step_name": "load_raw_data", "inputs": {}, "after": []}]
    ends = []
    for g in range(GROUPS):
        group = [f"features_{g:02d}"]
        names = [f"transform_{g:02d}_{i}_with_a_rather_long_name" if i % 3 == 1 else f"step_{g:02d}_{i}"
                 for i in range(GROUP_SIZE - (1 if g < 2 else 0))]
        for i, name in enumerate(names):
            upstream = "load_raw_data" if i == 0 else names[i - 1 - (1 if i % 4 == 3 else 0)]
            invocations.append({"id": name, "step_name": name, "group": group,
                                "inputs": {"data": [upstream, "output"]}, "after": []})
        ends.append(names[-1])
    invocations.append({"id": "report", "step_name": "report", "after": [],
                        "inputs": {**{f"in_{i}": [e, "output"] for i, e in enumerate(ends)},
                                   "raw": ["load_raw_data", "output"]}})
    assert len(invocations) == 200
    return {"name": "wide", "api": "function", "invocations": invocations}


def _step(run: Run, inv: dict[str, Any], index: int, start: dt.datetime) -> tuple[dict, dict]:
    artifact = Artifact(id=_id(), uri="ab/" + _id() + ".json", materializer=BUILTINS, data_type="builtins.float",
                        format_version=1, size=18, content_hash="xxh3_128:" + "0" * 32,
                        metadata={"value": round(0.5 + index / 1000, 4)}, step_name=inv["id"],
                        output_name="output", run_name=run.name, invocation_id=inv["id"])
    step = StepRun(id=_id(), run_id=run.id, invocation_id=inv["id"], step_name=inv["step_name"],
                   status="failed" if run.status == "failed" and index == 199 else "completed",
                   parameters={"k": index}, outputs={"output": artifact.id},
                   start_time=(start + dt.timedelta(seconds=index)).isoformat(),
                   end_time=(start + dt.timedelta(seconds=index + 0.5)).isoformat(), duration=0.5)
    return to_doc(step), to_doc(artifact)


def _run(name: str, pipeline: Pipeline, i: int, start: dt.datetime, order: list[str], note: str | None) -> Run:
    """Run ``i`` of a pipeline: every 17th failed, every 2nd tagged ``sweep`` and every 100th
    ``best``, every 10th with notes; its summary holds ``note`` as a parameter if given."""
    params = {"pipeline:seed": i % 7, "trainer.lr": 10 ** -(1 + i % 4), "trainer.depth": 2 + i % 6}
    return Run(id=_id(), name=f"{name}-{i:05d}", pipeline_name=name, pipeline_id=pipeline.id, version=1,
               status="failed" if i % 17 == 16 else "completed", start_time=start.isoformat(),
               end_time=(start + dt.timedelta(seconds=90)).isoformat(), duration=90.0, api="function",
               pipeline_parameters={"seed": i % 7}, step_order=order,
               tags=["sweep"] * (i % 2 == 0) + ["best"] * (i % 100 == 0),
               notes=f"Run {i}: <b>seed</b> {i % 7}, looked fine." if i % 10 == 0 else None,
               summary={"params": {**params, **({"trainer.note": note} if note else {})},
                        "metrics": {"score.accuracy": round(0.6 + 0.3 * ((i * 37) % 100) / 100, 4),
                                    "score.loss": round(1.0 - 0.5 * ((i * 53) % 100) / 100, 4)}})


def fill(home: Path, runs: int, big_run: bool = True, tagged: int = 0) -> dict[str, Any]:
    """Write the store; ``big_run=False`` gives the newest run three steps like the others;
    ``tagged``: runs of pipeline ``tagged`` (none by default)."""
    store = TinyDBStore(home / "metadata")
    files = BulkFiles(Path(store.root))
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    spec = wide_spec()
    small = [{"name": f"pipeline_{k:02d}", "api": "function", "invocations": spec["invocations"][:3]}
             for k in range(OTHER_PIPELINES)]
    # (spec, runs, written as today's store writes them: listing rows, no steps files)
    pipelines = [(spec, runs, False)] + [(s, 1, False) for s in small]
    pipelines += [({**small[0], "name": "tagged"}, tagged, True)] if tagged else []
    note = "x" * 10_000
    for p_index, (p_spec, count, with_rows) in enumerate(pipelines):
        name = p_spec["name"]
        pipeline = Pipeline(id=_id(), name=name, created=base.isoformat(), latest_version=1, run_count=count)
        doc = {**to_doc(pipeline), "index_chunk": 0}
        files.insert(layout.PIPELINES, "pipelines", doc)
        files.insert(layout.VERSIONS, "versions", to_doc(Version(
            pipeline_id=pipeline.id, pipeline_name=name, number=1, hash=f"h{p_index}", spec=p_spec,
            created=base.isoformat())))
        order = [inv["id"] for inv in p_spec["invocations"]]
        entries = []
        for i in range(count):
            start = base + dt.timedelta(minutes=i + p_index)
            run = _run(name, pipeline, i, start, order, None if with_rows else note)
            newest = big_run and i == count - 1 and not with_rows
            steps = [] if with_rows else [
                _step(run, inv, k, start) for k, inv in enumerate(p_spec["invocations"][: 200 if newest else 3])]
            files.insert(layout.run_file(run.id), "run", to_doc(run))
            for chunk in range(0, len(steps), layout.STEPS_CHUNK):
                rel = layout.steps_file(run.id, chunk // layout.STEPS_CHUNK)
                for step_doc, artifact_doc in steps[chunk:chunk + layout.STEPS_CHUNK]:
                    files.insert(rel, "step_runs", step_doc)
                    files.insert(rel, "artifacts", artifact_doc)
            files.insert(layout.name_file(run.name), "names", {"name": run.name, "run_id": run.id})
            entry = {"run_id": run.id, "start_time": run.start_time, "name": run.name}
            if with_rows:
                entry["row"] = row_document(to_doc(run))
                files.tables(layout.run_file(run.id))[rows.INDEX_TABLE] = {"1": {"chunk": i // layout.INDEX_CHUNK}}
            entries.append(entry)
        for chunk in range(0, len(entries), layout.INDEX_CHUNK):
            files.files[layout.index_file(pipeline.id, chunk // layout.INDEX_CHUNK)] = {
                "runs": {str(k + 1): e for k, e in enumerate(entries[chunk:chunk + layout.INDEX_CHUNK])}}
        doc.update(last_run_id=entries[-1]["run_id"], index_chunk=(len(entries) - 1) // layout.INDEX_CHUNK)
    files.write()
    return {"runs": runs + OTHER_PIPELINES + tagged, "pipelines": len(pipelines), "wide_run": f"wide-{runs - 1:05d}",
            "steps": len(spec["invocations"])}


if __name__ == "__main__":
    print(json.dumps(fill(Path(sys.argv[1]), int(sys.argv[2]), big_run=sys.argv[3:4] != ["small"],
                          tagged=int(sys.argv[4]) if len(sys.argv) > 4 else 0)))
