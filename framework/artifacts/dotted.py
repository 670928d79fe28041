"""Dotted names (``"module.QualName"``) for types and materializers, and importing them back.

Why names rather than class objects: records must be plain JSON, and families such as
pandas or scikit-learn are matched by name so that ``import framework.artifacts`` never
imports them.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from framework.exceptions import MaterializerError

__all__ = ["dotted_name", "import_dotted", "loaded_object"]


def dotted_name(obj: Any) -> str:
    """``f"{obj.__module__}.{obj.__qualname__}"`` for a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


def import_dotted(name: str) -> Any:
    """Import the object a dotted name points at (``"pkg.mod.Outer.Inner"``).

    The split between module and attribute path is ambiguous, so the longest importable
    module prefix wins. Raises `MaterializerError` naming the object when it cannot be
    found — typically a class defined inside a function (``<locals>``) or in a script
    run as ``__main__``, which another process cannot import.
    """
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and not _is_prefix(exc.name, module_name):
                raise MaterializerError(f"Importing `{name}` failed: {exc}") from exc
            continue  # this prefix is not a module; try a shorter one
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            break
        return obj
    raise MaterializerError(
        f"Cannot import `{name}`. Define the type at module level in an importable "
        "module (not inside a function or in `__main__`) so stored artifacts can be loaded."
    )


def loaded_object(name: str) -> Any:
    """The object a dotted name points at if its module is already imported, else None.

    Never imports anything: for names read from stored records, where importing would
    run code the record chose (SPEC §11). Classes inside functions (``<locals>``) are
    not reachable this way and give None too.
    """
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        obj: Any = sys.modules.get(".".join(parts[:cut]))
        if obj is None:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        return obj
    return None


def _is_prefix(candidate: str, module_name: str) -> bool:
    """True if ``candidate`` is ``module_name`` or one of its parent packages."""
    return module_name == candidate or module_name.startswith(candidate + ".")
