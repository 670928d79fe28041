"""The MLflow flavor's settings and configuration, where legacy code imports them from.

``MLFlowExperimentTrackerSettings`` is the model registered under the settings key
``"experiment_tracker.mlflow"`` (it lives with the built-in settings models, so a step can
pass the same fields as a plain dict without importing this module); this module only
names it where ZenML-era code looks for it:

    settings={"experiment_tracker.mlflow": MLFlowExperimentTrackerSettings(nested=True, tags={...})}
"""

from __future__ import annotations

from typing import Any

import attrs

from framework.integrations.mlflow import MLFLOW_MODEL_EXPERIMENT_TRACKER_FLAVOR


def __getattr__(name: str) -> Any:
    if name == "MLFlowExperimentTrackerSettings":  # a pydantic model: created on first use
        from framework._settings_models import MLFlowExperimentTrackerSettings

        return MLFlowExperimentTrackerSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_remote_mlflow_tracking_uri(tracking_uri: str) -> bool:
    """A tracking server (``http(s)://``) or Databricks, rather than a store on this machine."""
    return tracking_uri.startswith(("http://", "https://")) or is_databricks_tracking_uri(tracking_uri)


def is_databricks_tracking_uri(tracking_uri: str) -> bool:
    return tracking_uri == "databricks" or tracking_uri.startswith("databricks://")


@attrs.frozen(kw_only=True)
class MLFlowExperimentTrackerConfig:
    """A tracker's configuration as ZenML exposed it (``tracker.config.tracking_uri``).

    Credentials are not part of it: MLflow reads them from ``MLFLOW_TRACKING_USERNAME`` /
    ``MLFLOW_TRACKING_PASSWORD`` / ``MLFLOW_TRACKING_TOKEN`` in the step's environment.
    """

    tracking_uri: str
    experiment_name: str | None = None
    nested: bool = True
    tags: dict = attrs.field(factory=dict)

    @property
    def is_local(self) -> bool:
        return not is_remote_mlflow_tracking_uri(self.tracking_uri)


class MLFlowExperimentTrackerFlavor:
    """The ``mlflow`` experiment tracker flavor (``framework stack register --experiment-tracker mlflow``)."""

    name = MLFLOW_MODEL_EXPERIMENT_TRACKER_FLAVOR
    type = "experiment_tracker"
    config_class = MLFlowExperimentTrackerConfig

    @property
    def implementation_class(self) -> type:
        from framework.integrations.mlflow.experiment_trackers import MLFlowExperimentTracker

        return MLFlowExperimentTracker
