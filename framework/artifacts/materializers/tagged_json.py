"""JSON that round-trips Python builtins exactly: plain JSON when lossless, tags otherwise.

Why two modes: most step outputs (numbers, strings, lists and dicts of them) are stored
as the plain JSON anyone can read. Plain JSON would silently turn a tuple into a list, a
set into an error, ``{1: "a"}`` into ``{"1": "a"}`` and NaN into invalid JSON; for those
values the whole document is written in a small tagged form instead::

    {"__framework_json__": 1, "value": <encoded>}

where, inside ``<encoded>``, lists and scalars stay as they are and *every* JSON object is
a one-key tag: ``{"dict": {...}}`` (str keys), ``{"items": [[k, v], ...]}`` (other keys),
``{"tuple": [...]}``, ``{"set": [...]}``, ``{"frozenset": [...]}``, ``{"bytes": "<base64>"}``,
``{"float": "nan" | "inf" | "-inf"}``. A plain document whose top level is a dict holding
the marker key is written tagged too, so the two modes can never be confused.

Set elements are sorted by their encoding so equal sets always produce equal bytes (and
so equal content hashes, which caching relies on) whatever the interpreter's hash seed.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

__all__ = ["MARKER", "Unsupported", "dumps", "loads", "check"]

MARKER = "__framework_json__"
_SCALARS = (str, int, bool, type(None))


class Unsupported(TypeError):
    """A node JSON cannot store exactly; ``path`` says where (``value['a'][2]``)."""

    def __init__(self, path: str, value: Any) -> None:
        self.path, self.type = path, type(value)
        super().__init__(f"{path} is a {_type_name(value)}, which JSON cannot store")


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check(value: Any) -> bool:
    """Return whether ``value`` needs the tagged form; raise `Unsupported` if it can't be stored."""
    return _scan(value, "value")


def _scan(v: Any, path: str) -> bool:
    t = type(v)
    if t in _SCALARS:
        return False
    if t is float:
        return not math.isfinite(v)
    if t is list:
        needs = False
        for i, item in enumerate(v):
            needs = _scan(item, f"{path}[{i}]") or needs
        return needs
    if t is dict:
        needs = False
        for k, item in v.items():
            if type(k) is not str:
                _scan(k, f"{path} key {k!r}")
                needs = True
            needs = _scan(item, f"{path}[{k!r}]") or needs
        return needs
    if t in (tuple, set, frozenset):
        for i, item in enumerate(v):
            _scan(item, f"{path}[{i}]" if t is tuple else f"{path} element {item!r}")
        return True
    if t is bytes:
        return True
    raise Unsupported(path, v)


def dumps(value: Any) -> bytes:
    """Encode ``value`` (plain JSON if lossless); raises `Unsupported` naming the bad node."""
    tagged = check(value) or (type(value) is dict and MARKER in value)
    doc = {MARKER: 1, "value": _encode(value)} if tagged else value
    # ensure_ascii keeps lone surrogates in str exact (escaped) and the file pure ASCII.
    return json.dumps(doc, allow_nan=False, separators=(",", ":")).encode("ascii")


def _encode(v: Any) -> Any:
    t = type(v)
    if t in _SCALARS:
        return v
    if t is float:
        if math.isfinite(v):
            return v
        return {"float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    if t is list:
        return [_encode(x) for x in v]
    if t is dict:
        if all(type(k) is str for k in v):
            return {"dict": {k: _encode(x) for k, x in v.items()}}
        return {"items": [[_encode(k), _encode(x)] for k, x in v.items()]}
    if t is tuple:
        return {"tuple": [_encode(x) for x in v]}
    if t is set or t is frozenset:
        items = sorted((_encode(x) for x in v), key=lambda e: json.dumps(e, sort_keys=True))
        return {t.__name__: items}
    if t is bytes:
        return {"bytes": base64.b64encode(v).decode("ascii")}
    raise Unsupported("value", v)  # unreachable after check()


def loads(data: bytes | str) -> Any:
    """Decode what `dumps` wrote."""
    doc = json.loads(data)
    if type(doc) is dict and MARKER in doc:
        if doc[MARKER] != 1:
            raise ValueError(f"Unknown tagged JSON version {doc[MARKER]!r}.")
        return _decode(doc["value"])
    return doc


_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _decode(e: Any) -> Any:
    if type(e) is list:
        return [_decode(x) for x in e]
    if type(e) is not dict:
        return e
    ((tag, body),) = e.items()
    if tag == "dict":
        return {k: _decode(x) for k, x in body.items()}
    if tag == "items":
        return {_decode(k): _decode(x) for k, x in body}
    if tag == "tuple":
        return tuple(_decode(x) for x in body)
    if tag == "set":
        return {_decode(x) for x in body}
    if tag == "frozenset":
        return frozenset(_decode(x) for x in body)
    if tag == "bytes":
        return base64.b64decode(body)
    if tag == "float":
        return _FLOATS[body]
    raise ValueError(f"Unknown tag {tag!r} in tagged JSON.")
