"""``from framework.integrations.mlflow.experiment_trackers import MLFlowExperimentTracker``."""

from framework.integrations.mlflow.experiment_trackers.mlflow_experiment_tracker import MLFlowExperimentTracker

__all__ = ["MLFlowExperimentTracker"]
