"""A run's parameters and metrics for listings and charts, read without its steps.

``Run.summary`` (``{"params": {...}, "metrics": {...}}``, written when a run closes) holds
the flat parameters (``step.param``, ``pipeline:arg``) and metrics (``step.name``) a
listing shows, so a page of runs, a metrics-over-runs chart or a parallel-coordinates
plot reads one small run file per run. Runs recorded before summaries existed (or still
running) fall back to reading their steps — only when the caller allows it, since that
costs a read per steps file.
"""

from __future__ import annotations

import math
from typing import Any

from framework.reports.runs import flat_parameters, run_metrics
from framework.views import RunView


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def summary_values(summary: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(parameters, metrics)`` of a run's (or a listing row's) summary; None when it holds
    neither (a run still running, or recorded before summaries existed)."""
    summary = summary or {}
    if summary.get("params") or summary.get("metrics"):
        return dict(summary.get("params") or {}), dict(summary.get("metrics") or {})
    return None


def run_values(run: RunView, *, read_steps: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(parameters, metrics)`` of ``run``: from its summary, else (``read_steps``) from
    its steps, computed as the summary would have been (``framework.summaries``)."""
    found = summary_values(getattr(run.record, "summary", None))
    if found is not None:
        return found
    if not read_steps:
        return {f"pipeline:{k}": v for k, v in run.pipeline_parameters.items()}, {}
    metrics = {k: v for k, v in run_metrics(run).items() if _numeric(v)}
    return flat_parameters(run), metrics


def runs_table(runs: list[RunView], *, read_steps: int = 0) -> dict[str, Any]:
    """Runs (in the given order) as rows of parameters and metrics, with the keys seen
    (first-seen order) and which keys vary. The first ``read_steps`` runs without a summary
    may read their steps; the others show their pipeline arguments only."""
    rows = []
    params: dict[str, None] = {}
    metrics: dict[str, None] = {}
    budget = read_steps
    for run in runs:
        has_summary = bool(getattr(run.record, "summary", None))
        p, m = run_values(run, read_steps=has_summary or budget > 0)
        if not has_summary:
            budget -= 1
        params.update(dict.fromkeys(p))
        metrics.update(dict.fromkeys(m))
        rows.append({"run": run.name, "status": run.status, "start_time": run.start_time, "params": p, "metrics": m})
    varying = [k for k in params if len({repr(r["params"].get(k)) for r in rows}) > 1]
    return {"rows": rows, "params": list(params), "metrics": list(metrics), "varying": varying}
