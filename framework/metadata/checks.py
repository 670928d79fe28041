"""What every backend checks before it writes, in one place: records become strict-JSON
documents, ids are safe keys, a completed step with a cache key becomes a cache entry.

Backends store the documents these functions return, so a value one backend refuses
(a NaN, a numpy scalar, a run id with a slash) is refused by all of them, before
anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from framework.liveness import process_token, this_host
from framework.metadata.strict_json import to_strict_json
from framework.records import Artifact, Run, RunDetail, StepRun, to_doc

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{2,128}$")

#: A step record as documents: (step run, its artifacts, the cache entry it makes or None).
Prepared = tuple[dict[str, Any], list[dict[str, Any]], "dict[str, Any] | None"]


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def is_safe_id(value: object) -> bool:
    return type(value) is str and _SAFE_ID.match(value) is not None


def check_id(value: object, what: str) -> str:
    """``value`` if it can be a key (and a file name component); ``ValueError`` naming ``what``."""
    if not is_safe_id(value):
        raise ValueError(
            f"{what} must be a string of 2-128 letters, digits, '_' or '-' "
            f"(e.g. uuid.uuid4().hex), got {value!r}"
        )
    return value  # type: ignore[return-value]


def registration(name: str, version_hash: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The checked ``spec`` of a pipeline version about to be registered."""
    if type(name) is not str or not name:
        raise ValueError(f"pipeline name must be a non-empty str, got {name!r}")
    if type(version_hash) is not str or not version_hash:
        raise ValueError(f"version_hash must be a non-empty str, got {version_hash!r}")
    return to_strict_json(spec, "spec")


def run_document(run: Run) -> dict[str, Any]:
    """The document of a new run; a run of this host gets its owner's ``process_start``,
    so a later process reusing the pid is never mistaken for the owner."""
    if not isinstance(run, Run):
        raise ValueError(f"run must be a framework.records.Run, got {type(run).__name__}")
    doc = to_strict_json(to_doc(run), "run")
    check_id(doc["id"], "run.id")
    if doc.get("host") == this_host() and type(doc.get("pid")) is int and doc.get("process_start") is None:
        doc["process_start"] = process_token(doc["pid"])
    return doc


def imported_run_document(run: Run) -> dict[str, Any]:
    """The document of a run copied from another store: checked, and kept as it was."""
    if not isinstance(run, Run):
        raise ValueError(f"run must be a framework.records.Run, got {type(run).__name__}")
    doc = to_strict_json(to_doc(run), "run")
    check_id(doc["id"], "run.id")
    return doc


def imported_run(detail: RunDetail) -> tuple[dict[str, Any], list[Prepared], list[dict[str, Any]]]:
    """A copied run as documents: (run, its step records — each with the artifacts its
    outputs name —, the artifacts no output names), all checked."""
    doc = imported_run_document(detail.run)
    records = [(step, [detail.artifacts[a] for a in step.outputs.values() if a in detail.artifacts])
               for step in detail.steps]
    named = {a for step in detail.steps for a in step.outputs.values()}
    others = [to_strict_json(to_doc(a), f"artifacts[{aid!r}]") for aid, a in detail.artifacts.items() if aid not in named]
    return doc, step_records(doc["id"], records), others


def step_records(run_id: str, records: Sequence[tuple[StepRun, Sequence[Artifact]]]) -> list[Prepared]:
    """Documents for step records (see `Prepared`), checked as the store will hold them."""
    check_id(run_id, "run_id")
    prepared = []
    for step, artifacts in records:
        if not isinstance(step, StepRun):
            raise ValueError(f"step run must be a framework.records.StepRun, got {type(step).__name__}")
        step_doc = to_strict_json(to_doc(step), "step_run")
        artifact_docs = []
        for index, artifact in enumerate(artifacts):
            if not isinstance(artifact, Artifact):
                raise ValueError(f"artifacts[{index}] must be a framework.records.Artifact, "
                                 f"got {type(artifact).__name__}")
            artifact_docs.append(to_strict_json(to_doc(artifact), f"artifacts[{index}]"))
        entry = None
        if step.status == "completed" and step.cache_key:
            entry = {
                "cache_key": step.cache_key, "run_id": run_id, "step_run_id": step.id,
                "outputs": dict(step_doc["outputs"]), "artifacts": {doc["id"]: doc for doc in artifact_docs},
                "created": step.end_time or step.start_time or now(),
            }
        prepared.append((step_doc, artifact_docs, entry))
    return prepared


def closing_fields(status: str, end_time: str, duration: float, error: str | None) -> dict[str, Any]:
    """The fields `finish_run` sets, checked."""
    from framework.records import RUN_STATUSES

    if status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RUN_STATUSES)}, got {status!r}")
    return to_strict_json({"status": status, "end_time": end_time, "duration": duration, "error": error},
                          "finish_run")
