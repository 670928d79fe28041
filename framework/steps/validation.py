"""Run-time type checks of step inputs and outputs against their annotations."""

from __future__ import annotations

import types
import typing
from typing import Any

from framework.exceptions import StepInterfaceError
from framework.steps.signature import StepSignature


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__qualname__", None) or repr(annotation)


def matches(value: Any, annotation: Any) -> bool:
    """``isinstance`` against an annotation: generics by origin, unions by any member, Any always."""
    if annotation is Any or annotation is typing.Any or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return matches(value, typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if origin is not None:
        return isinstance(origin, type) and isinstance(value, origin)
    if isinstance(annotation, typing.TypeVar) or isinstance(annotation, str):
        return True
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def validate_outputs(signature: StepSignature, returned: Any, *, step_name: str | None = None) -> dict[str, Any]:
    """Map a step's return value to its declared outputs, or explain what is wrong."""
    step = step_name or signature.step_name
    names = list(signature.outputs)
    if not names:
        if returned is not None:
            raise StepInterfaceError(
                f"Step `{step}` is annotated `-> None` but returned a {type(returned).__name__}; "
                "declare the output in the return annotation or return nothing."
            )
        return {}
    if len(names) == 1:
        values = {names[0]: returned}
    else:
        if not isinstance(returned, (tuple, list)):
            raise StepInterfaceError(
                f"Step `{step}` declares {len(names)} outputs ({', '.join(names)}) but returned a single "
                f"{type(returned).__name__}; return a tuple with one value per output, in that order."
            )
        if len(returned) != len(names):
            raise StepInterfaceError(
                f"Step `{step}` declares {len(names)} outputs ({', '.join(names)}) but returned "
                f"{len(returned)} values; return exactly one value per output."
            )
        values = dict(zip(names, returned))
    for name, value in values.items():
        annotation = signature.outputs[name]
        if not matches(value, annotation):
            raise StepInterfaceError(
                f"Step `{step}`: output `{name}` is declared as {_type_name(annotation)} but the step returned "
                f"a {type(value).__module__}.{type(value).__qualname__}; return that type or change the annotation."
            )
    return values


def validate_input(step: str, name: str, value: Any, annotation: Any) -> None:
    if not matches(value, annotation):
        raise StepInterfaceError(
            f"Step `{step}`: input `{name}` expects {_type_name(annotation)} but got "
            f"{type(value).__qualname__}; pass a value of that type."
        )
