"""Compile traced step calls plus run configuration into a ``PipelineGraph``.

Both pipeline APIs end here; everything API-specific happened before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.caching import step_fingerprint
from framework.graph import InputBinding, Invocation, PipelineGraph
from framework.settings import merge_dicts, validate_settings
from framework.steps.parameters import resolve_parameters
from framework.tracing import TracedCall

if TYPE_CHECKING:
    from framework.config import RunConfig


def dotted_name(obj: Any) -> str:
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)


def _step_config_for(call: TracedCall, run_config: RunConfig, used: set[str]):
    for key in (call.id, call.step.name if call.slot else None):
        if key is not None and key in run_config.steps:
            used.add(key)
            return run_config.steps[key]
    return None


def compile_graph(
    name: str,
    calls: dict[str, TracedCall],
    *,
    api: str,
    pipeline_config: dict[str, Any],
    run_config: RunConfig,
    after: dict[str, list[str]] | None = None,
    known_step_keys: set[str] | None = None,
) -> PipelineGraph:
    """Resolve each call's configuration and parameters; validate the graph.

    ``known_step_keys`` are names the run configuration may address even if
    the step was not called (legacy slots); anything else is a ``KeyError``.
    """
    after = after or {}
    used: set[str] = set()
    invocations: dict[str, Invocation] = {}
    for call in calls.values():
        step = call.step
        sig = type(step)._signature
        config = step._config
        step_config = _step_config_for(call, run_config, used)
        overrides = dict(config["parameters"])
        settings = dict(config["settings"])
        extra = dict(config["extra"])
        enable_cache = config["enable_cache"]
        if step_config is not None:
            overrides = merge_dicts(overrides, step_config.parameters)
            settings = merge_dicts(settings, validate_settings(step_config.settings, owner=f"Step `{call.id}`"))
            extra = merge_dicts(extra, step_config.extra)
            if step_config.enable_cache is not None:
                enable_cache = step_config.enable_cache
        flat, call_values = resolve_parameters(
            sig, step.name, bound_inputs=set(call.inputs), values=dict(call.values),
            params_obj=call.params_obj if call.params_obj is not None else step._params_obj, overrides=overrides,
        )
        invocations[call.id] = Invocation(
            id=call.id,
            step_name=step.name,
            step_class=dotted_name(type(step)),
            inputs={arg: InputBinding(p.invocation_id, p.output_name) for arg, p in call.inputs.items()},
            parameters=flat,
            after=tuple(dict.fromkeys(list(call.after) + after.get(call.id, []))),
            enable_cache=enable_cache,
            settings=settings,
            extra=extra,
            outputs={out: dotted_name(tp) for out, tp in sig.outputs.items()},
            output_materializers={out: dotted_name(m) for out, m in config["output_materializers"].items()},
            code_fingerprint=step_fingerprint(type(step)),
            slot=call.slot,
            step=step,
            call_values=call_values,
        )
    unknown = set(run_config.steps) - used - (known_step_keys or set())
    if unknown:
        valid = sorted(set(invocations) | (known_step_keys or set()))
        raise KeyError(
            f"The run configuration names unknown step(s) {', '.join(sorted(unknown))} in pipeline `{name}`; "
            f"valid steps are: {', '.join(valid)}."
        )
    graph = PipelineGraph(
        name=name,
        invocations=invocations,
        enable_cache=pipeline_config.get("enable_cache"),
        settings=merge_dicts(pipeline_config.get("settings") or {}, validate_settings(run_config.settings, owner=f"Pipeline `{name}`")),
        extra=merge_dicts(pipeline_config.get("extra") or {}, run_config.extra),
        api=api,
    )
    graph.validate()
    return graph
