"""ZenML's MLflow flavor names (``...flavors.MLFlowExperimentTrackerSettings`` and friends),
resolved on first use: importing a submodule never creates the pydantic settings model."""

from __future__ import annotations

from typing import Any

__all__ = ["MLFlowExperimentTrackerConfig", "MLFlowExperimentTrackerFlavor", "MLFlowExperimentTrackerSettings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from framework.integrations.mlflow.flavors import mlflow_experiment_tracker_flavor

        return getattr(mlflow_experiment_tracker_flavor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
