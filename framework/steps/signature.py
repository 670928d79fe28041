"""Signature analysis of a step's entrypoint, done once at definition time.

Each argument is the single *parameters argument* (annotated with a
``BaseParameters`` subclass), the single *context argument* (annotated with
``StepContext``: the runner fills it) or an *input*; outputs come from the return
annotation. Doing this when the step is defined turns wiring mistakes into
errors at the line that made them instead of in the middle of a run.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from typing import Any, Callable

from framework.exceptions import StepInterfaceError
from framework.run_names import validate_name
from framework.steps.context import StepContext
from framework.steps.output import Output

if typing.TYPE_CHECKING:
    from framework.steps.base_parameters import BaseParameters

RESERVED_ARGUMENTS = ("after", "id")
SINGLE_OUTPUT_NAME = "output"
_NO_DEFAULT = inspect.Parameter.empty


@dataclasses.dataclass(frozen=True)
class InputSpec:
    name: str
    annotation: Any
    default: Any = _NO_DEFAULT

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@dataclasses.dataclass(frozen=True)
class StepSignature:
    """What a step takes and returns; the single source for binding and validation."""

    step_name: str
    inputs: dict[str, InputSpec]
    params_arg: str | None
    params_class: type[BaseParameters] | None
    outputs: dict[str, Any]
    context_arg: str | None = None

    @property
    def returns_none(self) -> bool:
        return not self.outputs


def _is_params_class(annotation: Any) -> bool:
    module = sys.modules.get(_PARAMETERS_MODULE)  # not imported yet: no subclass can exist
    return module is not None and isinstance(annotation, type) and issubclass(annotation, module.BaseParameters)


# ``BaseParameters`` is created when first imported (``framework.steps.BaseParameters``), not
# when the framework is: defining a pydantic model class loads much of pydantic (~40 ms).
_PARAMETERS_MODULE = "framework.steps.base_parameters"


def is_parameters_object(value: Any) -> bool:
    """``isinstance(value, BaseParameters)``, without creating the class to ask."""
    module = sys.modules.get(_PARAMETERS_MODULE)
    return module is not None and isinstance(value, module.BaseParameters)


def _resolve_hints(func: Callable, step_name: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # forward references that cannot be resolved: fall back to raw annotations
        return dict(getattr(func, "__annotations__", {}))


def _outputs_from_annotation(annotation: Any, step_name: str) -> dict[str, Any]:
    if annotation is None or annotation is type(None):
        return {}
    if isinstance(annotation, Output):
        return dict(annotation.outputs)
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        names = [m for m in meta if isinstance(m, str)]
        if names:
            return {names[0]: base}
    if typing.get_origin(annotation) is tuple:
        members = typing.get_args(annotation)
        named = [typing.get_args(m) for m in members if typing.get_origin(m) is typing.Annotated]
        if members and len(named) == len(members) and all(isinstance(n[1], str) for n in named if len(n) > 1):
            outputs = {n[1]: n[0] for n in named}
            if len(outputs) != len(members):
                raise StepInterfaceError(f"Step `{step_name}`: output names in the return annotation must be unique.")
            return outputs
    return {SINGLE_OUTPUT_NAME: annotation}


def analyse_entrypoint(func: Callable, step_name: str, *, is_method: bool) -> StepSignature:
    """Read a step's inputs, parameters argument and outputs from its entrypoint.

    Raises ``StepInterfaceError`` naming the step and argument for every
    definition mistake the spec lists.
    """
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if is_method:
        params = params[1:]
    hints = _resolve_hints(func, step_name)

    inputs: dict[str, InputSpec] = {}
    params_arg: str | None = None
    params_class = None
    context_arg: str | None = None
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise StepInterfaceError(
                f"Step `{step_name}`: variable arguments (`{'*' if p.kind is p.VAR_POSITIONAL else '**'}{p.name}`) "
                "are not supported; declare each input or parameter as its own named argument."
            )
        if p.name in RESERVED_ARGUMENTS:
            raise StepInterfaceError(
                f"Step `{step_name}`: argument name `{p.name}` is reserved (it configures an invocation "
                f"inside a pipeline); rename the argument."
            )
        annotation = hints.get(p.name, p.annotation)
        if annotation is inspect.Parameter.empty:
            raise StepInterfaceError(
                f"Step `{step_name}`: input `{p.name}` has no type annotation; annotate it, e.g. "
                f"`{p.name}: np.ndarray` (or `{p.name}: typing.Any` to accept anything)."
            )
        if isinstance(annotation, type) and issubclass(annotation, StepContext):
            if context_arg is not None:
                raise StepInterfaceError(
                    f"Step `{step_name}`: arguments `{context_arg}` and `{p.name}` are both annotated "
                    "StepContext; a step receives one context: keep one argument."
                )
            context_arg = p.name
            continue
        if _is_params_class(annotation):
            if params_arg is not None:
                raise StepInterfaceError(
                    f"Step `{step_name}`: Found multiple parameter arguments (`{params_arg}` and `{p.name}`); "
                    "a step takes at most one BaseParameters argument: merge the fields into one class."
                )
            params_arg, params_class = p.name, annotation
            continue
        inputs[p.name] = InputSpec(p.name, annotation, p.default)

    if "return" not in hints and sig.return_annotation is inspect.Signature.empty:
        raise StepInterfaceError(
            f"Step `{step_name}` has no return annotation: annotate with `-> None` if it returns nothing, "
            "`-> T` for one output or `-> Output(name=T, ...)` for several."
        )
    annotation = hints.get("return", sig.return_annotation)
    outputs = _outputs_from_annotation(annotation, step_name)
    for output_name in outputs:
        try:
            if validate_name(output_name, what="output name") != output_name:
                raise ValueError(f"The output name {output_name!r} is not in its Unicode NFC form; "
                                 f"write it as {validate_name(output_name)!r}.")
        except ValueError as exc:
            raise StepInterfaceError(f"Step `{step_name}`: {exc}") from None
    return StepSignature(step_name, inputs, params_arg, params_class, outputs, context_arg)
