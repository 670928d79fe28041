"""MLflow as the experiment tracker of a stack (``pip install 'framework[mlflow]'``).

``framework stack register ml --experiment-tracker mlflow [--tracking-uri URI]`` gives a
stack a tracker named ``mlflow_tracker``; a step with ``experiment_tracker="mlflow_tracker"``
then runs inside an MLflow run, so ``mlflow.log_metric(...)`` and ``mlflow.sklearn.autolog()``
inside it just work, on every orchestrator.

Run layout: the experiment is the pipeline's name; each framework run is one MLflow run
(named like the run) and each tracked step a run nested under it (named like the step),
tagged ``framework.pipeline``, ``framework.run``, ``framework.step``, ``framework.version``
and ``framework.param.<name>``. The modules, each small:

=================================  ==========================================================
``experiment_trackers``            ``MLFlowExperimentTracker``: the stack component (legacy surface)
``flavors``                        ``MLFlowExperimentTrackerSettings`` and ZenML's flavor names
``mlflow_utils``                   ``get_tracking_uri()`` and other helpers legacy code imports
``run_tracking``                   the launcher's side: experiments, one MLflow run per run
``step_run``                       the step's side: its nested run, on any worker
``local_store``                    the local SQLite store: where it lives, how it is opened fast
=================================  ==========================================================

None of these import MLflow at import time; it is imported when a tracked step runs.
"""

MLFLOW_MODEL_EXPERIMENT_TRACKER_FLAVOR = "mlflow"
