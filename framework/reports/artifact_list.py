"""Artifacts across runs: ``framework artifacts list --pipeline P --step S --output O --type T``.

Runs are read newest first (``query_runs``, then each run's steps) until ``limit``
artifacts matched; each artifact is listed once, under the run that produced it (a cached
step reuses the original's artifact, so the same file is not listed again per use).
"""

from __future__ import annotations

from typing import Any

from framework.reports.artifacts import artifact_kind


def type_matches(record: Any, wanted: str) -> bool:
    """``wanted`` is a kind (``array``, ``dataframe``, ``model``, ``scalar``, …), a full type
    (``numpy.ndarray``) or its last part (``ndarray``, ``DataFrame``); case-insensitive."""
    wanted = wanted.lower()
    data_type = (record.data_type or "").lower()
    return wanted in (artifact_kind(record), data_type, data_type.rsplit(".", 1)[-1])


def find_artifacts(client: Any, *, pipeline: str | None = None, step: str | None = None,
                   output: str | None = None, type_: str | None = None, limit: int | None = 50) -> list[dict]:
    """Rows ``{id, run, pipeline, step, output, type, kind, size, created, path}``, newest
    run first, at most ``limit`` (None: all)."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in client.query_runs(pipeline_name=pipeline):
        detail = client.metadata_store.get_run_by_id(row.id)
        if detail is None:
            continue
        for record in detail.steps:
            key = detail.step_key(record)
            if step is not None and step not in (key, record.step_name, record.slot, record.invocation_id):
                continue
            for name, artifact_id in record.outputs.items():
                artifact = detail.artifacts.get(artifact_id)
                if artifact is None or artifact_id in seen or (output is not None and name != output):
                    continue
                if type_ is not None and not type_matches(artifact, type_):
                    continue
                seen.add(artifact_id)
                found.append({
                    "id": artifact_id, "run": artifact.run_name or row.name, "pipeline": row.pipeline_name,
                    "step": key, "output": name, "type": artifact.data_type, "kind": artifact_kind(artifact),
                    "size": artifact.size, "created": row.start_time, "used_by": row.name,
                    "path": client.artifact_store.path_of(artifact),
                })
                if limit is not None and len(found) >= limit:
                    return found
    return found
