"""The step runner: load inputs, call the step, validate, materialize outputs.

It is pure with respect to metadata: it never opens the metadata store, so it
runs unchanged in a worker process or on a remote machine. Everything it needs
travels in a ``StepTask`` (the step copy in it carries the step's resolved
options: hooks, materializer classes); everything it produced comes back in a
``StepOutcome``.

Around the step it sets the step context (``framework.get_step_context()``), and
after it runs the step's hooks, in the same process: ``on_failure`` gets the
step's exception, ``on_success`` runs once the outputs are saved. A hook's own
error is logged and kept in ``StepOutcome.hook_error``; it never replaces the
step's error and never fails a step that succeeded.

Everything from loading the inputs to the last hook — what the step prints, logs and
warns, and the traceback of its error — goes to the step's log when the task names one
(``StepTask.logs``; ``framework.orchestrators.step_logs``), and ``StepOutcome.logs``
says what was kept.

A tracked step (``experiment_tracker=``) runs inside its tracker's run: the task carries
the tracker's run by value (``StepTask.tracker``, from the integration), the runner opens
it around the step through ``framework.experiment_tracking`` and mirrors the step's numeric
outputs to it; the link to that run comes back in ``StepOutcome.metadata``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from typing import Any

import attrs

from framework.exceptions import ArtifactError, FrameworkError, RunTerminated
from framework.experiment_tracking import mirror_metrics, step_tracking
from framework.orchestrators.log_capture import Capture, capturing
from framework.orchestrators.output_dirs import OutputDirectories
from framework.orchestrators.step_logs import LogTarget, StepLog
from framework.records import Artifact
from framework.steps.context import StepContext, active
from framework.steps.hooks import run_hook
from framework.steps.validation import validate_outputs


@attrs.frozen
class StepTask:
    invocation_id: str
    step_name: str
    run_name: str
    step: Any  # configured BaseStep instance
    call_values: dict[str, Any]
    inputs: dict[str, Artifact]  # argument -> the artifact bound to it
    output_materializers: dict[str, str]
    artifact_store_url: str
    artifact_store_options: dict[str, Any] = attrs.field(factory=dict)  # fsspec storage options
    # Inputs whose records the launcher found signed by its home's key: they may run code on load
    # (pickles, skops types); the worker has no key of its own (``framework.artifacts.trust``).
    trusted_inputs: frozenset = frozenset()
    # For the step context; by default the pipeline the step copy was compiled into.
    pipeline_name: str | None = attrs.field(
        default=attrs.Factory(lambda task: getattr(task.step, "_pipeline_name", None), takes_self=True))
    run_id: str | None = None  # so the step can name its own run (log_metadata(run=...))
    logs: LogTarget | None = None  # where the step's output is captured; None: not captured
    tracker: Any = None  # the experiment tracker's run for this step (see framework.experiment_tracking)


@attrs.define
class StepOutcome:
    outputs: dict[str, Artifact] = attrs.field(factory=dict)
    duration: float = 0.0
    error: BaseException | None = None
    error_text: str | None = None
    hook_error: str | None = None  # what a raising on_failure / on_success hook said (also logged)
    extra_files: dict[str, str] = attrs.field(factory=dict)  # output -> where the step's extra files are kept
    # What the step (or its hook) logged with log_metadata: on the step run, per output, on the run.
    metadata: dict[str, Any] = attrs.field(factory=dict)
    output_metadata: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    run_metadata: dict[str, Any] = attrs.field(factory=dict)
    logs: dict[str, Any] | None = None  # the step's log: uri, size, cut, complete (``StepRun.logs``)


_STORES: dict[tuple[str, str], Any] = {}
_STOPPING = (KeyboardInterrupt, SystemExit, RunTerminated)  # the run ends: no hooks for these


def _artifact_store(url: str, options: dict[str, Any] | None = None):
    import json

    key = (url, json.dumps(options or {}, sort_keys=True, default=str))
    store = _STORES.get(key)
    if store is None:
        from framework.artifacts import ArtifactStore

        store = _STORES[key] = ArtifactStore(url, storage_options=options)
    return store


def _load_inputs(task: StepTask, store) -> dict[str, Any]:
    loaded = {}
    for arg, artifact in task.inputs.items():
        context = f"{artifact.describe()} (input `{arg}` of step `{task.step_name}`)"
        loaded[arg] = store.load(artifact, context=context, allow_pickle=arg in task.trusted_inputs)
    return loaded


def _save_outputs(task: StepTask, values: dict[str, Any], store, outcome: StepOutcome) -> None:
    from framework.artifacts.materializers.registry import materializer_by_name
    from framework.hashing import new_id

    chosen = task.step._options.output_materializers  # the classes themselves: they travel with the step
    for name, value in values.items():
        dotted = task.output_materializers.get(name)
        materializer = chosen.get(name) or (materializer_by_name(dotted) if dotted else None)
        try:
            info = store.save(value, artifact_id=new_id(), materializer=materializer)
        except FrameworkError as exc:
            raise type(exc)(f"Step `{task.step_name}`: output `{name}` could not be saved: {exc}") from exc
        except Exception as exc:
            raise ArtifactError(f"Step `{task.step_name}`: output `{name}` could not be saved: {exc}") from exc
        outcome.outputs[name] = Artifact.of(info, step_name=task.step_name, output_name=name,
                                            run_name=task.run_name, invocation_id=task.invocation_id)


def _context(task: StepTask, directories: OutputDirectories) -> StepContext:
    return StepContext(step_name=task.step_name, pipeline_name=task.pipeline_name, run_name=task.run_name,
                       outputs=type(task.step)._signature.outputs,
                       materializers=task.step._options.output_materializers, output_dir=directories.path,
                       run_id=task.run_id)


def _run_hooks(task: StepTask, outcome: StepOutcome, context: StepContext) -> None:
    failed = outcome.error is not None
    option = "on_failure" if failed else "on_success"
    hook = getattr(task.step._options, option)
    if hook is None:
        return
    params_arg = type(task.step)._signature.params_arg
    outcome.hook_error = run_hook(hook, option=option, step_name=task.step_name,
                                  exception=outcome.error if failed else None,
                                  parameters=task.call_values.get(params_arg) if params_arg else None,
                                  context=context, call_values=task.call_values)


def run_step(task: StepTask) -> StepOutcome:
    """Execute one step; never raises: errors travel back in the outcome."""
    outcome = StepOutcome()
    start = time.perf_counter()
    log = _open_log(task, outcome)
    with capturing(log.sink) if log is not None else contextlib.nullcontext() as capture:
        _run(task, outcome, capture, start)
    if log is not None:
        outcome.logs = log.close()
    return outcome


def _open_log(task: StepTask, outcome: StepOutcome) -> StepLog | None:
    """The step's log, or None (not captured; if it cannot be opened, the outcome says why)."""
    if task.logs is None:
        return None
    try:
        return StepLog(task.logs, _artifact_store(task.artifact_store_url, task.artifact_store_options))
    except Exception as exc:  # noqa: BLE001 - the step still runs; its own errors surface there
        outcome.logs = {"uri": task.logs.uri, "size": 0, "cut": 0, "complete": False,
                        "error": f"the log could not be opened: {type(exc).__name__}: {exc}"}
        return None


def _run(task: StepTask, outcome: StepOutcome, capture: Capture | None, start: float) -> None:
    directories = OutputDirectories(task.artifact_store_url, task.artifact_store_options, task.run_name,
                                    task.step_name)
    context = _context(task, directories)
    tracking = step_tracking(task.tracker, task)
    with active(context):
        try:
            store = _artifact_store(task.artifact_store_url, task.artifact_store_options)
            arguments = _load_inputs(task, store)
            arguments.update(task.call_values)
            context_arg = type(task.step)._signature.context_arg
            if context_arg is not None:
                arguments[context_arg] = context
            with tracking:
                returned = task.step.call_entrypoint(arguments)
                values = validate_outputs(type(task.step)._signature, returned, step_name=task.step_name)
                mirror_metrics(values)  # numeric outputs are metrics (a no-op when untracked)
                _save_outputs(task, values, store, outcome)
                _upload(task, directories)
        except BaseException as exc:  # noqa: BLE001 - the launcher records and re-raises it
            outcome.error = exc
            outcome.error_text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            if capture is not None:
                capture.write_traceback(exc)
            if isinstance(exc, _STOPPING):
                directories.discard()
                outcome.metadata.update(tracking.metadata)
                outcome.duration = time.perf_counter() - start
                return  # the run is being stopped: no uploads, no hooks
            _upload(task, directories, best_effort=True)
        outcome.extra_files = dict(directories.given)
        outcome.metadata.update(tracking.metadata)
        outcome.duration = time.perf_counter() - start
        _run_hooks(task, outcome, context)
    logged, outcome.output_metadata, outcome.run_metadata = context.logged_metadata()
    outcome.metadata.update(logged)  # next to the tracker run's link, if any


def _upload(task: StepTask, directories: OutputDirectories, *, best_effort: bool = False) -> None:
    """Upload the step's extra files (remote stores); after a failed step, a failed upload is only logged."""
    try:
        directories.upload()
    except Exception as exc:
        if not best_effort:
            raise ArtifactError(f"Step `{task.step_name}`: its extra output files could not be uploaded to "
                                f"{task.artifact_store_url}: {exc}") from exc
        logging.getLogger("framework").warning("Step `%s`: its extra output files could not be uploaded: %s",
                                               task.step_name, exc)
