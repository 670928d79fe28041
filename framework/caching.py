"""Cache keys and step code fingerprints.

``cache_key`` is a pure, deterministic function of everything that can change
a step's outputs:

1. ``code``: the step's code fingerprint: its source with comments and
   docstrings stripped (via ``ast``), plus the fingerprints of functions and
   classes from the user's own project that it references (also through a
   project module, ``helpers.compute``, or a closure) and the values of the
   constants (immutable globals and closure variables) they read; where no source
   exists (REPL, notebook cell, ``exec``) the code object itself (bytecode,
   constants, names), never a constant;
2. ``parameters``: every parameter value in a canonical, type-aware encoding
   (``1``, ``1.0``, ``"1"``, ``True`` and ``np.float64(1.0)`` all differ; dict key
   order does not; NaN equals NaN);
3. ``inputs``: the content hash of each input artifact, by argument name;
4. ``outputs``: output names with their declared types and materializers;
5. ``artifact_store``: the URL of the store the outputs live in.

It does not cover run names, pipeline names or a step's display name, so a
renamed run or a migrated pipeline still hits the cache.
"""

from __future__ import annotations

import ast
import datetime as _dt
import decimal
import enum
import inspect
import json
import math
import os
import pathlib
import sys
import sysconfig
import textwrap
import types
import uuid
from typing import Any

from framework.hashing import hash_bytes

KEY_FORMAT = 1

# ---------------------------------------------------------------------------- canonical values


def canonical(value: Any) -> Any:
    """A type-tagged, order-independent structure that JSON-encodes the same for equal values."""
    if value is None:
        return ["none"]
    kind = type(value)
    if kind.__module__ == "numpy" and callable(getattr(value, "item", None)) and getattr(value, "ndim", 1) == 0:
        # numpy scalars: their Python value plus their dtype, never their repr (which
        # changed between numpy versions): np.float64(0.5) and 0.5 behave differently
        plain = canonical(value.item())
        return [plain[0], plain[1], f"numpy.{kind.__name__}"]
    if isinstance(value, bool):
        return _tagged("bool", value, bool(value))
    if isinstance(value, int):
        return _tagged("int", value, int.__repr__(value))
    if isinstance(value, float):
        return _tagged("float", value, "nan" if math.isnan(value) else float.__repr__(value))
    if isinstance(value, str):
        return _tagged("str", value, str.__str__(value))
    if isinstance(value, bytes):
        return _tagged("bytes", value, bytes.hex(value))
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=json.dumps)]
    if isinstance(value, dict):
        items = sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=lambda kv: json.dumps(kv[0]))
        return ["dict", items]
    dotted = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(value, enum.Enum):
        return ["enum", dotted, value.name]
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta, decimal.Decimal, uuid.UUID, pathlib.PurePath)):
        return ["value", dotted, value.isoformat() if hasattr(value, "isoformat") else str(value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic models: class and field values (datetimes and the like included)
        return ["model", dotted, canonical(dump())]
    raise TypeError(f"cannot build a cache key from a {type(value).__qualname__}")


def _tagged(tag: str, value: Any, text: Any) -> list[Any]:
    """``[tag, text]`` for the builtin type itself; a subclass (an enum, a str subclass)
    also records its class, so it never shares a key with the plain value it equals."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return [tag, text]
    return [tag, text, f"{kind.__module__}.{kind.__qualname__}"]


def canonical_json(value: Any) -> str:
    return json.dumps(canonical(value), separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------------------- code fingerprints

_LIBRARY_ROOTS = tuple(
    os.path.realpath(p)
    for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")} | {sys.base_prefix, sys.prefix}
    if p
)
_FRAMEWORK_ROOT = os.path.dirname(os.path.realpath(__file__))


def _is_project_path(path: str | None, module_name: str) -> bool:
    if path is None:
        return module_name == "__main__"
    path = os.path.realpath(path)
    if path.startswith(_FRAMEWORK_ROOT + os.sep):
        return False
    return not any(path.startswith(root + os.sep) for root in _LIBRARY_ROOTS)


def _is_project_object(obj: Any) -> bool:
    """True for functions and classes of the user's own code (not the stdlib, packages or framework)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None:
        return False
    return _is_project_path(getattr(module, "__file__", None), module.__name__)


def _is_project_module(module: types.ModuleType) -> bool:
    return _is_project_path(getattr(module, "__file__", None), module.__name__)


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


_MISSING = object()
_IMMUTABLE_SCALARS = (bool, int, float, complex, str, bytes)


def _is_constant(value: Any, top: bool = True) -> bool:
    """Immutable plain data: numbers, strings, bytes, enum members, numpy scalars, and
    tuples/frozensets of those (None inside them). Mutable globals (dicts, lists, arrays)
    are program state — memo tables, counters, registries — whose contents at compile
    time would make keys differ from process to process, so they are not part of a
    fingerprint; nor is a global that is None (typically a lazily set client)."""
    if value is None:
        return not top
    if isinstance(value, _IMMUTABLE_SCALARS) or isinstance(value, enum.Enum):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_is_constant(item, top=False) for item in value)
    kind = type(value)
    return kind.__module__ == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item")


def _data_fingerprint(value: Any) -> str | None:
    """Stable text for a constant a step reads from a global or a closure (``SCALE = 2``,
    ``LABELS = ("a", "b")``); None for anything else, which is not part of the key."""
    if not _is_constant(value):
        return None
    if isinstance(value, enum.Enum):
        kind = type(value)
        return json.dumps(["enum", f"{kind.__module__}.{kind.__qualname__}", value.name])
    if isinstance(value, complex):
        return json.dumps(["complex", repr(value)])
    try:
        return canonical_json(value)
    except (TypeError, ValueError, RecursionError):
        return None


def _references(func: types.FunctionType) -> list[tuple[str, Any]]:
    """(label, object) for every global, closure variable and project-module attribute
    ``func`` may read: ``SCALE``, ``helpers.compute``, a factory's ``k``. Labels are the
    names as the code spells them, not module paths, so identical code reading identical
    values in two modules gets one fingerprint."""
    names = _referenced_names(func.__code__)
    found: list[tuple[str, Any]] = []
    modules: list[types.ModuleType] = []

    def collect(label: str, value: Any) -> None:
        """Record a value; a project module is searched for the names the code reads."""
        if value is _MISSING:
            return
        if isinstance(value, types.ModuleType):
            if _is_project_module(value):
                modules.append(value)
            return
        found.append((label, value))

    for name in dict.fromkeys(names):
        collect(name, func.__globals__.get(name, _MISSING))
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            collect(f"<closure>.{name}", cell.cell_contents)
        except ValueError:  # an empty cell (the variable is not assigned yet)
            continue
    seen_modules: set[str] = set()
    while modules:  # `helpers.compute(x)`, `settings.THRESHOLD`: attributes of project modules
        module = modules.pop()
        if module.__name__ in seen_modules:
            continue
        seen_modules.add(module.__name__)
        for name in dict.fromkeys(names):
            collect(f"<module>.{name}", getattr(module, name, _MISSING))
    return found


def fingerprint(obj: Any) -> str:
    """Fingerprint of a function or class and of what it depends on in the user's project.

    Covered: its own normalized source (or code object), the project functions and
    classes it references (directly, as attributes of project modules, or from a
    closure), recursively, and the values of the constants — immutable globals and
    closure variables — they read (``SCALE = 2`` → ``3`` changes the fingerprint).
    Library code is not followed; mutable globals (dicts, lists: program state) and
    other objects (loggers, clients) are left out.
    """
    seen: dict[int, str] = {}
    parts: list[str] = []
    data: set[tuple[str, str]] = set()
    stack = [obj]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen[id(current)] = own = _own_fingerprint(current)
        parts.append(own)
        for func in _functions_of(current):
            for label, ref in _references(func):
                if inspect.isfunction(ref) or isinstance(ref, type):
                    if id(ref) not in seen and _is_project_object(ref):
                        stack.append(getattr(ref, "__wrapped__", ref) if not isinstance(ref, type) else ref)
                    continue
                text = _data_fingerprint(ref)
                if text is not None:
                    data.add((label, text))
    parts[1:] = sorted(parts[1:])
    parts.extend(f"{label}={text}" for label, text in sorted(data))
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
