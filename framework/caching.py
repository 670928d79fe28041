"""Cache keys and step code fingerprints.

``cache_key`` is a pure, deterministic function of everything that can change
a step's outputs:

1. ``code``: the step's code fingerprint: its source with comments and
   docstrings stripped (via ``ast``), plus the fingerprints of functions and
   classes from the user's own project that it references; where no source
   exists (REPL, notebook cell, ``exec``) the code object itself (bytecode,
   constants, names), never a constant;
2. ``parameters``: every parameter value in a canonical, type-aware encoding
   (``1``, ``1.0``, ``"1"`` and ``True`` all differ; dict key order does not);
3. ``inputs``: the content hash of each input artifact, by argument name;
4. ``outputs``: output names with their declared types and materializers;
5. ``artifact_store``: the URL of the store the outputs live in.

It does not cover run names, pipeline names or a step's display name, so a
renamed run or a migrated pipeline still hits the cache.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import sys
import sysconfig
import textwrap
import types
from typing import Any

from framework.hashing import hash_bytes

KEY_FORMAT = 1

# ---------------------------------------------------------------------------- canonical values


def canonical(value: Any) -> Any:
    """A type-tagged, order-independent structure that JSON-encodes the same for equal values."""
    if value is None:
        return ["none"]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", "nan" if math.isnan(value) else repr(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=json.dumps)]
    if isinstance(value, dict):
        items = sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=lambda kv: json.dumps(kv[0]))
        return ["dict", items]
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic models: class and field values
        cls = type(value)
        return ["model", f"{cls.__module__}.{cls.__qualname__}", canonical(dump())]
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return canonical(item())
    raise TypeError(f"cannot build a cache key from a {type(value).__qualname__}")


def canonical_json(value: Any) -> str:
    return json.dumps(canonical(value), separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------------------- code fingerprints

_LIBRARY_ROOTS = tuple(
    os.path.realpath(p)
    for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")} | {sys.base_prefix, sys.prefix}
    if p
)
_FRAMEWORK_ROOT = os.path.dirname(os.path.realpath(__file__))


def _is_project_object(obj: Any) -> bool:
    """True for functions and classes of the user's own code (not the stdlib, packages or framework)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None:
        return False
    path = getattr(module, "__file__", None)
    if path is None:
        return module.__name__ == "__main__"
    path = os.path.realpath(path)
    if path.startswith(_FRAMEWORK_ROOT + os.sep):
        return False
    return not any(path.startswith(root + os.sep) for root in _LIBRARY_ROOTS)


class _StripDocstrings(ast.NodeTransformer):
    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        if hasattr(node, "decorator_list"):
            node.decorator_list = []
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Module = _strip


def normalized_source(obj: Any) -> str | None:
    """Source without comments, docstrings or decorators; None when no source exists."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    return ast.unparse(_StripDocstrings().visit(tree))


def _code_object_fingerprint(code: types.CodeType) -> str:
    parts: list[Any] = [code.co_code.hex(), list(code.co_names), list(code.co_varnames)]
    for const in code.co_consts:
        parts.append(_code_object_fingerprint(const) if isinstance(const, types.CodeType) else repr(const))
    return hash_bytes(json.dumps(parts).encode())


def _referenced_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_referenced_names(const))
    return names


def _own_fingerprint(obj: Any) -> str:
    source = normalized_source(obj)
    if source is not None:
        return hash_bytes(source.encode())
    code = getattr(obj, "__code__", None)
    if code is not None:
        return _code_object_fingerprint(code)
    if isinstance(obj, type):  # a class without source: fingerprint its functions
        parts = [f"{k}:{_own_fingerprint(v)}" for k, v in sorted(vars(obj).items()) if inspect.isfunction(v)]
        return hash_bytes("|".join(parts).encode())
    return hash_bytes(repr(obj).encode())


def _functions_of(obj: Any) -> list[types.FunctionType]:
    if inspect.isfunction(obj):
        return [obj]
    if isinstance(obj, type):
        return [v for v in vars(obj).values() if inspect.isfunction(v)] + [
            v.__func__ for v in vars(obj).values() if isinstance(v, (staticmethod, classmethod))
        ]
    return []


def fingerprint(obj: Any) -> str:
    """Fingerprint of a function or class and of the project functions/classes it references."""
    seen: dict[int, str] = {}
    parts: list[str] = []
    stack = [obj]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen[id(current)] = own = _own_fingerprint(current)
        parts.append(own)
        for func in _functions_of(current):
            for ref_name in _referenced_names(func.__code__):
                ref = func.__globals__.get(ref_name)
                if ref is None or id(ref) in seen:
                    continue
                if (inspect.isfunction(ref) or isinstance(ref, type)) and _is_project_object(ref):
                    stack.append(getattr(ref, "__wrapped__", ref) if not isinstance(ref, type) else ref)
    parts[1:] = sorted(parts[1:])
    return hash_bytes("\n".join(parts).encode())


def step_fingerprint(step_class: type) -> str:
    """A step's code fingerprint, computed once per class."""
    cached = step_class.__dict__.get("_code_fingerprint")
    if cached is None:
        target = step_class._entrypoint_fn if not step_class._entrypoint_is_method else step_class
        cached = fingerprint(target)
        step_class._code_fingerprint = cached
    return cached


# ---------------------------------------------------------------------------- the key


def cache_key(
    *,
    code: str,
    parameters: dict[str, Any],
    inputs: dict[str, str],
    outputs: dict[str, Any],
    artifact_store: str,
) -> str:
    """The cache key; see the module docstring for why each ingredient is here."""
    ingredients = {
        "format": KEY_FORMAT,
        "code": code,
        "parameters": canonical(parameters),
        "inputs": sorted(inputs.items()),
        "outputs": sorted((k, v) for k, v in outputs.items()),
        "artifact_store": artifact_store,
    }
    return hash_bytes(json.dumps(ingredients, sort_keys=True, separators=(",", ":")).encode()).split(":")[-1]
