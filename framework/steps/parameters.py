"""Resolving a step's parameters: the parameters object and plain-value arguments.

Both APIs and the direct call use this one function, so a value means the same
thing however it reached the step. The result is two views of the same data:
``flat`` (JSON, what runs record and caching hashes) and ``call_values`` (the
Python objects the entrypoint receives).
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any, Mapping

from framework.exceptions import MissingStepParameterError, StepInterfaceError
from framework.steps.signature import StepSignature

#: Parameters are stored in every run record, hashed into cache keys and shown in listings:
#: bulk data belongs in artifacts. These bounds keep a parameter a parameter.
MAX_PARAMETER_DEPTH = 64
MAX_PARAMETER_BYTES = 1024 * 1024
MAX_INTEGER_DIGITS = 4000  # beyond Python's default int-to-str limit (4300) JSON cannot write it


def check_limits(value: Any, *, step: str, argument: str) -> None:
    """`StepInterfaceError` naming the step and parameter if ``value`` is nested deeper than
    `MAX_PARAMETER_DEPTH` or holds an integer of more than `MAX_INTEGER_DIGITS` digits —
    checked without recursion, before anything recursive (JSON, pydantic, cache keys) sees it."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_PARAMETER_DEPTH:
            raise StepInterfaceError(
                f"Step `{step}`: parameter `{argument}` is nested more than {MAX_PARAMETER_DEPTH} levels deep; "
                "pass such data as the output of an upstream step (an artifact), not as a parameter.")
        if type(item) is int and item.bit_length() > MAX_INTEGER_DIGITS * 3.33:
            raise StepInterfaceError(
                f"Step `{step}`: parameter `{argument}` holds an integer of more than {MAX_INTEGER_DIGITS} digits; "
                "pass it as a string or as an artifact.")
        if isinstance(item, (list, tuple, set, frozenset)):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif _is_model(item):
            pending.extend((child, depth + 1) for child in vars(item).values())


def check_size(jsonable: Any, *, step: str, argument: str) -> None:
    """`StepInterfaceError` if the stored form of a parameter is larger than `MAX_PARAMETER_BYTES`."""
    import json

    size = len(json.dumps(jsonable, separators=(",", ":")))
    if size > MAX_PARAMETER_BYTES:
        raise StepInterfaceError(
            f"Step `{step}`: parameter `{argument}` is {size:,} bytes as stored, over the {MAX_PARAMETER_BYTES:,} "
            "a parameter may take (it is kept in every run record and cache key); pass it as the output of an "
            "upstream step (an artifact) instead.")


def to_jsonable(value: Any, *, step: str, argument: str, _path: str | None = None) -> Any:
    """A JSON-compatible copy of a parameter value, or a clear error naming step, argument and
    the key path inside it (``cfg['when']``, ``sizes[2]``).

    Tuples become lists, numpy scalars their Python value, NaN/Infinity their repr
    (``"nan"``), pydantic models their JSON dump; anything else is refused, and so is a
    value past the bounds of `check_limits`.
    """
    if _path is None:
        check_limits(value, step=step, argument=argument)
    path = argument if _path is None else _path
    if _is_model(value):
        return value.model_dump(mode="json")
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return to_jsonable(item(), step=step, argument=argument, _path=path)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, step=step, argument=argument, _path=f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise StepInterfaceError(
                    f"Step `{step}`: parameter `{path}` has a non-string key {k!r}; "
                    "parameters must be JSON-serialisable (string keys) or pydantic models."
                )
            out[k] = to_jsonable(v, step=step, argument=argument, _path=f"{path}[{k!r}]")
        return out
    where = f"`{argument}`" if path == argument else f"`{argument}` (at `{path}`)"
    raise StepInterfaceError(
        f"Step `{step}`: parameter {where} is a {type(value).__module__}.{type(value).__qualname__}, "
        "which is neither JSON-serialisable nor a pydantic model. Pass it as the output of an upstream "
        "step (an artifact) or convert it to plain values (e.g. datetimes with .isoformat())."
    )


def _is_model(value: Any) -> bool:
    """``isinstance(value, pydantic.BaseModel)`` without importing pydantic to ask: a run
    whose steps use no parameters class and only plain values never imports it."""
    main = sys.modules.get("pydantic.main")
    return main is not None and isinstance(value, main.BaseModel)


_EXACT = (int, float, str, bool)


@functools.lru_cache(maxsize=512)
def _adapter(annotation: Any) -> Any:
    from pydantic import ConfigDict, TypeAdapter  # imported on first use: not at framework import

    return TypeAdapter(annotation, config=ConfigDict(arbitrary_types_allowed=True))


def _coerce(value: Any, annotation: Any, *, step: str, argument: str) -> Any:
    if annotation is Any or (annotation in _EXACT and type(value) is annotation):
        return value  # what pydantic would return, without asking it
    try:
        adapter = _adapter(annotation)
    except Exception:  # unhashable or unsupported annotation: keep the value as given
        return value
    from pydantic import ValidationError  # imported by _adapter already

    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise StepInterfaceError(f"Step `{step}`: parameter `{argument}` is invalid: {exc}") from None


def build_params_object(signature: StepSignature, step: str, values: dict[str, Any]) -> Any:
    cls = signature.params_class
    from pydantic import ValidationError  # cls is a pydantic model: pydantic is imported

    try:
        return cls(**values)
    except ValidationError as exc:
        missing = [".".join(str(p) for p in e["loc"]) for e in exc.errors() if e["type"] == "missing"]
        if missing:
            field = missing[0]
            raise MissingStepParameterError(
                f"Step `{step}`: parameter `{field}` of {cls.__name__} has no value. Supply it in one of "
                f"three ways: pass `{cls.__name__}({field}=...)` when creating the step, call "
                f"`.configure(parameters={{'{field}': ...}})` on the step, or set "
                f"`steps.<step>.parameters.{field}` in the run configuration YAML."
            ) from None
        raise StepInterfaceError(f"Step `{step}`: invalid parameters for {cls.__name__}: {exc}") from None


def _params_object(signature: StepSignature, step: str, params_obj: Any, values: dict[str, Any],
                   overrides: dict[str, Any]) -> Any:
    """The step's parameters object: its fields from the given object, then ``values``, then
    ``overrides`` (both emptied of the fields they set), each value checked (`check_limits`)."""
    field_names = set(signature.params_class.model_fields)
    if params_obj is not None:
        for name in params_obj.model_fields_set:
            check_limits(getattr(params_obj, name), step=step, argument=name)
    merged = params_obj.model_dump(exclude_unset=True) if params_obj is not None else {}
    for source in (values, overrides):
        for name in list(source):
            if name in field_names and name not in signature.inputs:
                merged[name] = source.pop(name)
    for name, value in merged.items():
        check_limits(value, step=step, argument=name)
    return build_params_object(signature, step, merged)


def resolve_parameters(
    signature: StepSignature,
    step: str,
    *,
    bound_inputs: set[str],
    values: dict[str, Any],
    params_obj: Any = None,
    overrides: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge, validate and flatten parameters; returns ``(flat, call_values)``.

    Precedence, low to high: parameters-class defaults and input defaults <
    the parameters object / values given in code < ``overrides`` (step
    configuration, YAML, run arguments, already merged by the caller).
    """
    overrides = dict(overrides or {})
    flat: dict[str, Any] = {}
    call_values: dict[str, Any] = {}
    field_names: set[str] = set()
    if signature.params_class is not None:
        field_names = set(signature.params_class.model_fields)
        obj = _params_object(signature, step, params_obj, values, overrides)
        call_values[signature.params_arg] = obj
        flat.update(obj.model_dump(mode="json"))
    for name, spec in signature.inputs.items():
        if name in bound_inputs:
            continue
        if name in overrides:
            value = overrides.pop(name)
        elif name in values:
            value = values.pop(name)
        elif spec.has_default:
            value = spec.default
        else:
            raise StepInterfaceError(
                f"Step `{step}`: input `{name}` is not connected; pass the output of an upstream step "
                f"(or a value) as `{name}=...`."
            )
        value = _coerce(value, spec.annotation, step=step, argument=name) if value is not spec.default else value
        if name in flat:
            raise StepInterfaceError(
                f"Step `{step}`: `{name}` is both an input and a field of {signature.params_class.__name__}; "
                "rename one of them."
            )
        flat[name] = to_jsonable(value, step=step, argument=name)
        call_values[name] = value
    for name, value in flat.items():
        check_size(value, step=step, argument=name)
    unknown = sorted(set(values) | set(overrides))
    if unknown:
        known = sorted(set(signature.inputs) | field_names)
        raise StepInterfaceError(
            f"Step `{step}` got unknown parameter(s) {', '.join(f'`{u}`' for u in unknown)}; "
            f"valid names are: {', '.join(known) or '(none)'}."
        )
    return flat, call_values
