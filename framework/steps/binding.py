"""Binding a step call's arguments to its inputs, parameters and invocation options.

Shared by the legacy ``connect`` tracing, the function API and the direct call,
so the three agree on what each argument means.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from framework import tracing
from framework.exceptions import StepInterfaceError
from framework.steps.signature import is_parameters_object
from framework.tracing import OutputPlaceholder, TracedCall, placeholders_for


@dataclasses.dataclass
class BoundArguments:
    inputs: dict[str, OutputPlaceholder] = dataclasses.field(default_factory=dict)
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    params_obj: Any = None
    id: str | None = None
    after: list[str] = dataclasses.field(default_factory=list)


def _after_ids(step_name: str, after: Any) -> list[str]:
    items = after if isinstance(after, (list, tuple, set)) else [after]
    ids = []
    for item in items:
        if isinstance(item, OutputPlaceholder):
            ids.append(item.invocation_id)
        elif isinstance(item, str):
            ids.append(item)
        else:
            raise StepInterfaceError(
                f"Step `{step_name}`: `after=` takes invocation ids (strings) or step outputs, got {item!r}."
            )
    return ids


def bind_arguments(step: Any, args: tuple, kwargs: dict, *, allow_values: bool, allow_special: bool) -> BoundArguments:
    """Sort a call's arguments into upstream inputs, plain values and the parameters object."""
    sig = type(step)._signature
    name = step.name
    bound = BoundArguments()
    kwargs = dict(kwargs)
    if allow_special:
        bound.id = kwargs.pop("id", None)
        if "after" in kwargs:
            bound.after = _after_ids(name, kwargs.pop("after"))

    def set_params(value: Any) -> None:
        if bound.params_obj is not None:
            raise StepInterfaceError(f"Step `{name}` got two parameters objects; pass exactly one.")
        step._check_params_object(value, name)
        bound.params_obj = value

    def assign(arg: str, value: Any) -> None:
        if arg in bound.inputs or arg in bound.values:
            raise StepInterfaceError(f"Step `{name}` got multiple values for input `{arg}`.")
        if isinstance(value, OutputPlaceholder):
            bound.inputs[arg] = value
        elif not allow_values and arg in sig.inputs:
            raise StepInterfaceError(
                f"Step `{name}`: input `{arg}` got the raw value {value!r}, but in a legacy pipeline only "
                "outputs of upstream steps can be connected; pass values through a BaseParameters object."
            )
        else:
            bound.values[arg] = value

    input_names = list(sig.inputs)
    position = 0
    for value in args:
        if sig.params_class is not None and is_parameters_object(value):
            set_params(value)
            continue
        if position >= len(input_names):
            raise StepInterfaceError(
                f"Step `{name}` takes {len(input_names)} input(s) ({', '.join(input_names) or 'none'}) "
                f"but got more positional arguments; pass inputs by keyword."
            )
        assign(input_names[position], value)
        position += 1
    _bind_keywords(sig, name, kwargs, bound, set_params, assign, allow_values)
    return bound


def _bind_keywords(sig: Any, name: str, kwargs: dict, bound: BoundArguments, set_params: Any, assign: Any,
                   allow_values: bool) -> None:
    """Keyword arguments: the parameters object, inputs, or (where values are allowed) fields
    of the parameters class; anything else is an error listing what is valid."""
    fields = set(sig.params_class.model_fields) if sig.params_class is not None else set()
    for key, value in kwargs.items():
        if key == sig.params_arg or (key == "params" and sig.params_class is not None and key not in sig.inputs):
            set_params(value)
        elif key in sig.inputs:
            assign(key, value)
        elif key in fields and allow_values:
            bound.values[key] = value
        else:
            valid = list(sig.inputs) + sorted(fields) + ([sig.params_arg] if sig.params_arg else [])
            raise StepInterfaceError(
                f"Step `{name}` got an unexpected argument `{key}`; valid arguments are: "
                f"{', '.join(valid) or '(none)'}."
            )


def record_call(step: Any, tracer: "tracing.Tracer", args: tuple, kwargs: dict) -> Any:
    """Record one invocation on the active tracer and return its output placeholders."""
    sig = type(step)._signature
    if tracer.kind == tracing.LEGACY:
        slot = tracer.slot_of(step)
        if slot in tracer.calls:
            raise StepInterfaceError(
                f"Step `{step.name}` (slot `{slot}`) is called twice in the pipeline; each step instance "
                "runs once: pass a second instance in another slot to run it again."
            )
        bound = bind_arguments(step, args, kwargs, allow_values=False, allow_special=False)
        missing = [n for n, spec in sig.inputs.items() if n not in bound.inputs and not spec.has_default]
        if missing:
            raise StepInterfaceError(
                f"Step `{step.name}` (slot `{slot}`) is missing input(s) {', '.join(f'`{m}`' for m in missing)}; "
                "connect each to an output of an upstream step."
            )
        call = TracedCall(slot, step, bound.inputs, bound.values, bound.params_obj, [], slot=slot)
    else:
        bound = bind_arguments(step, args, kwargs, allow_values=True, allow_special=True)
        invocation_id = tracer.new_id(step.name, bound.id)
        call = TracedCall(invocation_id, step._clone(), bound.inputs, bound.values, bound.params_obj, bound.after)
    tracer.add(call)
    return placeholders_for(step.name, call.id, list(sig.outputs))
