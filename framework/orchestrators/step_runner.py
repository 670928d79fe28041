"""The step runner: load inputs, call the step, validate, materialize outputs.

It is pure with respect to metadata: it never opens the metadata store, so it
runs unchanged in a worker process or on a remote machine. Everything it needs
travels in a ``StepTask``; everything it produced comes back in a
``StepOutcome``.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import attrs

from framework.exceptions import ArtifactError, FrameworkError
from framework.records import Artifact
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


@attrs.define
class StepOutcome:
    outputs: dict[str, Artifact] = attrs.field(factory=dict)
    duration: float = 0.0
    error: BaseException | None = None
    error_text: str | None = None


_STORES: dict[tuple[str, str], Any] = {}


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
        loaded[arg] = store.load(artifact, context=context)
    return loaded


def _save_outputs(task: StepTask, values: dict[str, Any], store, outcome: StepOutcome) -> None:
    from framework.artifacts.materializers.registry import materializer_by_name
    from framework.hashing import new_id

    for name, value in values.items():
        dotted = task.output_materializers.get(name)
        materializer = materializer_by_name(dotted) if dotted else None
        try:
            info = store.save(value, artifact_id=new_id(), materializer=materializer)
        except FrameworkError as exc:
            raise type(exc)(f"Step `{task.step_name}`: output `{name}` could not be saved: {exc}") from exc
        except Exception as exc:
            raise ArtifactError(f"Step `{task.step_name}`: output `{name}` could not be saved: {exc}") from exc
        outcome.outputs[name] = Artifact.of(info, step_name=task.step_name, output_name=name,
                                            run_name=task.run_name, invocation_id=task.invocation_id)


def run_step(task: StepTask) -> StepOutcome:
    """Execute one step; never raises: errors travel back in the outcome."""
    outcome = StepOutcome()
    start = time.perf_counter()
    try:
        store = _artifact_store(task.artifact_store_url, task.artifact_store_options)
        arguments = _load_inputs(task, store)
        arguments.update(task.call_values)
        returned = task.step.call_entrypoint(arguments)
        values = validate_outputs(type(task.step)._signature, returned, step_name=task.step_name)
        _save_outputs(task, values, store, outcome)
    except BaseException as exc:  # noqa: BLE001 - the launcher records and re-raises it
        outcome.error = exc
        outcome.error_text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            outcome.duration = time.perf_counter() - start
            return outcome
    outcome.duration = time.perf_counter() - start
    return outcome
