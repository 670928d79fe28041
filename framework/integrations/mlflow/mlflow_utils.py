"""MLflow helpers that ZenML-era code imports (``from ...mlflow.mlflow_utils import get_tracking_uri``).

The typical use, after a run::

    print(f"mlflow ui --backend-store-uri '{get_tracking_uri()}'")
"""

from __future__ import annotations

from typing import Any

#: The tag every MLflow run the framework creates carries (its value: the framework's version).
FRAMEWORK_TAG_KEY = "framework"


def get_missing_mlflow_experiment_tracker_error() -> ValueError:
    """The error for "the active stack has no MLflow tracker", with the commands that add one."""
    return ValueError(
        "The active stack needs an MLflow experiment tracker to track experiments with MLflow. Register a stack "
        "with one and make it active:\n\n  framework stack register ml --experiment-tracker mlflow\n"
        "  framework stack set ml\n")


def _active_tracker() -> Any:
    # Outside any run, the active stack is where the tracker is defined.
    from framework.integrations.mlflow.experiment_trackers import MLFlowExperimentTracker
    from framework.integrations.trackers import tracker_component
    from framework.stacks import active_stack

    tracker = tracker_component(active_stack())
    if not isinstance(tracker, MLFlowExperimentTracker):
        raise get_missing_mlflow_experiment_tracker_error()
    return tracker


def get_tracking_uri() -> str:
    """The tracking URI of the active stack's MLflow tracker (``ValueError`` if it has none)."""
    return _active_tracker().get_tracking_uri()


def local_mlflow_backend() -> str:
    """The tracking URI of the active stack's tracker when it is a local store (ZenML's name)."""
    return get_tracking_uri()


def is_framework_run(run: Any) -> bool:
    """True if the MLflow ``run`` was created by the framework (it carries the ``framework`` tag)."""
    return FRAMEWORK_TAG_KEY in run.data.tags
