"""``framework doctor`` for a TinyDB store: every problem the store has, each naming its file.

The run files (``runs/<id>.json``) and their steps files are the source of truth; every
other file is derived from them or points at them: ``pipelines.json`` (pipelines, their
counters, the runs in progress), the name claims, the per-pipeline run index, the cache
index. `check` reads the whole store once (``scan``) and reports, for each file that is
damaged (unparsable, not matching its checksum, a record that does not fit) or missing
although another file says it exists, and for each derived file that disagrees with the
run records, one `Problem`. ``rebuild`` repairs what they list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from framework.exceptions import RecordError
from framework.metadata.tinydb import identity, layout, presence
from framework.metadata.tinydb.files import StoreFiles
from framework.metadata.tinydb.scan import Scan, scan, steps_expected
from framework.records import Artifact, Pipeline, Run, StepRun, Version, from_doc


@dataclass(frozen=True)
class Problem:
    """What is wrong with one file, and whether ``doctor --repair`` can fix it from the run records."""

    path: str
    what: str
    repairable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "problem": self.what, "repairable": self.repairable}


def report(files: StoreFiles) -> dict[str, Any]:
    """What ``framework doctor`` shows: the problems, and how much was checked."""
    found, problems = check(files)
    return {"backend": "tinydb", "location": files.root, "files": len(found.kinds), "runs": len(found.runs),
            "sealed": found.sealed, "without_checksum": len(found.unsealed), "problems": [p.to_dict() for p in problems]}


def _short(message: str) -> str:
    """A store error without its recovery advice (the doctor gives its own)."""
    return message.split("; refusing", 1)[0]


def check(files: StoreFiles) -> tuple[Scan, list[Problem]]:
    """Scan the store and list its problems (none: a healthy store)."""
    found = scan(files)
    problems = [Problem(found.path(rel), _short(why), repairable=found.kinds.get(rel) not in ("run", "steps")
                        or found.backup(rel) is not None) for rel, why in sorted(found.damaged.items())]
    problems += _identity(found) + _pipelines(found) + _runs(found) + _claims(found) + _index(found) + _cache(found)
    return found, problems


def _identity(s: Scan) -> list[Problem]:
    if identity.STORE_FILE in s.kinds or not s.kinds:
        return []
    return [Problem(s.path(identity.STORE_FILE), "is missing: the store has no id (its reference records in a "
                                                 "shared artifact store are kept under it) and is not sealed")]


def _pipelines(s: Scan) -> list[Problem]:
    problems = []
    pipelines = s.docs(layout.PIPELINES, "pipelines")
    if not pipelines and s.runs and layout.PIPELINES not in s.damaged:
        problems.append(Problem(s.path(layout.PIPELINES), f"lists no pipeline (or is missing) although the store "
                                                          f"holds {len(s.runs)} run(s)"))
    versions = s.docs(layout.VERSIONS, "versions")
    for doc in pipelines:
        try:
            from_doc(Pipeline, {k: v for k, v in doc.items() if k != "index_chunk"}, where="")
        except RecordError as exc:
            problems.append(Problem(s.path(layout.PIPELINES), str(exc).lstrip(": ")))
            continue
        mine = [v for v in versions if v.get("pipeline_id") == doc["id"]]
        if max((v.get("number") or 0 for v in mine), default=0) < (doc.get("latest_version") or 0) \
                and layout.VERSIONS not in s.damaged:
            problems.append(Problem(s.path(layout.VERSIONS), f"lacks versions of pipeline `{doc['name']}` "
                                                             f"(it has {doc.get('latest_version')})"))
    for version in versions:
        try:
            from_doc(Version, version, where="")
        except RecordError as exc:
            problems.append(Problem(s.path(layout.VERSIONS), str(exc).lstrip(": ")))
    return problems


def _runs(s: Scan) -> list[Problem]:
    problems = []
    pipelines = {p.get("id"): p for p in s.docs(layout.PIPELINES, "pipelines")}
    running = {e.get("run_id") for e in s.docs(layout.PIPELINES, "running")}
    for run_id, doc in sorted(s.runs.items()):
        relpath = layout.run_file(run_id)
        try:
            from_doc(Run, doc, where="")
        except RecordError as exc:
            problems.append(Problem(s.path(relpath), str(exc).lstrip(": "), repairable=s.backup(relpath) is not None))
            continue
        if pipelines and doc["pipeline_id"] not in pipelines and layout.PIPELINES not in s.damaged:
            problems.append(Problem(s.path(layout.PIPELINES), f"lacks pipeline `{doc['pipeline_name']}` of run "
                                                              f"`{doc['name']}`"))
        if doc["status"] == "running" and run_id not in running and layout.PIPELINES not in s.damaged:
            problems.append(Problem(s.path(layout.PIPELINES), f"does not list run `{doc['name']}` as in progress"))
        problems += _steps(s, run_id, doc)
    for entry in s.docs(layout.PIPELINES, "running"):
        run = s.runs.get(entry.get("run_id"))
        if run is None or run.get("status") != "running":
            problems.append(Problem(s.path(layout.PIPELINES), f"lists run {entry.get('run_id')} as in progress, "
                                                              "which it is not"))
    return problems


def _steps(s: Scan, run_id: str, run: dict[str, Any]) -> list[Problem]:
    problems = []
    chunks = s.steps.get(run_id, {})
    expected = steps_expected(s, run_id)
    present = 0
    while present in chunks:
        present += 1
    if expected is not None and present < expected:
        problems.append(Problem(s.path(layout.steps_file(run_id, present)),
                                f"is missing: run `{run['name']}` recorded {expected} steps file(s) and "
                                f"{present} are there (its step records are lost unless restored from a backup)",
                                repairable=False))
    for chunk, relpath in sorted(chunks.items()):
        if relpath in s.damaged:
            continue
        for cls, table in ((StepRun, "step_runs"), (Artifact, "artifacts")):
            for doc in s.docs(relpath, table):
                try:
                    from_doc(cls, doc, where="")
                except RecordError as exc:
                    problems.append(Problem(s.path(relpath), str(exc).lstrip(": "), repairable=False))
        if chunk >= present:
            problems.append(Problem(s.path(relpath), f"follows a missing steps file of run `{run['name']}`"))
    return problems


def _claims(s: Scan) -> list[Problem]:
    problems = []
    claims: dict[str, str] = {}
    for relpath, kind in s.kinds.items():
        if kind == "names" and relpath not in s.damaged:
            for doc in s.docs(relpath, "names"):
                claims[doc.get("name")] = doc.get("run_id")
                if doc.get("run_id") not in s.runs and layout.run_file(str(doc.get("run_id"))) not in s.damaged:
                    problems.append(Problem(s.path(relpath), f"claims name `{doc.get('name')}` for run "
                                                             f"{doc.get('run_id')}, whose run file is missing",
                                            repairable=True))
    written = s.docs(layout.PIPELINES, presence.SHARDS_TABLE)
    bits = int(written[0]["names"], 16) if written and written[0].get("names") else 0
    for run_id, doc in s.runs.items():
        relpath = layout.name_file(str(doc.get("name")))
        if claims.get(doc.get("name")) != run_id and relpath not in s.damaged:
            what = "is missing" if relpath not in s.kinds else f"does not claim name `{doc.get('name')}`"
            problems.append(Problem(s.path(relpath), f"{what} for run {run_id}"))
        elif written and not bits >> int(relpath[6:9], 16) & 1:  # (a store from before the record: none)
            problems.append(Problem(s.path(layout.PIPELINES), f"does not record that '{relpath}' holds name claims"))
    return problems


def _index(s: Scan) -> list[Problem]:
    problems = []
    by_pipeline: dict[str, list[str]] = {}
    for run_id, doc in s.runs.items():
        by_pipeline.setdefault(doc.get("pipeline_id"), []).append(run_id)
    for pipeline in s.docs(layout.PIPELINES, "pipelines"):
        indexed = set()
        for chunk in range(pipeline.get("index_chunk", 0) + 1):
            relpath = layout.index_file(pipeline["id"], chunk)
            if relpath not in s.kinds and (pipeline.get("run_count") or 0) > 0:
                problems.append(Problem(s.path(relpath), f"is missing: pipeline `{pipeline['name']}` indexes its "
                                                         f"runs in chunks 0-{pipeline.get('index_chunk', 0)}"))
            indexed.update(e.get("run_id") for e in s.docs(relpath, "runs"))
        if any(layout.index_file(pipeline["id"], c) in s.damaged for c in range(pipeline.get("index_chunk", 0) + 1)):
            continue
        runs = set(by_pipeline.get(pipeline["id"], ()))
        for run_id in sorted(runs - indexed):
            problems.append(Problem(s.path(layout.index_file(pipeline["id"], pipeline.get("index_chunk", 0))),
                                    f"does not index run `{s.runs[run_id].get('name')}` of pipeline "
                                    f"`{pipeline['name']}`"))
        for run_id in sorted(indexed - runs):
            if layout.run_file(str(run_id)) in s.damaged:
                continue
            problems.append(Problem(s.path(layout.run_file(str(run_id))), f"is missing, although the index of pipeline "
                                                                          f"`{pipeline['name']}` lists it",
                                    repairable=True))
        if pipeline.get("run_count") != len(runs):
            problems.append(Problem(s.path(layout.PIPELINES), f"counts {pipeline.get('run_count')} run(s) of "
                                                              f"`{pipeline['name']}`; it has {len(runs)}"))
    return problems


def missing_cache_files(s: Scan) -> dict[str, str]:
    """Cache files a completed step run was entered in that are gone: relpath -> its key."""
    missing = {}
    for chunks in s.steps.values():
        for relpath in chunks.values():
            for step in s.docs(relpath, "step_runs"):
                key = step.get("cache_key")
                if step.get("status") == "completed" and key and layout.cache_file(key) not in s.kinds:
                    missing[layout.cache_file(key)] = key
    return missing


def _cache(s: Scan) -> list[Problem]:
    return [Problem(s.path(relpath), f"is missing: completed step runs are cached under key {key}")
            for relpath, key in sorted(missing_cache_files(s).items())]
