"""A run as flat keys: its parameters and its metrics, computed the same way everywhere.

Listings, filters, sorts and comparisons address a run's values by flat keys:

* parameters: a pipeline argument is ``pipeline:<name>``, a step parameter
  ``<step>.<name>`` (``<step>`` being the step's key in its run: the step name in legacy
  runs, the invocation id otherwise);
* metrics — the numbers a run produced: a scalar output ``<step>.<output>``, a number
  logged on a step ``<step>.<key>``, on an output ``<step>.<output>.<key>``, on the run
  ``<key>`` (nested dicts of numbers flatten with dots).

The launcher stores ``{"params": …, "metrics": …}`` as ``Run.summary`` when the run
closes (`run_summary`), so a listing of 10,000 runs needs no steps file; the read model
(``framework.reports``) computes the same for a run without one. Plain data: records in,
dicts out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from framework.records import RunDetail

#: What a scalar output may be: its value is recorded in the artifact's metadata.
SCALARS = (bool, int, float, str, type(None))


def is_number(value: Any) -> bool:
    """A metric value: an int or a float (a bool is a flag, not a number)."""
    return type(value) in (int, float)


def flat_parameters(pipeline_parameters: Mapping[str, Any], steps: Iterable[tuple[str, Mapping[str, Any]]]
                    ) -> dict[str, Any]:
    """Pipeline arguments, then each step's parameters (``steps``: (step key, parameters))."""
    flat: dict[str, Any] = {f"pipeline:{k}": v for k, v in pipeline_parameters.items()}
    for key, parameters in steps:
        for name, value in parameters.items():
            flat[f"{key}.{name}"] = value
    return flat


def scalar_value(metadata: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(True, value)`` if an artifact's recorded metadata holds a scalar value (a number, a
    bool, a short string, None: what a step returns as a score), else ``(False, None)``."""
    if "value" in metadata and "shape" not in metadata and isinstance(metadata["value"], SCALARS):
        return True, metadata["value"]
    return False, None


def flat_numbers(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The numbers in ``values`` (nested dicts flattened with dots) under ``prefix``."""
    found: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if is_number(value):
            found[name] = value
        elif isinstance(value, Mapping):
            found.update(flat_numbers(f"{name}.", value))
    return found


def run_metrics(detail: RunDetail) -> dict[str, Any]:
    """Every metric of a run (see the module docstring), in step order."""
    metrics = flat_numbers("", detail.run.metadata)
    for step in detail.steps:
        key = detail.step_key(step)
        for name, artifact_id in step.outputs.items():
            artifact = detail.artifacts.get(artifact_id)
            if artifact is not None:
                ok, value = scalar_value(artifact.metadata)
                if ok and is_number(value):
                    metrics[f"{key}.{name}"] = value
        metrics.update(flat_numbers(f"{key}.", step.metadata))
        for output, values in step.output_metadata.items():
            metrics.update(flat_numbers(f"{key}.{output}.", values))
    return metrics


def run_summary(detail: RunDetail) -> dict[str, Any]:
    """``{"params": flat parameters, "metrics": run_metrics}``: what ``Run.summary`` holds."""
    params = flat_parameters(detail.run.pipeline_parameters,
                             ((detail.step_key(step), step.parameters) for step in detail.steps))
    return {"params": params, "metrics": run_metrics(detail)}
