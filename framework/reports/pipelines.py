"""Pipelines as rows, and a pipeline's versions."""

from __future__ import annotations

from typing import Any

from framework.records import Pipeline, Version


def pipeline_row(pipeline: Pipeline, last_run: Any) -> dict[str, Any]:
    """Name, latest version, run count and the last run (name, status, start) of a pipeline.
    ``last_run``: its last run's record, or None."""
    return {
        "name": pipeline.name,
        "latest_version": pipeline.latest_version,
        "runs": pipeline.run_count,
        "last_run": last_run.name if last_run else None,
        "last_run_status": last_run.status if last_run else None,
        "last_run_start": last_run.start_time if last_run else None,
        "last_run_duration": last_run.duration if last_run else None,
        "created": pipeline.created,
    }


def version_row(version: Version) -> dict[str, Any]:
    """One version: number, hash, creation time, API and its steps (step names in legacy
    pipelines, invocation ids in function pipelines)."""
    spec = version.spec or {}
    key = "step_name" if spec.get("api") == "legacy" else "id"
    return {
        "number": version.number,
        "hash": version.hash,
        "created": version.created,
        "api": spec.get("api"),
        "steps": [inv.get(key) or inv.get("id") for inv in spec.get("invocations", [])],
    }
