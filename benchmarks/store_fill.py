"""Give a framework home a history of N runs, fast, in the store's own layout.

``python -m benchmarks.store_fill HOME RUNS CHAIN_LENGTH`` (prints a JSON summary).

Writing 10,000 runs through the API would cost ~10 transactions each, every one fsynced:
minutes. Here the real engine runs the measured pipelines once each (``chain_1`` and
``chain_<CHAIN_LENGTH>`` of ``benchmarks.chain``, uncached) and everything else is
generated in memory and written in one pass with the store's own layout and encoding
(``framework.metadata.tinydb.layout``, ``files.encode_tables``), with a ``.bak`` hard link
beside each file as a real store keeps, and flushed to disk once at the end (``os.sync``)
so the measurements meet a store at rest. What the history holds, so that the
measured operations meet the files a real store of that age would give them:

* 31 more completed runs of each measured chain, with the real runs' step records and
  artifacts: every cache key the measured runs use then holds as many entries as its
  cache file keeps (``MAX_CACHE_ENTRIES``: the largest it gets);
* the remaining runs spread over 48 other pipelines of 3 steps (4 array outputs, a model,
  a score): one step executed per run (a new cache key each time), two served from the
  cache — so ``pipelines.json`` lists 50 pipelines, the name shards hold 10,000 names,
  the per-pipeline indexes ~200 runs each, and ``runs/`` and ``cache/`` hold one file per
  run and step run as the API would have written them;
* every run with its ``summary`` (flat parameters and metrics, as the launcher writes when a
  run closes) and its listing row in the index, so ``runs list --where …`` meets what it
  would after 10,000 real runs.

``tests/test_benchmarks.py`` checks that a store filled this way reads back, through
``TinyDBStore``, exactly as one written through the API.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framework.metadata import MAX_CACHE_ENTRIES, TinyDBStore
from framework.metadata.checks import row_document
from framework.metadata.tinydb import layout, rows
from framework.metadata.tinydb.files import encode_tables, load_tables
from framework.records import to_doc

HISTORY_PIPELINES = 48
CHAIN_COPIES = 31  # + the real run: 32 runs of each chain (their cache files keep the newest few)
CACHE_CAP = MAX_CACHE_ENTRIES


def _id() -> str:
    return uuid.uuid4().hex


class BulkFiles:
    """Store files edited in memory (read from disk on first use) and written in one pass."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, dict[str, dict[str, Any]]] = {}

    def tables(self, relpath: str) -> dict[str, dict[str, Any]]:
        data = self.files.get(relpath)
        if data is None:
            data = self.files[relpath] = load_tables(str(self.root / relpath)) or {}
        return data

    def table(self, relpath: str, name: str) -> dict[str, Any]:
        return self.tables(relpath).setdefault(name, {})

    def insert(self, relpath: str, name: str, doc: dict[str, Any]) -> None:
        table = self.table(relpath, name)
        table[str(max(map(int, table), default=0) + 1)] = doc

    def write(self) -> int:
        for relpath, data in self.files.items():
            path = self.root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encode_tables(data))
            backup = path.with_name(path.name + ".bak")  # as a store that rewrote the file keeps
            if not backup.exists():
                os.link(path, backup)
        return len(self.files)


def _ts(base: dt.datetime, seconds: float) -> str:
    return (base + dt.timedelta(seconds=seconds)).isoformat()


def _add_run(files: BulkFiles, run: dict[str, Any], steps: list[dict[str, Any]],
             artifacts: list[dict[str, Any]]) -> None:
    files.insert(layout.run_file(run["id"]), "run", run)
    for chunk_start in range(0, max(len(steps), 1), layout.STEPS_CHUNK):
        chunk_steps = steps[chunk_start:chunk_start + layout.STEPS_CHUNK]
        ids = {aid for s in chunk_steps for aid in (s.get("outputs") or {}).values()}
        rel = layout.steps_file(run["id"], chunk_start // layout.STEPS_CHUNK)
        for step in chunk_steps:
            files.insert(rel, "step_runs", step)
        for artifact in artifacts:
            if artifact["id"] in ids:
                files.insert(rel, "artifacts", artifact)
    files.insert(layout.name_file(run["name"]), "names", {"name": run["name"], "run_id": run["id"]})
    for step in steps:
        if step["status"] == "completed" and step.get("cache_key"):
            outs = set((step.get("outputs") or {}).values())
            files.insert(layout.cache_file(step["cache_key"]), "entries", {
                "cache_key": step["cache_key"], "run_id": run["id"], "step_run_id": step["id"],
                "outputs": step["outputs"], "artifacts": {a["id"]: a for a in artifacts if a["id"] in outs},
                "created": step["end_time"]})


def _rebuild_indexes(files: BulkFiles, runs_by_pipeline: dict[str, list[dict]]) -> None:
    """Each pipeline's index chunks, in start-time order, and its record's counters."""
    pipelines = files.table(layout.PIPELINES, "pipelines")
    for doc in pipelines.values():
        runs = sorted(runs_by_pipeline.get(doc["id"], []), key=lambda r: (r["start_time"], r["id"]))
        if not runs:
            continue
        for chunk in range(0, len(runs), layout.INDEX_CHUNK):
            rel = layout.index_file(doc["id"], chunk // layout.INDEX_CHUNK)
            files.files[rel] = {"runs": {str(i + 1): {"run_id": r["id"], "start_time": r["start_time"],
                                                      "row": row_document(r)}
                                         for i, r in enumerate(runs[chunk:chunk + layout.INDEX_CHUNK])}}
            for r in runs[chunk:chunk + layout.INDEX_CHUNK]:
                files.tables(layout.run_file(r["id"]))[rows.INDEX_TABLE] = {"1": {"chunk": chunk // layout.INDEX_CHUNK}}
        doc.update(run_count=len(runs), last_run_id=runs[-1]["id"],
                   index_chunk=(len(runs) - 1) // layout.INDEX_CHUNK)


def _cap_cache_files(files: BulkFiles) -> None:
    for relpath, data in files.files.items():
        entries = data.get("entries")
        if relpath.startswith("cache/") and entries and len(entries) > CACHE_CAP:
            kept = sorted(entries.items(), key=lambda kv: (kv[1].get("created") or "", int(kv[0])))[-CACHE_CAP:]
            data["entries"] = dict(sorted(kept, key=lambda kv: int(kv[0])))


def _history_pipeline(files: BulkFiles, k: int, created: str) -> dict[str, Any]:
    pipeline = {"id": _id(), "name": f"history_{k:02d}", "created": created, "latest_version": 1,
                "last_run_id": None, "run_count": 0, "index_chunk": 0}
    files.insert(layout.PIPELINES, "pipelines", pipeline)
    files.insert(layout.VERSIONS, "versions", {
        "pipeline_id": pipeline["id"], "pipeline_name": pipeline["name"], "number": 1, "hash": f"h{k}",
        "spec": {"name": pipeline["name"], "api": "function", "invocations": [
            {"id": s, "step_name": s, "step_class": f"history.{s}"} for s in ("loader", "trainer", "scorer")]},
        "created": created})
    return pipeline


def _artifact(step: str, output: str, run_name: str, materializer: str, data_type: str,
              size: int, metadata: dict[str, Any]) -> dict[str, Any]:
    aid = _id()
    return {"id": aid, "uri": f"{aid[:2]}/{aid}.npy", "materializer": materializer, "data_type": data_type,
            "format_version": 1, "size": size, "content_hash": "xxh3_128:" + _id(), "metadata": metadata,
            "signature": None, "step_name": step, "output_name": output, "run_name": run_name,
            "invocation_id": step}


NPY = "framework.artifacts.materializers.numpy_arrays.NumpyMaterializer"


def history_runs(pipelines: list[dict[str, Any]], template: dict[str, Any], count: int,
                 base: dt.datetime) -> Iterator[tuple[dict, list, list]]:
    """``count`` runs spread over ``pipelines`` a minute apart, each pipeline's later runs
    cached from its first (`_history_run`); shared by the TinyDB and PostgreSQL fills."""
    firsts: dict[str, dict[str, Any]] = {}
    for i in range(count):
        pipeline = pipelines[i % len(pipelines)]
        first = firsts.get(pipeline["id"])
        run, steps, artifacts = _history_run(pipeline, template, i // len(pipelines) + 1,
                                             base + dt.timedelta(seconds=60 * i), first)
        if first is None:
            firsts[pipeline["id"]] = {"run": run, "steps": {s["step_name"]: s for s in steps},
                                      "artifacts": artifacts}
        yield run, steps, artifacts


def _history_run(pipeline: dict[str, Any], template: dict[str, Any], number: int, start: dt.datetime,
                 first: dict[str, Any] | None) -> tuple[dict, list, list]:
    """One run of a history pipeline: ``loader`` and ``scorer`` cached from the first run
    (executed in the first run itself), ``trainer`` executed with a new parameter."""
    name = f"{pipeline['name']}-{number:05d}"
    score = round(0.9 + (number * 7 % 100) / 1000, 3)
    run = {**copy.deepcopy(template), "id": _id(), "name": name, "pipeline_name": pipeline["name"],
           "pipeline_id": pipeline["id"], "version": 1, "status": "completed",
           "start_time": _ts(start, 0), "end_time": _ts(start, 2.5), "duration": 2.5,
           "pipeline_parameters": {"C": number}, "step_order": ["loader", "trainer", "scorer"],
           "summary": {"params": {"pipeline:C": number, "trainer.C": number},
                       "metrics": {"trainer.accuracy": score, "scorer.score": 0.97}}}
    outputs = {
        "loader": [("X_train", [1437, 64]), ("X_test", [360, 64]), ("y_train", [1437]), ("y_test", [360])],
        "trainer": [("model", None)], "scorer": [("score", None)]}
    steps, artifacts = [], []
    for index, step_name in enumerate(("loader", "trainer", "scorer")):
        cached = first is not None and step_name != "trainer"
        step = {"id": _id(), "run_id": run["id"], "invocation_id": step_name, "slot": None,
                "step_name": step_name, "step_class": f"history.{step_name}",
                "status": "cached" if cached else "completed",
                "parameters": {"C": number} if step_name == "trainer" else {},
                "code_fingerprint": "xxh3_128:" + "0" * 32, "inputs": {}, "outputs": {},
                "start_time": _ts(start, index), "end_time": _ts(start, index + 0.5), "duration": 0.5,
                "cache_key": _id(), "original_step_run_id": None, "original_run_id": None, "error": None,
                "metadata": {"accuracy": score} if step_name == "trainer" else {}}
        if cached:
            original = first["steps"][step_name]
            step.update(cache_key=original["cache_key"], outputs=dict(original["outputs"]),
                        original_step_run_id=original["id"], original_run_id=first["run"]["id"])
            artifacts.extend(a for a in first["artifacts"] if a["id"] in original["outputs"].values())
        else:
            for output, shape in outputs[step_name]:
                if shape is not None:
                    art = _artifact(step_name, output, name, NPY, "numpy.ndarray", 8 * 64 * shape[0],
                                    {"dtype": "float64", "shape": shape})
                elif output == "model":
                    art = _artifact(step_name, output, name,
                                    "framework.artifacts.materializers.sklearn_estimators.SklearnMaterializer",
                                    "sklearn.svm._classes.SVC", 104_502, {"estimator": "SVC"})
                else:
                    art = _artifact(step_name, output, name,
                                    "framework.artifacts.materializers.builtin_types.BuiltinsMaterializer",
                                    "builtins.float", 18, {"value": 0.97})
                step["outputs"][output] = art["id"]
                artifacts.append(art)
        steps.append(step)
    return run, steps, artifacts


def fill(home: Path, runs: int, chain_length: int) -> dict[str, Any]:
    from benchmarks.chain import make_chain

    real = [make_chain(1).with_options(enable_cache=False)(),
            make_chain(chain_length).with_options(enable_cache=False)()]
    store = TinyDBStore(home / "metadata")
    files = BulkFiles(Path(store.root))
    base = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    runs_by_pipeline: dict[str, list[dict]] = {}
    written = 0
    for view in real:  # 31 older copies of each real chain run
        detail = store.get_run_by_id(view.id)
        template = to_doc(detail.run)
        artifacts = [to_doc(a) for a in detail.artifacts.values()]
        steps = [to_doc(s) for s in detail.steps]
        runs_by_pipeline.setdefault(template["pipeline_id"], []).append(template)
        for copy_no in range(CHAIN_COPIES):
            start = base + dt.timedelta(days=30, seconds=copy_no * 60)
            run = {**copy.deepcopy(template), "id": _id(), "name": f"{template['name']}-old-{copy_no:02d}",
                   "start_time": _ts(start, 0), "end_time": _ts(start, 5.0)}
            new_steps = [{**s, "id": _id(), "run_id": run["id"], "end_time": _ts(start, 1 + i * 0.01)}
                         for i, s in enumerate(steps)]
            _add_run(files, run, new_steps, artifacts)
            runs_by_pipeline[run["pipeline_id"]].append(run)
            written += 1
    history = max(0, runs - written - len(real))
    template = to_doc(store.get_run_by_id(real[0].id).run)
    pipelines = [_history_pipeline(files, k, _ts(base, 0)) for k in range(HISTORY_PIPELINES)]
    for run, steps, artifacts in history_runs(pipelines, template, history, base):
        _add_run(files, run, steps, artifacts)
        runs_by_pipeline.setdefault(run["pipeline_id"], []).append(run)
        written += 1
    _rebuild_indexes(files, runs_by_pipeline)
    _cap_cache_files(files)
    count = files.write()
    os.sync()  # a store of that age is on disk, not hundreds of MB of dirty pages being flushed
    return {"runs": written + len(real), "files_written": count,
            "pipelines": len(files.table(layout.PIPELINES, "pipelines"))}


if __name__ == "__main__":
    from benchmarks._common import quiet_framework_logging

    quiet_framework_logging()
    summary = fill(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(summary))
