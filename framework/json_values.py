"""Strict JSON validation for everything the metadata store writes.

The store accepts only values that survive a JSON round trip unchanged in meaning:
``dict`` with ``str`` keys, ``list``, ``str``, ``int``, finite ``float``, ``bool`` and
``None``. Tuples become lists (the only conversion). Everything else — NaN/Infinity,
numpy scalars (even ``numpy.float64``, a ``float`` subclass), datetimes, enums, sets,
bytes — raises ``ValueError`` naming the key path, e.g. ``step_run.parameters.gamma``.
Converting is the caller's job; the store only checks.

Also the rules for metadata users log on runs, steps and outputs (`check_metadata`,
merged key by key with `merge_metadata`): the metadata store checks them before it
writes, and a step checks them when it logs, wherever it runs.
"""

from __future__ import annotations

import math
import re
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{key!r}]"


def to_strict_json(value: Any, path: str) -> Any:
    """Return a JSON-safe deep copy of ``value``; ``ValueError`` naming ``path`` otherwise.

    ``path`` names ``value`` in the message (``"run"``, ``"step_run"``, ``"artifacts[0]"``).
    The copy also isolates the store from later mutation of the caller's objects.
    """
    try:
        return _copy(value)
    except _NotStrict:  # build the key paths only to name the offending value
        return _to_strict_json(value, path)


class _NotStrict(Exception):
    pass


_SCALARS = (str, int, bool, type(None))


def _copy(value: Any) -> Any:
    """The deep copy of a strict-JSON value, without key paths; ``_NotStrict`` otherwise."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is float:
        if value - value != 0.0:  # NaN or infinity
            raise _NotStrict
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotStrict
            out[key] = _copy(item)
        return out
    if kind is list or kind is tuple:
        return [_copy(item) for item in value]
    raise _NotStrict


def _to_strict_json(value: Any, path: str) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(
                f"{path} is {value!r}, which strict JSON cannot hold; "
                "store None or a string such as 'nan' instead."
            )
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise ValueError(
                    f"{path} has the key {key!r} of type {type(key).__name__}; "
                    "metadata keys must be str — convert the key before storing."
                )
            out[key] = _to_strict_json(item, _child(path, key))
        return out
    if kind is list or kind is tuple:
        return [_to_strict_json(item, f"{path}[{index}]") for index, item in enumerate(value)]
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    raise ValueError(
        f"{path} is a {kind.__module__}.{kind.__qualname__} ({shown}), not a JSON value; "
        "convert it to str, int, float, bool, None, list or dict before storing it "
        "(e.g. numpy scalars with .item(), datetimes with .isoformat())."
    )


def check_metadata(values: Any, what: str = "metadata") -> dict[str, Any]:
    """A strict-JSON copy of a metadata mapping with non-empty string keys; ``ValueError``
    naming the offending key (``metadata.accuracy``) otherwise."""
    if type(values) is not dict:
        raise ValueError(f"{what} must be a dict of name -> value, got {type(values).__name__}")
    for key in values:
        if type(key) is not str or not key:
            raise ValueError(f"{what}: keys must be non-empty strings, got {key!r}")
    return to_strict_json(values, what)


def merge_metadata(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``new`` merged in key by key (a key logged again takes the new value)."""
    return {**current, **new}
