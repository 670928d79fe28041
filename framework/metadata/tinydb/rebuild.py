"""``framework doctor --repair`` for a TinyDB store: rebuild what is derived from the run records.

What it does, holding the store lock throughout:

1. **Restore** a damaged or missing run or steps file — the source of truth, which nothing
   else can rebuild — from its ``.bak`` (the previous version: it lacks only the file's last
   write) when that parses and verifies. The damaged file is kept as ``<file>.damaged``.
2. **Rebuild** from the run records everything derived from them: ``pipelines.json``
   (pipelines, counters, runs in progress, the names-shard record), every name claim, every
   pipeline's run index (with its listing rows), the versions runs name but
   ``versions.json`` lost (as placeholders: their definitions are gone), and the cache files
   completed step runs are entered in. What the run records do not hold — a pipeline's tags,
   notes and creation time, a version's definition — comes from the damaged file if it can
   be read, else from its ``.bak``.
3. **Seal** the store: every file is written with its checksum, and ``store.json`` (kept
   with its id) says so.

Nothing stored is deleted: damaged files are moved aside, never removed. Step records lost
with no backup cannot be rebuilt; the run then says so in its ``error`` and records the steps
files it has, so it reads again — the report lists such losses.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from framework.io.atomic import write_many
from framework.metadata import checks
from framework.metadata.protocol import MAX_CACHE_ENTRIES
from framework.metadata.tinydb import doctor, identity, layout, presence, rows
from framework.metadata.tinydb.files import StoreFiles, encode_tables
from framework.metadata.tinydb.scan import Scan, scan, steps_expected, valid_runs


def _table(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i): dict(doc) for i, doc in enumerate(docs, 1)}


def _aside(s: Scan, relpath: str, report: dict[str, list[str]]) -> None:
    path = s.path(relpath)
    if os.path.exists(path):
        os.replace(path, f"{path}.damaged")
        report["moved_aside"].append(f"{path}.damaged")


def _restore(s: Scan, report: dict[str, list[str]]) -> None:
    """Step 1: run and steps files from their ``.bak``."""
    wanted = {rel for rel, kind in s.kinds.items() if kind in ("run", "steps") and rel in s.damaged}
    wanted.update(layout.run_file(run_id) for run_id in set(s.runs) - set(valid_runs(s)))
    for rel, kind in list(s.kinds.items()):
        if kind == "index":
            wanted.update(layout.run_file(e["run_id"]) for e in s.docs(rel, "runs")
                          if checks.is_safe_id(e.get("run_id")) and layout.run_file(e["run_id"]) not in s.kinds)
    for run_id in s.runs:
        expected, chunk = steps_expected(s, run_id) or 0, 0
        while chunk < expected:
            if chunk not in s.steps.get(run_id, {}):
                wanted.add(layout.steps_file(run_id, chunk))
            chunk += 1
    rows_by_run = {e["run_id"]: e["row"] for rel, kind in s.kinds.items() if kind == "index"
                   for e in s.docs(rel, "runs") if isinstance(e.get("row"), dict)}
    for rel in sorted(wanted):
        backup = s.backup(rel)
        if backup is None:
            continue
        _aside(s, rel, report)
        for doc in (backup.get("run") or {}).values():  # the .bak lacks the last write; the index row has it
            row = rows_by_run.get(doc.get("id"))
            if row is not None:
                doc.update({key: row[key] for key in checks.ROW_FIELDS if key in row})
        write_many([(s.path(rel), encode_tables(backup), True)])
        report["restored"].append(s.path(rel))


def repair(files: StoreFiles) -> dict[str, Any]:
    """Repair the store at ``files.root``; return what was done and what is left."""
    report: dict[str, Any] = {"restored": [], "rebuilt": [], "moved_aside": [], "lost": [], "sealed": 0}
    with files.locked():
        before = scan(files)
        _restore(before, report)
        s = scan(files)
        writes: dict[str, dict[str, Any]] = {}
        _steps_losses(s, writes, report)
        _derived(s, writes, report)
        for rel in sorted(s.unsealed):
            writes.setdefault(rel, s.tables[rel])
        for rel in writes:
            if rel in s.damaged:
                _aside(s, rel, report)
        report["sealed"] = len(writes)
        existing = [(s.path(rel), encode_tables(data), True) for rel, data in writes.items()
                    if os.path.exists(s.path(rel))]
        fresh = [(s.path(rel), encode_tables(data), True) for rel, data in writes.items()
                 if not os.path.exists(s.path(rel))]
        write_many(existing, backups=True)  # the replaced versions stay as .bak
        write_many(fresh)
        files.forget_identity()
    report["rebuilt"] = sorted(s.path(rel) for rel in writes if rel not in s.unsealed or rel in s.damaged)
    return {**doctor.report(files), "repair": report}


def _steps_losses(s: Scan, writes: dict[str, dict[str, Any]], report: dict[str, Any]) -> None:
    """Runs whose steps files are gone (no backup): say so on the run, record what is left."""
    for run_id, doc in s.runs.items():
        chunks = s.steps.get(run_id, {})
        expected = max(steps_expected(s, run_id) or 0, max(chunks, default=-1) + 1)
        present = 0
        while present in chunks and chunks[present] not in s.damaged:
            present += 1
        if present >= expected:
            continue
        note = (f"{expected - present} of its {expected} steps file(s) were lost or damaged; `framework doctor "
                f"--repair` kept the {present} before the first one ({datetime.now(timezone.utc):%Y-%m-%d})")
        doc["error"] = f"{doc['error']}; {note}" if doc.get("error") else note
        tables = dict(s.tables[layout.run_file(run_id)])
        tables["run"] = _table([doc])
        tables[presence.STEPS_TABLE] = _table([{"files": present}])
        s.tables[layout.run_file(run_id)] = writes[layout.run_file(run_id)] = tables
        for chunk, rel in s.steps.get(run_id, {}).items():
            if chunk >= present:  # damaged, or after a gap readers never cross: kept aside
                _aside(s, rel, report)
        report["lost"].append(f"run `{doc.get('name')}` ({run_id}): {note}")


def _old(s: Scan, relpath: str) -> dict[str, Any]:
    """What a derived file held that the run records do not: its tables, else its .bak's."""
    if relpath in s.tables:
        return s.tables[relpath]
    return s.backup(relpath) or {}


def _derived(s: Scan, writes: dict[str, dict[str, Any]], report: dict[str, Any]) -> None:
    """Step 2: pipelines.json, versions.json, names, index, cache and store.json."""
    runs = sorted(valid_runs(s).values(), key=lambda r: (r.get("start_time") or "", r["id"]))
    old = _old(s, layout.PIPELINES)
    pipelines = {p["id"]: dict(p) for p in (old.get("pipelines") or {}).values() if checks.is_safe_id(p.get("id"))}
    versions = [dict(v) for v in (_old(s, layout.VERSIONS).get("versions") or {}).values()]
    numbers = {(v.get("pipeline_id"), v.get("number")) for v in versions}
    for run in runs:
        pipeline = pipelines.setdefault(run["pipeline_id"], {
            "id": run["pipeline_id"], "name": run["pipeline_name"], "created": run.get("start_time"),
            "latest_version": 0, "last_run_id": None, "run_count": 0, "index_chunk": 0})
        if (run["pipeline_id"], run.get("version")) not in numbers:
            numbers.add((run["pipeline_id"], run.get("version")))
            versions.append({"pipeline_id": run["pipeline_id"], "pipeline_name": run["pipeline_name"],
                             "number": run.get("version"), "hash": f"lost:{run['pipeline_id']}:{run.get('version')}",
                             "spec": {}, "created": run.get("start_time")})
            report["lost"].append(f"the definition of version {run.get('version')} of pipeline "
                                  f"`{run['pipeline_name']}` (a placeholder keeps its runs readable)")
        pipeline["latest_version"] = max(pipeline.get("latest_version") or 0, run.get("version") or 0)
    claims: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        shard = claims.setdefault(layout.name_file(run["name"]), [])
        if any(c["name"] == run["name"] for c in shard):
            report["lost"].append(f"the name of run {run['id']}: `{run['name']}` is taken by an older run")
            continue
        shard.append({"name": run["name"], "run_id": run["id"]})
    for rel, shard in claims.items():
        writes[rel] = {"names": _table(shard)}
    for rel, kind in s.kinds.items():  # shards no run claims any more (their runs are gone)
        if kind == "names" and rel not in claims:
            writes[rel] = {"names": {}}
    for pipeline in pipelines.values():
        _index(s, pipeline, [r for r in runs if r["pipeline_id"] == pipeline["id"]], writes)
    bits = 0
    for rel in claims:
        bits |= 1 << int(rel[6:9], 16)
    store_id = _store_id(s, old)
    writes[layout.PIPELINES] = {
        "store": _table([{"id": store_id}]),
        "pipelines": _table(sorted(pipelines.values(), key=lambda p: p["name"])),
        "running": _table({"run_id": r["id"], "host": r.get("host"), "pid": r.get("pid"),
                           "process_start": r.get("process_start"), "lease": r.get("lease")}
                          for r in runs if r.get("status") == "running"),
        presence.SHARDS_TABLE: _table([{"names": format(bits, f"0{presence.NAME_SHARDS // 4}x")}])}
    writes[layout.VERSIONS] = {"versions": _table(sorted(versions, key=lambda v: (v["pipeline_id"], v["number"])))}
    _cache(s, writes)
    created = (identity.read(s.files) if identity.STORE_FILE not in s.damaged else None) or {}
    writes[identity.STORE_FILE] = {"store": _table([{"id": store_id, "format": identity.FORMAT, "sealed": True,
                                                     "created": created.get("created") or checks.now()}])}


def _store_id(s: Scan, old_pipelines: dict[str, Any]) -> str:
    for source in (lambda: identity.read(s.files), lambda: next(iter(old_pipelines.get("store", {}).values()), None)):
        try:
            found = source()
        except Exception:  # noqa: BLE001 - a damaged store.json: try the copy
            found = None
        if found and checks.is_safe_id(found.get("id")):
            return found["id"]
    return uuid.uuid4().hex


def _index(s: Scan, pipeline: dict[str, Any], runs: list[dict[str, Any]], writes: dict[str, Any]) -> None:
    chunks = [runs[i:i + layout.INDEX_CHUNK] for i in range(0, len(runs), layout.INDEX_CHUNK)] or [[]]
    for number, chunk in enumerate(chunks):
        entries = [{"run_id": r["id"], "start_time": r["start_time"], "name": r["name"],
                    "row": checks.row_document(r)} for r in chunk]
        if entries:
            writes[layout.index_file(pipeline["id"], number)] = {"runs": _table(entries)}
        for run in chunk:
            rel = layout.run_file(run["id"])
            tables = dict(writes.get(rel) or s.tables[rel])
            if [d.get("chunk") for d in (tables.get(rows.INDEX_TABLE) or {}).values()] != [number]:
                tables[rows.INDEX_TABLE] = _table([{"chunk": number}])
                writes[rel] = tables
    for rel, kind in s.kinds.items():  # chunks past the new last one: emptied (never read)
        if kind == "index" and rel.startswith(f"index/{pipeline['id']}/") and rel not in writes:
            writes[rel] = {"runs": {}}
    pipeline.update(run_count=len(runs), index_chunk=len(chunks) - 1,
                    last_run_id=runs[-1]["id"] if runs else None)


def _cache(s: Scan, writes: dict[str, Any]) -> None:
    """Cache files that are missing or damaged, from the completed step runs entered in them."""
    wanted = set(doctor.missing_cache_files(s)) | {rel for rel, kind in s.kinds.items()
                                                   if kind == "cache" and rel in s.damaged}
    if not wanted:
        return
    entries: dict[str, list[dict[str, Any]]] = {}
    for run_id, chunks in s.steps.items():
        artifacts = {a["id"]: a for rel in chunks.values() for a in s.docs(rel, "artifacts") if "id" in a}
        for rel in chunks.values():
            for step in s.docs(rel, "step_runs"):
                key = step.get("cache_key")
                if step.get("status") != "completed" or not key or layout.cache_file(key) not in wanted \
                        or not isinstance(step.get("id"), str):
                    continue
                outputs = dict(step.get("outputs") or {})
                entries.setdefault(layout.cache_file(key), []).append({
                    "cache_key": key, "run_id": run_id, "step_run_id": step["id"], "outputs": outputs,
                    "artifacts": {aid: artifacts[aid] for aid in outputs.values() if aid in artifacts},
                    "created": step.get("end_time") or step.get("start_time") or ""})
    for rel in wanted:
        newest = sorted(entries.get(rel, []), key=lambda e: e["created"])[-MAX_CACHE_ENTRIES:]
        writes[rel] = {"entries": _table(newest)}
