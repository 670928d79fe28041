"""The run-history side of `InMemoryStore` (``framework.metadata.memory``): tags, notes and
metadata on pipelines, runs and step runs, and deleting runs and pipelines.

A mixin over the store's own dicts and lock, kept apart so each module holds one concept;
the rules (checks, merges, what a deletion removes) are the contract's, as the TinyDB and
PostgreSQL backends apply them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from framework.exceptions import RunInProgressError
from framework.metadata import checks
from framework.metadata.run_changes import RunChange
from framework.metadata.strict_json import to_strict_json
from framework.records import Pipeline, Run, StepRun, from_doc


def copy_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a strict-JSON document (callers never share the store's state)."""
    return to_strict_json(doc, "document")


class MemoryHistory:
    """Needs the store's ``_lock``, ``_pipelines``, ``_versions``, ``_runs``, ``_names``,
    ``_steps``, ``_artifacts``, ``_cache``, ``_known_run`` and ``_run_doc``."""

    def update_pipeline(self, name: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                        notes: str | None = None) -> Pipeline:
        add, remove = checks.check_tags(add_tags, "add_tags"), checks.check_tags(remove_tags, "remove_tags")
        new_notes = checks.check_notes(notes) if notes is not None else None
        with self._lock:
            doc = self._pipelines.get(name)
            if doc is None:
                raise KeyError(f"no pipeline named {name!r} in the in-memory metadata store")
            doc["tags"] = checks.retagged(doc.get("tags") or [], add, remove)
            if notes is not None:
                doc["notes"] = new_notes
            return from_doc(Pipeline, copy_doc(doc))

    def update_run(self, run_id: str, *, add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                   notes: str | None = None, metadata: dict[str, Any] | None = None,
                   summary: dict[str, Any] | None = None) -> Run:
        change = RunChange.checked(add_tags, remove_tags, notes, metadata, summary)
        with self._lock:
            self._known_run(run_id)
            change.apply(self._runs[run_id])
            return from_doc(Run, self._run_doc(run_id))

    def update_step_run(self, run_id: str, step_run_id: str, *, metadata: dict[str, Any] | None = None,
                        output_metadata: dict[str, dict[str, Any]] | None = None) -> StepRun:
        new_metadata = checks.check_metadata(metadata) if metadata is not None else None
        new_outputs = checks.check_output_metadata(output_metadata) if output_metadata is not None else None
        with self._lock:
            self._known_run(run_id)
            step = self._steps[run_id].get(step_run_id)
            if step is None:
                raise KeyError(f"run {run_id} has no step run {step_run_id} in the in-memory metadata store")
            if new_metadata:
                step["metadata"] = checks.merge_metadata(step.get("metadata") or {}, new_metadata)
            if new_outputs:
                step["output_metadata"] = checks.merge_output_metadata(step.get("output_metadata") or {},
                                                                       new_outputs)
            return from_doc(StepRun, copy_doc(step))

    def _deletable(self, run_ids: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(run_ids))
        for run_id in wanted:
            self._known_run(run_id)
            doc = self._run_doc(run_id)
            if doc["status"] == "running":
                raise RunInProgressError(checks.in_progress_message(doc))
        return wanted

    def _delete(self, run_ids: list[str]) -> None:
        gone = set(run_ids)
        for run_id in run_ids:
            doc = self._runs.pop(run_id)
            self._names.pop(doc["name"], None)
            del self._steps[run_id], self._artifacts[run_id]
        for key in list(self._cache):
            kept = [e for e in self._cache[key] if e["run_id"] not in gone]
            if kept:
                self._cache[key] = kept
            else:
                del self._cache[key]
        for pipeline in self._pipelines.values():
            mine = [d for d in self._runs.values() if d["pipeline_id"] == pipeline["id"]]
            pipeline["run_count"] = len(mine)
            if pipeline.get("last_run_id") in gone:
                newest = max(mine, key=lambda d: (d["start_time"], d["id"]), default=None)
                pipeline["last_run_id"] = newest["id"] if newest else None

    def delete_runs(self, run_ids: Iterable[str]) -> list[str]:
        with self._lock:
            wanted = self._deletable(run_ids)
            self._delete(wanted)
            return wanted

    def delete_pipeline(self, name: str) -> list[str]:
        with self._lock:
            pipeline = self._pipelines.get(name)
            if pipeline is None:
                raise KeyError(f"no pipeline named {name!r} in the in-memory metadata store")
            wanted = self._deletable([i for i, d in self._runs.items() if d["pipeline_id"] == pipeline["id"]])
            self._delete(wanted)
            self._versions = [v for v in self._versions if v["pipeline_id"] != pipeline["id"]]
            del self._pipelines[name]
            return wanted
