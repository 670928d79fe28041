"""The records every metadata store keeps, as frozen typed values.

One class per kind — `Pipeline`, `Version`, `Run`, `StepRun`, `Artifact`, `CacheEntry` —
plus the two compound answers stores give (`Registration`, `RunDetail`). Every backend
converts with the same two functions, `to_doc` and `from_doc`, so a field added here is
stored and read back by all of them alike.

Why the strictness of `from_doc`: a stored document with a key this version does not know,
or without one it needs, means the store was damaged or written by something else.
Guessing would show wrong data (a run with no name, a step with no status); the error
names the kind of record, its id and the keys instead. Fields with a default may be
absent (documents written before the field existed).

`ArtifactInfo` is what the artifact store returns for a saved value; `Artifact` adds where
it came from (run, step, output). A load needs only the `ArtifactInfo` part, so an
`Artifact` is accepted wherever an `ArtifactInfo` is.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, TypeVar

import attrs

from framework import record_fields as field_checks
from framework.exceptions import RecordError
from framework.record_fields import ARTIFACT_ID_PATTERN

__all__ = [
    "ARTIFACT_ID_PATTERN", "RUN_STATUSES", "STEP_STATUSES", "Artifact", "ArtifactInfo", "CacheEntry",
    "Pipeline", "Registration", "Run", "RunDetail", "RunRow", "StepRun", "Version", "from_doc", "to_doc",
]

RUN_STATUSES = ("running", "completed", "failed", "crashed")
STEP_STATUSES = ("running", "completed", "failed", "cached", "skipped", "crashed")

# ---------------------------------------------------------------------- pipelines
@attrs.frozen(kw_only=True)
class Pipeline:
    """A pipeline name and its counters; ``latest_version`` is the newest version's number."""

    id: str = attrs.field(validator=field_checks.text)
    name: str = attrs.field(validator=field_checks.text)
    created: str
    latest_version: int
    last_run_id: str | None = None
    run_count: int = 0
    tags: list = attrs.field(factory=list)
    notes: str | None = None


@attrs.frozen(kw_only=True)
class Version:
    """One definition of a pipeline (``hash`` of its structure); ``spec`` is the compiled graph."""

    pipeline_id: str = attrs.field(validator=field_checks.text)
    pipeline_name: str
    number: int
    hash: str
    spec: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    created: str | None = None


@attrs.frozen
class Registration:
    """The outcome of ``register_pipeline``.

    ``version`` is the number of the version whose hash matched (an existing one, possibly
    older than the latest if the code went back), or of the version just created.
    """

    pipeline_id: str
    version: int
    new_pipeline: bool
    new_version: bool


# ---------------------------------------------------------------------- runs and steps
@attrs.frozen(kw_only=True)
class Run:
    """One run of a pipeline version. ``lease`` names the lock the owner of a ``running`` run
    holds for its life (``"flock"``, ``"advisory"``; None: no lease), and ``host``/``pid``/
    ``process_start`` identify that process (see ``framework.liveness``)."""

    id: str = attrs.field(validator=field_checks.text)
    name: str = attrs.field(validator=field_checks.text)
    pipeline_name: str = attrs.field(validator=field_checks.text)
    pipeline_id: str = attrs.field(validator=field_checks.text)
    version: int
    status: str = attrs.field(validator=field_checks.one_of(RUN_STATUSES))
    start_time: str
    end_time: str | None = None
    duration: float | None = None
    pid: int | None = None
    host: str | None = None
    process_start: str | None = None
    lease: str | None = None
    stack: str | None = None
    api: str | None = None
    enable_cache: bool | None = None  # the run-level override, if one was given
    caching_enabled: bool | None = None  # the pipeline's own setting
    pipeline_parameters: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    config: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    step_order: list = attrs.field(factory=list)
    unlisted: bool = False
    error: str | None = attrs.field(default=None, validator=field_checks.optional_text)
    tags: list = attrs.field(factory=list)
    notes: str | None = None
    metadata: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # logged on the run (log_metadata(run=...))
    # What listings show without reading the steps: flat parameters ("step.param", "pipeline:arg")
    # and metrics (numeric metadata and scalar outputs, "step.name"), written when the run closes.
    summary: dict = attrs.field(factory=dict, validator=field_checks.mapping)


@attrs.frozen(kw_only=True)
class RunRow:
    """What a run listing shows of a run: a `Run` without its configuration, parameters and
    metadata (``steps`` is the number of invocations it planned).

    Why a record of its own: a listing over 10,000 runs (``runs list --where …``) must not
    parse 10,000 full run documents. Backends answer `query_runs` with these, from a
    compact copy kept beside their run index (TinyDB) or from selected columns (SQL);
    ``RunRow.of(run)`` is the one definition of what a row holds.
    """

    id: str
    name: str
    pipeline_name: str
    version: int
    status: str
    start_time: str
    end_time: str | None = None
    duration: float | None = None
    api: str | None = None
    unlisted: bool = False
    tags: list = attrs.field(factory=list)
    notes: str | None = None
    summary: dict = attrs.field(factory=dict)  # {"params": {...}, "metrics": {...}}, as on the run
    steps: int = 0

    @classmethod
    def of(cls, run: Run) -> RunRow:
        return cls(id=run.id, name=run.name, pipeline_name=run.pipeline_name, version=run.version,
                   status=run.status, start_time=run.start_time, end_time=run.end_time,
                   duration=run.duration, api=run.api, unlisted=run.unlisted, tags=list(run.tags),
                   notes=run.notes, summary=run.summary, steps=len(run.step_order or ()))


@attrs.frozen(kw_only=True)
class StepRun:
    """One step's execution (or cache hit, or skip) inside a run.

    ``inputs``/``outputs`` map argument and output names to artifact ids. A cached step
    run links to the step run that produced its artifacts (``original_*``).
    """

    id: str = attrs.field(validator=field_checks.text)
    run_id: str = attrs.field(validator=field_checks.text)
    invocation_id: str = attrs.field(validator=field_checks.text)
    step_name: str = attrs.field(validator=field_checks.text)
    status: str = attrs.field(validator=field_checks.one_of(STEP_STATUSES))
    slot: str | None = None
    step_class: str | None = None
    parameters: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    code_fingerprint: str | None = None
    inputs: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    outputs: dict = attrs.field(factory=dict, validator=field_checks.mapping)
    start_time: str | None = None
    end_time: str | None = None
    duration: float | None = None
    cache_key: str | None = attrs.field(default=None, validator=field_checks.optional_text)
    original_step_run_id: str | None = None
    original_run_id: str | None = None
    error: str | None = attrs.field(default=None, validator=field_checks.optional_text)
    metadata: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # log_metadata(...) inside the step
    output_metadata: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # output name -> metadata added to it
    logs: dict | None = None  # where the step's captured output is and what of it was kept
    extra_files: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # output -> its extra files' directory


# ---------------------------------------------------------------------- artifacts
@attrs.frozen
class ArtifactInfo:
    """Where an artifact lives and how to check and load it.

    Fields:
      id: 32-hex artifact id; also names the file.
      uri: path relative to the store root, posix separators (``"ab/ab12…ef.npy"``).
      materializer: dotted name of the materializer class that wrote it.
      data_type: dotted ``module.qualname`` of the saved value's type.
      format_version: the materializer's ``FORMAT_VERSION`` at write time.
      size: byte size of the file.
      content_hash: ``"xxh3_128:<hex>"`` of the file's bytes.
      metadata: small strict-JSON summary for humans (shape, dtype, rows, ...).
      signature: the file's stat signature right after it was written (local stores:
        boot id, device, inode, size, mtime and ctime in ns; else None). A cache check
        whose file still has it skips re-hashing (`ArtifactStore.verify(quick=True)`);
        loads always hash.

    Compare with ``==``; ``hash()`` raises TypeError because ``metadata`` is a dict.
    """

    id: str = attrs.field(validator=field_checks.artifact_id)
    uri: str = attrs.field(validator=field_checks.artifact_uri)
    materializer: str = attrs.field(validator=field_checks.dotted)
    data_type: str = attrs.field(validator=field_checks.dotted)
    format_version: int = attrs.field(validator=field_checks.non_negative_int)
    size: int = attrs.field(validator=field_checks.non_negative_int)
    content_hash: str = attrs.field(validator=field_checks.content_hash)
    metadata: dict = attrs.field(factory=dict, validator=field_checks.json_metadata)
    signature: str | None = attrs.field(default=None, validator=field_checks.signature)

    def to_dict(self) -> dict[str, Any]:
        """A strict-JSON dict (fresh copy; metadata deep-copied through JSON)."""
        d = attrs.asdict(self, recurse=False)
        d["metadata"] = json.loads(json.dumps(self.metadata, allow_nan=False))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArtifactInfo:
        """Inverse of `to_dict`. Missing or unknown keys and wrong types raise ``ValueError``."""
        if not isinstance(d, dict):
            raise ValueError(f"{cls.__name__}.from_dict expects a dict, got {type(d).__name__}.")
        missing, unknown = _check_keys(cls, d)
        if missing or unknown:
            raise ValueError(
                f"Not an artifact record: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}."
            )
        return cls(**d)


@attrs.frozen(kw_only=True)
class Artifact(ArtifactInfo):
    """An `ArtifactInfo` plus its provenance: the run, step and output that produced it.

    A cached step reuses the original's `Artifact`, so ``run_name`` names the run that
    wrote the bytes, not every run that uses them.
    """

    step_name: str | None = None
    output_name: str | None = None
    run_name: str | None = None
    invocation_id: str | None = None
    mac: str | None = None  # keyed hash of this home: a load may run code (``framework.artifacts.trust``)

    @classmethod
    def of(cls, info: ArtifactInfo, **provenance: Any) -> Artifact:
        """``info`` with provenance added."""
        return cls(**attrs.asdict(info, recurse=False), **provenance)

    def describe(self) -> str:
        """``run `r`, step `s`, output `o``` for error messages."""
        return f"run `{self.run_name or '?'}`, step `{self.step_name or '?'}`, output `{self.output_name or '?'}`"


@attrs.frozen(kw_only=True)
class CacheEntry:
    """A completed step run that may serve later runs whose cache key matches."""

    cache_key: str = attrs.field(validator=field_checks.text)
    run_id: str = attrs.field(validator=field_checks.text)
    step_run_id: str = attrs.field(validator=field_checks.text)
    outputs: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # output name -> artifact id
    artifacts: dict = attrs.field(factory=dict, validator=field_checks.mapping)  # artifact id -> Artifact
    created: str | None = None


@attrs.frozen(kw_only=True)
class RunDetail:
    """A run with its step runs (execution order, each once) and their artifacts (by id)."""

    run: Run
    steps: tuple = ()  # StepRun, ...
    artifacts: Mapping = attrs.field(factory=dict)  # artifact id -> Artifact

    def step_key(self, step: StepRun) -> str:
        """The name a user gives this step: the step name in a legacy run (where slots are
        aliases), the invocation id (``trainer``, ``trainer_2``) in a function-API run."""
        return step.step_name if self.run.api == "legacy" else step.invocation_id


# ---------------------------------------------------------------------- documents
_R = TypeVar("_R")
_KEYS: dict[type, tuple[frozenset[str], frozenset[str]]] = {}


def _keys(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(every field name, the required ones) of a record class, computed once."""
    known = _KEYS.get(cls)
    if known is None:
        fields = attrs.fields(cls)
        known = _KEYS[cls] = (frozenset(f.name for f in fields),
                              frozenset(f.name for f in fields if f.default is attrs.NOTHING))
    return known


def _check_keys(cls: type, doc: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    names, required = _keys(cls)
    return set(required - doc.keys()), set(doc.keys() - names)


def to_doc(record: Any) -> dict[str, Any]:
    """A record as the plain dict a store writes (nested records as dicts too)."""
    doc = attrs.asdict(record, recurse=False)
    if isinstance(record, CacheEntry):
        doc["artifacts"] = {aid: to_doc(a) if attrs.has(type(a)) else dict(a) for aid, a in record.artifacts.items()}
    elif isinstance(record, ArtifactInfo):
        doc["metadata"] = dict(record.metadata)
    return doc


def from_doc(cls: type[_R], doc: Any, *, where: str = "the metadata store") -> _R:
    """The record of class ``cls`` stored as ``doc``; `RecordError` naming the record, its id,
    the offending keys and ``where`` (a file, a table) when the document does not fit."""
    kind = cls.__name__.lower()
    if type(doc) is not dict:
        raise RecordError(f"{where} holds a {kind} record that is a {type(doc).__name__}, not a document.")
    missing, unknown = _check_keys(cls, doc)
    ident = doc.get("id") or doc.get("step_run_id") or doc.get("name") or "?"
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"lacks {', '.join(sorted(missing))}")
        if unknown:
            problems.append(f"has unknown key(s) {', '.join(sorted(unknown))}")
        raise RecordError(f"{where}: the {kind} record `{ident}` {' and '.join(problems)}. "
                          "The store was damaged or written by another program.")
    if cls is CacheEntry:
        doc = dict(doc, artifacts={aid: from_doc(Artifact, a, where=where)
                                   for aid, a in (doc.get("artifacts") or {}).items()})
    try:
        return cls(**doc)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{where}: the {kind} record `{ident}` is invalid: {exc}.") from None
