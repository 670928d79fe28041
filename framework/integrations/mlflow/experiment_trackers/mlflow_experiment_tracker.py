"""``MLFlowExperimentTracker``: a stack's MLflow tracker, as ``Client().active_stack.experiment_tracker``.

ZenML-era scripts read it to find the tracker's name and the MLflow store::

    experiment_tracker = Client().active_stack.experiment_tracker
    if not isinstance(experiment_tracker, MLFlowExperimentTracker): raise RuntimeError(...)

    @step(experiment_tracker=experiment_tracker.name)
    def trainer(...): mlflow.sklearn.autolog(); ...

    print(f"mlflow ui --backend-store-uri '{experiment_tracker.get_tracking_uri()}'")

It is a read-only view of the stack's ``experiment_tracker`` entry (name and tracking URI)
and the factory of the launcher's `MLflowRunTracking`. It does not import MLflow unless a
method that talks to MLflow is called.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import attrs

from framework.integrations.mlflow import MLFLOW_MODEL_EXPERIMENT_TRACKER_FLAVOR


@attrs.frozen(kw_only=True)
class MLFlowExperimentTracker:
    """The MLflow experiment tracker of stack ``stack_name``."""

    name: str
    tracking_uri: str
    stack_name: str = ""
    flavor: str = MLFLOW_MODEL_EXPERIMENT_TRACKER_FLAVOR
    type: str = "experiment_tracker"

    @property
    def id(self) -> str:
        return self.name

    @property
    def config(self) -> Any:
        """``.tracking_uri`` and the settings' defaults (ZenML's ``MLFlowExperimentTrackerConfig``)."""
        from framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
            MLFlowExperimentTrackerConfig,
        )

        return MLFlowExperimentTrackerConfig(tracking_uri=self.tracking_uri)

    @property
    def settings_class(self) -> type:
        from framework._settings_models import MLFlowExperimentTrackerSettings

        return MLFlowExperimentTrackerSettings

    @property
    def is_local(self) -> bool:
        return self.config.is_local

    @property
    def local_path(self) -> str | None:
        """The directory (file store) or database file (SQLite) of a local store; None for a server."""
        from framework.integrations.mlflow import local_store

        db = local_store.sqlite_path(self.tracking_uri)
        if db is not None:
            return str(db)
        if self.tracking_uri.startswith("file:"):
            return self.tracking_uri.removeprefix("file://").removeprefix("file:")
        return None

    def get_tracking_uri(self) -> str:
        """The URI MLflow reads this tracker's runs from: ``mlflow ui --backend-store-uri URI``."""
        return self.tracking_uri

    def configure_mlflow(self) -> None:
        """Point this process's MLflow at the tracker (``mlflow.set_tracking_uri``), as ZenML did."""
        import mlflow

        from framework.integrations.mlflow import local_store

        local_store.prepare(self.tracking_uri)
        mlflow.set_tracking_uri(self.tracking_uri)

    def get_run_id(self, experiment_name: str, run_name: str) -> str | None:
        """The id of the MLflow run of framework run ``run_name`` in ``experiment_name``, or None."""
        from framework.integrations.mlflow.run_tracking import _client

        client = _client(self.tracking_uri)
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            return None
        found = client.search_runs([experiment.experiment_id],
                                   filter_string=f"tags.`framework.run` = '{run_name.replace(chr(39), '')}'",
                                   max_results=10)
        parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
        return parents[0].info.run_id if parents else None

    # ------------------------------------------------------------------ used by the framework
    def missing_requirement(self) -> str | None:
        """Why this tracker cannot run here (MLflow not installed), or None."""
        if importlib.util.find_spec("mlflow") is None:
            return "needs MLflow, which is not installed: pip install 'framework[mlflow]'."
        return None

    def run_tracking(self, graph: Any) -> Any:
        """The launcher's `MLflowRunTracking` for one run of ``graph``."""
        from framework.integrations.mlflow.run_tracking import MLflowRunTracking

        return MLflowRunTracking(self.tracking_uri, graph, tracker_name=self.name)

    def __str__(self) -> str:
        return f"{self.type} `{self.name}` ({self.flavor})"
