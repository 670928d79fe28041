"""The step's side of MLflow tracking: an MLflow run around one step, in the step's process.

`MLflowStepRun` is what the launcher puts in the ``StepTask`` of a tracked step: plain,
picklable data (tracking URI, experiment id, the run's MLflow run, tags), so it reaches a
Dask worker by value like the rest of the task; nothing on the worker needs the stack, the
home or the metadata store. `MLflowStepRun.open` gives the step runner a context manager
(`StepScope`) that, around the step's code:

* points MLflow at the stack's tracking URI and the pipeline's experiment (also for runs
  the step starts itself with ``mlflow.start_run(nested=True)``);
* starts the step's MLflow run — nested under the run's (``mlflow.parentRunId``) or, with
  ``nested=False``, the run's MLflow run itself — so ``mlflow.log_metric(...)`` and
  autologging inside the step land there;
* registers itself for ``framework.experiment_tracking.mirror_metrics``;
* ends the run ``FINISHED``, ``FAILED`` (the step raised) or ``KILLED`` (the run was
  stopped), and leaves the process as it found it: the tracking URI, the experiment and
  the autologging integrations the step switched on are restored once no tracked step
  runs in the process any more (steps may run in threads side by side; MLflow's active
  run is per thread).

Autologging switched on by the script that started the run (``mlflow.sklearn.autolog()`` at
module level) travels with the task too: a Dask worker never runs the script, so it is
switched on there for the step as it is in the script's process.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from typing import Any, Mapping

import attrs

from framework import experiment_tracking
from framework.integrations.mlflow import local_store

_logger = logging.getLogger("framework")
_STOPPED = ("KeyboardInterrupt", "SystemExit", "RunTerminated")


@attrs.frozen
class MLflowStepRun:
    """Where and how one tracked step logs (built by the launcher, opened in the step's process)."""

    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    run_name: str
    nested: bool = True
    tags: dict = attrs.field(factory=dict)
    autolog: dict = attrs.field(factory=dict)  # integration -> autolog() keywords, as enabled by the script

    def open(self, task: Any) -> StepScope:
        return StepScope(self)


class StepScope:
    """The MLflow run of one step while it runs (see the module docstring)."""

    def __init__(self, spec: MLflowStepRun) -> None:
        self.spec = spec
        self.run_id: str | None = None
        self.metadata: dict[str, Any] = {}
        self._token: Any = None
        self._pushed = False

    def __enter__(self) -> StepScope:
        spec = self.spec
        _PROCESS.enter(spec)
        try:
            run = self._start()
        except BaseException as exc:
            _PROCESS.leave()
            if isinstance(exc, Exception):
                raise RuntimeError(f"Could not start the step's MLflow run in {spec.tracking_uri}: "
                                   f"{type(exc).__name__}: {exc}") from exc
            raise
        self.run_id = run.info.run_id
        self.metadata = {
            "experiment_tracker_url": local_store.run_url(spec.tracking_uri, spec.experiment_id, self.run_id),
            "mlflow_tracking_uri": spec.tracking_uri,
            "mlflow_experiment_id": spec.experiment_id,
            "mlflow_run_id": self.run_id,
        }
        if spec.nested:
            self.metadata["mlflow_parent_run_id"] = spec.parent_run_id
        self._token = experiment_tracking.activate(self)
        return self

    def _start(self) -> Any:
        """Create (or, with ``nested=False``, take up) the step's run and make it this thread's
        active MLflow run. The fast way is one store call (``create_run``/``get_run``) and
        MLflow's own active-run stack; where this MLflow keeps that stack otherwise, or system
        metrics are on, ``mlflow.start_run`` does it (two to four calls)."""
        import mlflow

        spec = self.spec
        client = local_store.client(spec.tracking_uri)
        self._pushed = _active_runs() is not None and not os.environ.get("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING")
        if spec.nested:
            tags = {**spec.tags, "mlflow.parentRunId": spec.parent_run_id}
            if not self._pushed:
                return mlflow.start_run(experiment_id=spec.experiment_id, run_name=spec.run_name, tags=tags)
            run = client.create_run(spec.experiment_id, run_name=spec.run_name, tags=tags)
        else:
            if not self._pushed:
                return mlflow.start_run(run_id=spec.parent_run_id)
            run = client.get_run(spec.parent_run_id)  # stays RUNNING: the launcher ends it with the run
        from mlflow.tracking.fluent import ActiveRun

        _active_runs().append(ActiveRun(run))
        return run

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        experiment_tracking.deactivate(self._token)
        status = "FINISHED" if kind is None else "KILLED" if kind.__name__ in _STOPPED else "FAILED"
        try:
            self._end(status)
        except Exception as exc:  # noqa: BLE001 - the step's own result stands
            _logger.warning("Could not end MLflow run %s as %s: %s", self.run_id, status, exc)
        finally:
            _PROCESS.leave()

    def _end(self, status: str) -> None:
        import mlflow

        stack = _active_runs()
        ours_open = self.run_id in {r.info.run_id for r in stack} if stack is not None else True
        active = mlflow.active_run()
        while ours_open and active is not None and active.info.run_id != self.run_id:  # runs the step left open
            mlflow.end_run(status)
            active = mlflow.active_run()
        if not ours_open or active is None:  # the step ended its run itself; a failure still shows
            if status != "FINISHED":
                local_store.client(self.spec.tracking_uri).set_terminated(self.run_id, status)
        elif self.spec.nested or not self._pushed:
            mlflow.end_run(status)
        else:  # the run's own MLflow run: leave it running, the launcher ends it
            _active_runs().pop()
            if status != "FINISHED":
                local_store.client(self.spec.tracking_uri).set_terminated(self.run_id, status)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        """Log ``{name: value}`` on this step's MLflow run (from any thread of the step)."""
        from mlflow.entities import Metric

        if not metrics or self.run_id is None:
            return
        stamp = int(time.time() * 1000)
        local_store.client(self.spec.tracking_uri).log_batch(
            self.run_id, metrics=[Metric(k, float(v), stamp, 0) for k, v in metrics.items()])


class _ProcessState:
    """What tracked steps change in their process, restored when the last one ends.

    The tracking URI and ``MLFLOW_EXPERIMENT_ID`` are process-wide; so are autologging
    integrations. Steps running side by side in threads share them (same stack, same
    settings), so the first step in saves them and the last one out restores them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: dict[str, Any] = {}
        self._autolog_before: set[str] = set()

    def enter(self, spec: MLflowStepRun) -> None:
        import mlflow

        with self._lock:
            if self._depth == 0:
                self._saved = {"uri": _explicit_tracking_uri(),
                               "env": {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID")}}
                self._autolog_before = enabled_autologging()
            self._depth += 1
            local_store.prepare(spec.tracking_uri)
            if _explicit_tracking_uri() != spec.tracking_uri:
                mlflow.set_tracking_uri(spec.tracking_uri)
            os.environ["MLFLOW_EXPERIMENT_ID"] = spec.experiment_id
            for name, config in spec.autolog.items():
                if name not in enabled_autologging():
                    _autolog_module(name).autolog(**config)

    def leave(self) -> None:
        import mlflow

        with self._lock:
            self._depth -= 1
            if self._depth > 0:
                return
            for name in sorted(enabled_autologging() - self._autolog_before):
                try:
                    _autolog_module(name).autolog(disable=True, silent=True)
                except Exception as exc:  # noqa: BLE001 - never fails the step
                    _logger.debug("Could not switch MLflow autologging `%s` off: %s", name, exc)
            mlflow.set_tracking_uri(self._saved.get("uri"))
            for key, value in self._saved.get("env", {}).items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


_PROCESS = _ProcessState()


def _active_runs() -> list | None:
    """This thread's stack of active MLflow runs (``mlflow.active_run()`` is its top), or None
    if this MLflow version keeps it in a form not known here."""
    try:
        from mlflow.tracking import fluent

        stack = fluent._active_run_stack
        stack = stack.get() if hasattr(stack, "get") else stack
    except (ImportError, AttributeError):
        return None
    return stack if isinstance(stack, list) else None


def _explicit_tracking_uri() -> str | None:
    """The tracking URI set with ``mlflow.set_tracking_uri`` in this process (None if never set)."""
    from mlflow.tracking._tracking_service import utils

    return getattr(utils, "_tracking_uri", None)


def enabled_autologging() -> set[str]:
    """The autologging integrations switched on in this process (``"sklearn"``, ``"mlflow"``…)."""
    try:
        from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS, autologging_is_disabled
    except ImportError:  # pragma: no cover - depends on the MLflow version
        return set()
    return {name for name in list(AUTOLOGGING_INTEGRATIONS) if not autologging_is_disabled(name)}


def autologging_configs() -> dict[str, dict[str, Any]]:
    """The keywords each enabled integration was switched on with, where they are plain data
    (they travel to other processes); ``{}`` if MLflow was never imported here."""
    import sys

    if "mlflow" not in sys.modules:
        return {}
    from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS

    plain = (str, int, float, bool, type(None))
    configs = {}
    for name in enabled_autologging():
        config = dict(AUTOLOGGING_INTEGRATIONS.get(name) or {})
        if all(isinstance(v, plain) for v in config.values()):
            configs[name] = config
    return configs


def _autolog_module(name: str) -> Any:
    return importlib.import_module("mlflow" if name == "mlflow" else f"mlflow.{name}")
