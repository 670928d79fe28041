"""The launcher's side of MLflow tracking: experiments, and one MLflow run per framework run.

Run layout (what a user sees in the MLflow UI):

* **experiment** = the pipeline's name (``experiment_name`` in the ``experiment_tracker.mlflow``
  settings overrides it, per step or for the pipeline); created when first needed;
* **one MLflow run per framework run** and experiment, named like the framework run, tagged
  ``framework.pipeline``, ``framework.run``, ``framework.run_id``, ``framework.version``,
  ``framework.stack`` and ``framework.param.<arg>`` for the pipeline's arguments;
* **one nested run per tracked step that executes**, named like the step (its id in the
  function API, its name in the legacy one), tagged as its parent plus ``framework.step``
  and ``framework.param.<name>`` for the step's parameters and the settings' ``tags``. A
  cached step did not run: it gets no MLflow run.

Why the parent is created here and not by the first step: steps may run at the same time
in several processes (Dask), and two of them must not each create "the" run's MLflow run.
The launcher creates it when the first tracked step is handed to the orchestrator (a run
served wholly from the cache creates none), passes its id in each step's `MLflowStepRun`,
and ends it with the framework run: ``FINISHED`` or ``FAILED``.

Framework parameters are tags, not MLflow params: MLflow refuses a second, different value
for a param, and a step's own ``log_param``/autologging may log the same names.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from framework.experiment_tracking import DEFAULT_TRACKER_NAME
from framework.integrations.mlflow import local_store
from framework.integrations.mlflow.step_run import MLflowStepRun, autologging_configs
from framework.settings import merge_dicts

SETTINGS_KEY = "experiment_tracker.mlflow"
TAG_VALUE_LIMIT = 5000  # MLflow stores tag values up to 8000 characters; keep parameters readable
_EXPERIMENTS: dict[tuple[str, str], str] = {}  # (tracking URI, experiment name) -> id, for this process
_CONTEXT_TAGS: dict[str, str] = {}  # mlflow.user, mlflow.source.*: resolved once per process
_LOCK = threading.Lock()


def _tag_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= TAG_VALUE_LIMIT else text[:TAG_VALUE_LIMIT - 3] + "..."


def step_settings(graph: Any, inv: Any) -> Any:
    """The ``experiment_tracker.mlflow`` settings of one step: the pipeline's, then the step's."""
    from framework._settings_models import MLFlowExperimentTrackerSettings

    merged = merge_dicts(graph.settings.get(SETTINGS_KEY, {}), inv.settings.get(SETTINGS_KEY, {}))
    return MLFlowExperimentTrackerSettings.model_validate(merged)


class MLflowRunTracking:
    """Tracks one framework run in MLflow: ``begin(run)``, ``for_step(inv)`` per executed
    tracked step, ``finish(status)``. Called by the launcher, in its process."""

    def __init__(self, tracking_uri: str, graph: Any, tracker_name: str = DEFAULT_TRACKER_NAME) -> None:
        self.tracking_uri = tracking_uri
        self.graph = graph
        self.tracker_name = tracker_name
        self.run: Any = None
        self._parents: dict[str, str] = {}  # experiment id -> the framework run's MLflow run
        self._lock = threading.Lock()

    def begin(self, run: Any) -> None:
        """The framework run's record exists (``Run``: id, name, version, stack, arguments)."""
        self.run = run

    def for_step(self, inv: Any) -> MLflowStepRun:
        """What the step's process needs to log ``inv`` (creates the experiment and the
        run's MLflow run the first time)."""
        settings = step_settings(self.graph, inv)
        experiment = settings.experiment_name or self.graph.name
        experiment_id = self._experiment(experiment)
        try:
            parent = self._parent(experiment_id)
        except Exception as exc:  # the store was replaced since this process looked the experiment up
            if getattr(exc, "error_code", None) != "RESOURCE_DOES_NOT_EXIST" or not forget_experiment(
                    self.tracking_uri, experiment):
                raise
            experiment_id = self._experiment(experiment)
            parent = self._parent(experiment_id)
        name = inv.step_name if self.graph.api == "legacy" else inv.id
        tags = {**_context_tags(), **self._run_tags(), "framework.step": name,
                **{f"framework.param.{k}": _tag_value(v) for k, v in sorted(inv.parameters.items())},
                **{str(k): _tag_value(v) for k, v in settings.tags.items()}}
        return MLflowStepRun(self.tracking_uri, experiment_id, parent, run_name=name, nested=settings.nested,
                             tags=tags, autolog=autologging_configs())

    def finish(self, status: str) -> None:
        """End the run's MLflow runs: ``FINISHED`` for a completed run, else ``FAILED``."""
        if not self._parents:
            return
        final = "FINISHED" if status == "completed" else "FAILED"
        client = _client(self.tracking_uri)
        for run_id in self._parents.values():
            client.set_terminated(run_id, final)

    # ------------------------------------------------------------------ helpers
    def _run_tags(self) -> dict[str, str]:
        run = self.run
        tags = {"framework": _framework_version(), "framework.pipeline": self.graph.name,
                "framework.experiment_tracker": self.tracker_name}
        if run is not None:
            tags.update({"framework.run": run.name, "framework.run_id": run.id, "framework.version": str(run.version),
                         "framework.stack": str(run.stack)})
        return tags

    def _parent(self, experiment_id: str) -> str:
        with self._lock:
            if experiment_id not in self._parents:
                pipeline = step_settings(self.graph, _NoStep)
                arguments = dict(getattr(self.run, "pipeline_parameters", None) or {})
                tags = {**_context_tags(), **self._run_tags(),
                        **{f"framework.param.{k}": _tag_value(v) for k, v in sorted(arguments.items())},
                        **{str(k): _tag_value(v) for k, v in pipeline.tags.items()}}
                run_name = self.run.name if self.run is not None else self.graph.name
                created = _client(self.tracking_uri).create_run(experiment_id, run_name=run_name, tags=tags)
                self._parents[experiment_id] = created.info.run_id
            return self._parents[experiment_id]

    def _experiment(self, name: str) -> str:
        key = (self.tracking_uri, name)
        with _LOCK:
            if key in _EXPERIMENTS:
                return _EXPERIMENTS[key]
            client = _client(self.tracking_uri)
            found = client.get_experiment_by_name(name)
            if found is None:
                experiment_id = client.create_experiment(name, artifact_location=local_store.artifact_location(
                    self.tracking_uri))
            else:
                experiment_id = found.experiment_id
                if found.lifecycle_stage == "deleted":
                    logging.getLogger("framework").info("Restoring the deleted MLflow experiment `%s`.", name)
                    client.restore_experiment(experiment_id)
            local_store.use_write_ahead_log(self.tracking_uri)  # the store exists by now
            _EXPERIMENTS[key] = experiment_id
            return experiment_id


class _NoStep:
    """Stands for "no step" in `step_settings`: the pipeline's settings alone."""

    settings: dict = {}


def _client(tracking_uri: str) -> Any:
    return local_store.client(tracking_uri)


def _context_tags() -> dict[str, str]:
    """MLflow's own run context of this process (user, source script, git commit), once:
    the step's run gets the script's context, not a Dask worker's."""
    if not _CONTEXT_TAGS:
        from mlflow.tracking.context import registry

        _CONTEXT_TAGS.update({k: str(v) for k, v in registry.resolve_tags({}).items()})
    return dict(_CONTEXT_TAGS)


def _framework_version() -> str:
    import framework

    return framework.__version__


def forget_experiment(tracking_uri: str, name: str) -> bool:
    """Forget a cached experiment id; True if there was one."""
    with _LOCK:
        return _EXPERIMENTS.pop((tracking_uri, name), None) is not None
