"""Compile traced step calls plus run configuration into a ``PipelineGraph``.

Both pipeline APIs end here; everything API-specific happened before. Each step's options
are merged with the run configuration by the same ``StepOptions.merged`` that ``configure``
uses, so a YAML ``steps.<id>`` entry means exactly what the same keywords in code mean.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from framework.caching import step_fingerprint
from framework.graph import InputBinding, Invocation, PipelineGraph
from framework.steps.parameters import resolve_parameters
from framework.tracing import TracedCall

if TYPE_CHECKING:
    from framework.config import RunConfig
    from framework.options import PipelineOptions

#: Settings recorded with a run that no orchestrator here acts on (nothing builds images).
_RECORDED_ONLY_SETTINGS = ("docker", "resources")


def type_label(annotation: Any) -> str:
    """How a declared output type is recorded: the dotted name of a class, else its repr
    (``typing.Optional[int]``), so generics keep their arguments."""
    if isinstance(annotation, type):
        from framework.artifacts.dotted import dotted_name

        return dotted_name(annotation)
    return repr(annotation)


def _step_config_for(call: TracedCall, run_config: RunConfig, used: set[str]):
    for key in (call.id, call.step.name if call.slot else None):
        if key is not None and key in run_config.steps:
            used.add(key)
            return run_config.steps[key]
    return None


def _hook_name(hook: Any) -> str | None:
    if hook is None:
        return None
    from framework.artifacts.dotted import dotted_name

    return dotted_name(hook)


def _log_recorded_only(name: str, pipeline_settings: dict[str, Any], invocations: dict[str, Invocation]) -> None:
    keys = sorted({key for key in _RECORDED_ONLY_SETTINGS if key in pipeline_settings
                   or any(key in inv.settings for inv in invocations.values())})
    if keys:
        logging.getLogger("framework").debug(
            "Pipeline `%s`: settings %s are recorded with the run; the stacks here build no images and "
            "reserve no resources from them, so they change nothing.", name, ", ".join(keys))


def compile_graph(
    name: str,
    calls: dict[str, TracedCall],
    *,
    api: str,
    pipeline_options: PipelineOptions,
    run_config: RunConfig,
    after: dict[str, list[str]] | None = None,
    known_step_keys: set[str] | None = None,
) -> PipelineGraph:
    """Resolve each call's options and parameters; validate the graph.

    ``known_step_keys`` are names the run configuration may address even if
    the step was not called (legacy slots); anything else is a ``KeyError``.
    """
    from framework.artifacts.dotted import dotted_name
    from framework.steps.option_checks import PipelineChecks, StepChecks

    after = after or {}
    used: set[str] = set()
    invocations: dict[str, Invocation] = {}
    for call in calls.values():
        step = call.step
        sig = type(step)._signature
        options = step._options
        step_config = _step_config_for(call, run_config, used)
        if step_config is not None:
            options = options.merged(
                {"parameters": step_config.parameters, "settings": step_config.settings,
                 "extra": step_config.extra, "enable_cache": step_config.enable_cache},
                checks=StepChecks(sig, f"Step `{call.id}`"))
        options = options.with_hooks_from(pipeline_options)
        flat, call_values = resolve_parameters(
            sig, step.name, bound_inputs=set(call.inputs), values=dict(call.values),
            params_obj=call.params_obj if call.params_obj is not None else step._params_obj,
            overrides=options.parameters,
        )
        invocations[call.id] = Invocation(
            id=call.id,
            step_name=step.name,
            step_class=dotted_name(type(step)),
            inputs={arg: InputBinding(p.invocation_id, p.output_name) for arg, p in call.inputs.items()},
            parameters=flat,
            after=tuple(dict.fromkeys(list(call.after) + after.get(call.id, []))),
            enable_cache=options.enable_cache,
            settings=options.settings,
            extra=options.extra,
            outputs={out: type_label(tp) for out, tp in sig.outputs.items()},
            output_materializers={out: dotted_name(m) for out, m in options.output_materializers.items()},
            code_fingerprint=step_fingerprint(type(step)),
            slot=call.slot,
            group=tuple(call.group),
            on_failure=_hook_name(options.on_failure),
            on_success=_hook_name(options.on_success),
            experiment_tracker=options.experiment_tracker,
            step=step._compiled(options, name),
            call_values=call_values,
        )
    unknown = set(run_config.steps) - used - (known_step_keys or set())
    if unknown:
        valid = sorted(set(invocations) | (known_step_keys or set()))
        raise KeyError(
            f"The run configuration names unknown step(s) {', '.join(sorted(unknown))} in pipeline `{name}`; "
            f"valid steps are: {', '.join(valid)}."
        )
    pipeline = pipeline_options.merged({"settings": run_config.settings, "extra": run_config.extra},
                                       checks=PipelineChecks(name))
    _log_recorded_only(name, pipeline.settings, invocations)
    graph = PipelineGraph(
        name=name,
        invocations=invocations,
        enable_cache=pipeline_options.enable_cache,
        settings=pipeline.settings,
        extra=pipeline.extra,
        api=api,
    )
    graph.validate()
    return graph
