"""Step hooks: ``on_failure=`` / ``on_success=`` functions run after a step, in its process.

A hook declares what it wants through its argument annotations — ``BaseException`` (or
a subclass) for the step's exception, a ``BaseParameters`` subclass for the step's
parameters object, ``StepContext`` for the context — each at most once. Checking that when
the hook is configured turns a typo into an error at the decorator, not a lost alert after
a failed step at 3 a.m.

A hook that raises is logged and recorded; it never hides the step's own error and never
fails a step that succeeded: a hook reports on the step, it is not part of it.
"""

from __future__ import annotations

import inspect
import logging
import sys
import traceback
import typing
from typing import Any, Callable

from framework.exceptions import FrameworkError
from framework.steps.context import StepContext

EXCEPTION, PARAMETERS, CONTEXT = "exception", "parameters", "context"
_ALLOWED = "BaseException (or a subclass), a BaseParameters subclass or StepContext"
_PARAMETERS_MODULE = "framework.steps.base_parameters"


def _kind(annotation: Any) -> str | None:
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, BaseException):
        return EXCEPTION
    if issubclass(annotation, StepContext):
        return CONTEXT
    module = sys.modules.get(_PARAMETERS_MODULE)  # not imported: no parameters class exists
    if module is not None and issubclass(annotation, module.BaseParameters):
        return PARAMETERS
    return None


def _hook_name(func: Any) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def argument_kinds(func: Callable[..., Any], *, option: str = "hook", owner: str = "") -> dict[str, str]:
    """Map each argument of ``func`` to what it receives, or raise ``ValueError`` naming the
    hook and the argument."""
    where = f"{owner}: " if owner else ""
    name = _hook_name(func)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        raise ValueError(f"{where}{option} hook `{name}` has no readable signature; pass a plain function.") from None
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable forward references: judge the raw annotations
        hints = {}
    kinds: dict[str, str] = {}
    for arg in signature.parameters.values():
        if arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            raise ValueError(
                f"{where}{option} hook `{name}`: variable argument `{arg.name}` is not allowed; declare "
                f"arguments annotated with {_ALLOWED}."
            )
        annotation = hints.get(arg.name, arg.annotation)
        kind = _kind(annotation)
        if kind is None:
            shown = "no annotation" if annotation is inspect.Parameter.empty else f"`{annotation!r}`"
            raise ValueError(
                f"{where}{option} hook `{name}`: argument `{arg.name}` has {shown}; hook arguments must be "
                f"annotated with {_ALLOWED}."
            )
        if kind in kinds.values():
            first = next(a for a, k in kinds.items() if k == kind)
            raise ValueError(
                f"{where}{option} hook `{name}`: arguments `{first}` and `{arg.name}` both ask for the "
                f"{kind}; each of {_ALLOWED} may appear at most once."
            )
        kinds[arg.name] = kind
    return kinds


def resolve_hook(value: Any, *, option: str, owner: str) -> Callable[..., Any]:
    """The hook function for ``value`` (a function or a dotted path), its arguments checked."""
    if isinstance(value, str):
        from framework.artifacts.dotted import import_dotted

        try:
            func = import_dotted(value)
        except FrameworkError as exc:
            raise ValueError(
                f"{owner}: {option} hook `{value}` cannot be imported ({exc}); give the function itself or "
                "the dotted path of a module-level function, e.g. 'my_package.alerts.notify'."
            ) from None
    else:
        func = value
    if not callable(func) or isinstance(func, type):
        raise ValueError(f"{owner}: `{option}=` takes a hook: a function or its dotted path, got {value!r}.")
    argument_kinds(func, option=option, owner=owner)
    return func


def _parameters_for(func: Callable[..., Any], arg: str, parameters: Any, values: dict[str, Any]) -> Any:
    """The parameters object a hook's ``arg`` asks for: the step's own, or — for a step whose
    parameters are plain arguments (the function API, or migrated legacy code) — the hook's
    parameters class built from the step's argument values of the same names."""
    try:
        wanted = typing.get_type_hints(func).get(arg)
    except Exception:  # noqa: BLE001 - unresolvable annotations: give what the step has
        wanted = None
    if not isinstance(wanted, type) or isinstance(parameters, wanted):
        return parameters
    try:
        if not getattr(wanted, "model_fields", None):  # the base class itself: all of the step's values
            import pydantic

            model = pydantic.create_model("StepParameters", __base__=wanted,
                                          **{name: (Any, value) for name, value in values.items()})
            return model(**values)
        fields = {name: value for name, value in values.items() if name in wanted.model_fields}
        return wanted(**fields)
    except Exception:  # noqa: BLE001 - the step's values do not make one: give what the step has
        return parameters


def run_hook(func: Callable[..., Any], *, option: str, step_name: str, exception: BaseException | None,
             parameters: Any, context: StepContext, call_values: dict[str, Any] | None = None) -> str | None:
    """Call a hook with what it asks for; returns the error text if it raised (also logged).

    ``call_values``: the step's argument values, for a hook that asks for a parameters class
    the step itself does not use (see `_parameters_for`)."""
    values = {EXCEPTION: exception, PARAMETERS: parameters, CONTEXT: context}
    try:
        kinds = argument_kinds(func, option=option, owner=f"Step `{step_name}`")
        arguments = {arg: values[kind] for arg, kind in kinds.items()}
        for arg, kind in kinds.items():
            if kind == PARAMETERS:
                arguments[arg] = _parameters_for(func, arg, parameters, call_values or {})
        func(**arguments)
    except Exception as exc:  # noqa: BLE001 - a hook reports on the step; it never fails it
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        logging.getLogger("framework").error(
            "The %s hook `%s` of step `%s` raised %s", option, _hook_name(func), step_name, text, exc_info=exc)
        return f"{option} hook `{_hook_name(func)}`: {text}"
    return None
