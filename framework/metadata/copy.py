"""Copying every record of one metadata store into another: ``framework store copy SRC DEST``.

Backend-free: it reads through the store contract (pipelines, versions, runs with their
step runs and artifacts) and writes through its two copy methods, so TinyDB → PostgreSQL,
PostgreSQL → TinyDB and any other pair work alike.

* **Pipelines and versions** are registered by name and hash (`import_version`): a pipeline
  new to the destination keeps its id and creation time, versions keep their creation time
  and — in a destination without other versions of that pipeline — their numbers; a version
  the destination has (same hash) is reused, so two homes copied into one team store share
  their pipelines. Runs are renumbered to the destination's versions.
* **Runs** keep their ids, names, status, times, step runs (in order) and artifacts; the
  cache index is rebuilt from their completed steps. They go in batches, each one
  transaction, oldest first: a copy that stops half-way keeps what it copied, and running
  it again copies the rest — runs already there (same id) are skipped, so a copy is
  idempotent and resumable.
* **Not copied**: runs still in progress (``running``; copy again when they finish) and
  runs whose name another run of the destination holds (reported; rename one of them).

Artifact files are not moved: runs keep pointing at the artifact store they were written
to (a stack registered with the destination store should use the same artifact store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from framework.metadata.protocol import MetadataStore
from framework.records import Registration, RunDetail

BATCH = 100


@attrs.define
class CopyReport:
    """What a copy did: counts, and the runs it left out and why."""

    source: str
    destination: str
    pipelines: int = 0
    versions_created: int = 0
    runs_copied: int = 0
    runs_present: int = 0
    name_taken: list = attrs.field(factory=list)  # names of runs whose name another run holds there
    in_progress: list = attrs.field(factory=list)  # names of runs still running in the source

    @property
    def complete(self) -> bool:
        return not self.name_taken

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _remapped(detail: RunDetail, versions: dict[int, Registration]) -> RunDetail:
    registration = versions.get(detail.run.version)
    if registration is None:
        raise ValueError(f"run '{detail.run.name}' is of version {detail.run.version} of pipeline "
                         f"'{detail.run.pipeline_name}', which the source store does not list")
    run = attrs.evolve(detail.run, pipeline_id=registration.pipeline_id, version=registration.version)
    return attrs.evolve(detail, run=run)


def copy_store(source: MetadataStore, destination: MetadataStore, *, batch: int = BATCH,
               progress: Callable[[CopyReport, int], None] | None = None) -> CopyReport:
    """Copy every pipeline, version and finished run of ``source`` into ``destination``
    (see the module docstring); ``progress(report, runs_seen)`` is called after each batch."""
    if source.location == destination.location:
        raise ValueError(f"source and destination are the same store ({source.location})")
    report = CopyReport(source.location, destination.location)
    seen = 0
    for pipeline in source.list_pipelines():
        report.pipelines += 1
        versions: dict[int, Registration] = {}
        for version in source.list_versions(pipeline.name):
            registration = destination.import_version(version, pipeline_id=pipeline.id,
                                                      pipeline_created=pipeline.created)
            versions[version.number] = registration
            report.versions_created += registration.new_version
        runs = source.list_runs(pipeline.name)[::-1]  # oldest first
        for start in range(0, len(runs), batch):
            details = []
            for run in runs[start:start + batch]:
                detail = source.get_run_by_id(run.id) if run.status != "running" else None
                if detail is None or detail.run.status == "running":
                    report.in_progress.append(run.name)
                    continue
                details.append(_remapped(detail, versions))
            outcomes = destination.import_runs(details) if details else []
            for detail, outcome in zip(details, outcomes, strict=True):
                if outcome == "copied":
                    report.runs_copied += 1
                elif outcome == "present":
                    report.runs_present += 1
                else:
                    report.name_taken.append(detail.run.name)
            seen += len(runs[start:start + batch])
            if progress is not None:
                progress(report, seen)
    return report
