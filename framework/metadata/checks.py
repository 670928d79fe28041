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

from framework.json_values import check_metadata, merge_metadata, to_strict_json
from framework.liveness import process_token, this_host
from framework.records import Artifact, Run, RunDetail, RunRow, StepRun, to_doc

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


# ---------------------------------------------------------------------- run history
_TAG_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f,]")
MAX_TAG_LENGTH = 100

#: The fields of a run document a listing row keeps (`framework.records.RunRow`), plus what a
#: reader needs to show a dead owner's run as crashed (`framework.liveness.crash_view`).
ROW_FIELDS = ("id", "name", "pipeline_name", "version", "status", "start_time", "end_time", "duration", "api",
              "unlisted", "tags", "notes", "summary")
LIVENESS_FIELDS = ("host", "pid", "process_start", "lease")


def check_tags(tags: object, what: str = "tags") -> list[str]:
    """``tags`` as a list of distinct tags in the given order; ``ValueError`` naming the bad one.

    A tag is 1-100 characters, no control characters and no comma (listings join tags with
    commas), without surrounding whitespace: ``best``, ``baseline v2``, ``team:vision``.
    """
    if isinstance(tags, str) or not isinstance(tags, (list, tuple, set, frozenset)):
        raise ValueError(f"{what} must be a list of strings, got {tags!r}")
    seen: list[str] = []
    for tag in tags:
        if (type(tag) is not str or not tag or tag != tag.strip() or len(tag) > MAX_TAG_LENGTH
                or _TAG_FORBIDDEN.search(tag)):
            raise ValueError(f"{what}: {tag!r} is not a valid tag; a tag is 1-{MAX_TAG_LENGTH} characters "
                             "without control characters, commas or surrounding spaces")
        if tag not in seen:
            seen.append(tag)
    return seen


def check_notes(notes: object) -> str | None:
    """The notes to store: a str (``""`` clears them: stored as None)."""
    if type(notes) is not str:
        raise ValueError(f"notes must be a str (\"\" clears them), got {notes!r}")
    return notes or None


def merge_output_metadata(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per-output metadata merged output by output, then key by key."""
    merged = dict(current)
    for output, values in new.items():
        merged[output] = merge_metadata(merged.get(output) or {}, values)
    return merged


def check_output_metadata(values: object) -> dict[str, dict[str, Any]]:
    if type(values) is not dict:
        raise ValueError(f"output_metadata must be a dict of output name -> metadata, got {type(values).__name__}")
    return {output: check_metadata(md, f"output_metadata.{output}") for output, md in values.items()}


def retagged(current: list[str], add: Sequence[str], remove: Sequence[str]) -> list[str]:
    """``current`` plus ``add`` (appended, no duplicates) minus ``remove``."""
    removing = set(remove)
    return [tag for tag in check_tags([*current, *add]) if tag not in removing]


def moment(value: object, what: str) -> datetime | None:
    """A ``since``/``until`` bound as an aware datetime (naive values are UTC); None passes."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{what} must be an ISO date or time (e.g. 2026-01-31T12:00), got {value!r}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime or an ISO string, got {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def parse_time(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class RunQuery:
    """The filters of ``MetadataStore.query_runs``, checked once, applied to run (or row)
    documents as a backend holds them — after `framework.liveness.crash_view`."""

    def __init__(self, *, pipeline_name: str | None = None, status: str | Sequence[str] | None = None,
                 tags: Sequence[str] = (), since: Any = None, until: Any = None) -> None:
        from framework.records import RUN_STATUSES

        if pipeline_name is not None and (type(pipeline_name) is not str or not pipeline_name):
            raise ValueError(f"pipeline_name must be a non-empty str or None, got {pipeline_name!r}")
        statuses = None if status is None else ((status,) if isinstance(status, str) else tuple(status))
        for value in statuses or ():
            if value not in RUN_STATUSES:
                raise ValueError(f"status must be one of {', '.join(RUN_STATUSES)}, got {value!r}")
        self.pipeline_name = pipeline_name
        self.statuses = frozenset(statuses) if statuses is not None else None
        self.tags = frozenset(check_tags(tags, "tags")) if tags else frozenset()
        self.since = moment(since, "since")
        self.until = moment(until, "until")

    def too_new(self, start_time: str | None) -> bool:
        """Started at or after ``until`` (such runs are skipped)."""
        if self.until is None:
            return False
        started = parse_time(start_time)
        return started is None or started >= self.until

    def too_old(self, start_time: str | None) -> bool:
        """Started before ``since`` (newest-first readers may stop at the first)."""
        if self.since is None:
            return False
        started = parse_time(start_time)
        return started is None or started < self.since

    def accepts(self, doc: dict[str, Any]) -> bool:
        """Does a run document (after the crash view) pass every filter?"""
        if self.pipeline_name is not None and doc.get("pipeline_name") != self.pipeline_name:
            return False
        if self.statuses is not None and doc.get("status") not in self.statuses:
            return False
        if self.tags and not self.tags <= set(doc.get("tags") or ()):
            return False
        start = doc.get("start_time")
        return not (self.too_new(start) or self.too_old(start))


def row_document(run: dict[str, Any]) -> dict[str, Any]:
    """The compact copy of a run document a listing reads (see `ROW_FIELDS`); the owner's
    identity only while the run is running (what the crash view needs)."""
    fields = ROW_FIELDS + LIVENESS_FIELDS if run.get("status") == "running" else ROW_FIELDS
    row = {key: run.get(key) for key in fields}
    row["tags"] = list(run.get("tags") or [])
    row["summary"] = run.get("summary") or {}
    row["unlisted"] = bool(run.get("unlisted"))
    row["steps"] = len(run.get("step_order") or ())
    return row


def row_record(row: dict[str, Any]) -> Any:
    """A `RunRow` from a row document (liveness fields dropped). No per-field validation:
    the row is a copy of a run document that was checked when written."""
    return RunRow(id=row["id"], name=row["name"], pipeline_name=row["pipeline_name"], version=row["version"],
                  status=row["status"], start_time=row["start_time"], end_time=row["end_time"],
                  duration=row["duration"], api=row["api"], unlisted=row["unlisted"], tags=row["tags"],
                  notes=row["notes"], summary=row["summary"], steps=row["steps"])


def closing_extras(metadata: dict[str, Any] | None, summary: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """`finish_run`'s ``metadata`` (merged into the run's) and ``summary`` (replaces it), checked."""
    checked_metadata = check_metadata(metadata, "run.metadata") if metadata is not None else None
    if summary is not None and type(summary) is not dict:
        raise ValueError(f"summary must be a dict, got {type(summary).__name__}")
    checked_summary = to_strict_json(summary, "run.summary") if summary is not None else None
    return checked_metadata, checked_summary


def in_progress_message(run: dict[str, Any]) -> str:
    """Why a running run cannot be deleted, and what to do."""
    return (f"Run `{run.get('name')}` is still running (process {run.get('pid')} on {run.get('host')}); "
            "it cannot be deleted while its process writes to it. Wait for it to finish, or stop that "
            "process (it is then recorded failed or crashed), and delete it again.")
