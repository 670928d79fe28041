"""A project: several modules migrated together, and how their names reach one another.

A legacy pipeline is often defined in one module (``pipelines/training.py``), instantiated
in another (``run.py``) with steps from a third (``steps/trainer.py``). One file alone
cannot tell which steps fill the slots; the project's files together can. This module
names each file as the module it is when the project runs from its root (``python
run.py`` there imports ``pipelines.training``), reads every module-level binding, and
follows imports between the project's modules - re-exports through ``__init__`` too - to
the module that defines a name. It also knows which project modules each module imports
when it is loaded, so that the codemod never adds an import that closes a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate.framework_names import Imports
from framework.migrate.nodes import dotted
from framework.migrate.pipeline_defs import legacy_pipeline


@dataclass(frozen=True)
class Origin:
    """Where a module-level name comes from.

    ``kind``: ``"defined"`` (a def, class or assignment of the project module ``module``),
    ``"external"`` (``from module import name``, a module outside the project) or
    ``"module"`` (the name is a module: ``import module``).
    """

    kind: str
    module: str
    name: str | None = None
    statement: str = field(default="", compare=False)  # how to import it under its own name

    def import_line(self, local: str) -> str:
        """The import statement that binds ``local`` to this."""
        if self.kind == "module":
            head = self.module.split(".")[0]
            return f"import {self.module}" if local == head else f"import {self.module} as {local}"
        return f"from {self.module} import {self.name}" + ("" if local == self.name else f" as {local}")


@dataclass
class Unit:
    """One file: its source, its module name in the project, and what the migration made of it."""

    filename: str
    source: str
    module: cst.Module  # as parsed; then as the surface rewrites leave it
    name: str | None = None  # dotted module name (None: migrated on its own)
    package: bool = False  # an `__init__.py`
    legacy: object | None = None  # the `analysis.Legacy` of the module once it is analysed
    loads: frozenset[str] = frozenset()  # names the original code reads (`ast.Load`)
    _bindings: tuple | None = None

    def bindings(self) -> dict[str, tuple]:
        """Module-level name -> ("defined",) | ("from", module, name) | ("import", module)."""
        if self._bindings is None or self._bindings[0] is not self.module:
            self._bindings = (self.module, _bindings(self))
        return self._bindings[1]


def _absolute(unit: Unit, node: cst.ImportFrom) -> str | None:
    module = dotted(node.module) if node.module is not None else ""
    if not node.relative:
        return module
    if unit.name is None:
        return None
    parts = unit.name.split(".") if unit.package else unit.name.split(".")[:-1]
    up = len(node.relative) - 1
    if up > len(parts):
        return None
    base = parts[: len(parts) - up]
    return ".".join([*base, module] if module else base) or None


def _statements(module: cst.Module):
    """Module-level statements, also inside module-level if/try blocks (as ``Imports`` reads them)."""
    stack = list(module.body)
    while stack:
        stmt = stack.pop(0)
        yield stmt
        if isinstance(stmt, (cst.If, cst.Try)):
            stack[:0] = list(stmt.body.body)
            for extra in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
                if extra is not None and hasattr(extra.body, "body"):
                    stack.extend(extra.body.body)
            for handler in getattr(stmt, "handlers", ()):
                stack.extend(handler.body.body)


def _bindings(unit: Unit) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for stmt in _statements(unit.module):
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            found[stmt.name.value] = ("defined",)
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = _absolute(unit, small)
                for alias in small.names:
                    local = alias.asname.name.value if alias.asname else dotted(alias.name)
                    found[local] = ("from", module, dotted(alias.name)) if module else ("defined",)
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted(alias.name) or ""
                    found[alias.asname.name.value if alias.asname else full.split(".")[0]] = ("import", full)
            elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                for target in targets:
                    if isinstance(target, cst.Name):
                        found[target.value] = ("defined",)
    return found


class Project:
    """The units migrated together and the names that cross between them."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.by_name = {u.name: u for u in units if u.name is not None}
        self._imported: dict[tuple, set[str]] = {}
        self._definitions: dict[int, dict] = {}  # id(module) -> its legacy pipelines by name

    # ------------------------------------------------------------------ names
    def resolve(self, unit: Unit, local: str, depth: int = 0) -> Origin | None:
        """Where the module-level name ``local`` of ``unit`` comes from; None if not bound or unknown."""
        binding = unit.bindings().get(local)
        if binding is None or depth > 20:
            return None
        if binding[0] == "defined":
            return Origin("defined", unit.name or "__main__", local) if unit.name else None
        if binding[0] == "import":
            return Origin("module", binding[1])
        _, module, name = binding
        source = self.by_name.get(module)
        if source is None:
            return Origin("external", module, name)
        if name in source.bindings():
            return self.resolve(source, name, depth + 1)
        if f"{module}.{name}" in self.by_name:
            return Origin("module", f"{module}.{name}")
        return None

    def importers(self, unit: Unit, name: str) -> list[tuple[Unit, str]]:
        """(other unit, its local name) for every module-level import of ``unit``'s ``name``."""
        wanted = Origin("defined", unit.name, name) if unit.name else None
        found = []
        for other in self.units:
            if other is unit or wanted is None:
                continue
            for local, binding in other.bindings().items():
                if binding[0] == "from" and self.resolve(other, local) == wanted:
                    found.append((other, local))
        return found

    def imported_definitions(self, unit: Unit):
        """(local name, defining unit, its name there) for each name ``unit`` imports from another project module."""
        for local, binding in unit.bindings().items():
            origin = self.resolve(unit, local) if binding[0] == "from" else None
            source = self.by_name.get(origin.module) if origin is not None and origin.kind == "defined" else None
            if source is not None and source is not unit:
                yield local, source, origin.name

    def legacy_pipeline_names(self, unit: Unit) -> dict[str, str | None]:
        """Local names ``unit`` imports legacy pipelines of other project modules under -> their run names."""
        found = {}
        for local, source, name in self.imported_definitions(unit):
            if id(source.module) not in self._definitions:
                self._definitions[id(source.module)] = _definitions(source)
            pipe = self._definitions[id(source.module)].get(name)
            if pipe is not None:
                found[local] = pipe.pipeline_name
        return found

    def unit_of(self, legacy) -> Unit:
        return next(u for u in self.units if u.legacy is legacy)

    def legacy_of(self, node: cst.CSTNode):
        """The analysed module a node belongs to."""
        for unit in self.units:
            legacy = unit.legacy
            if legacy is not None and (node in legacy.parents or node is legacy.module):
                return legacy
        raise KeyError(node)

    # ------------------------------------------------------------------ imports between modules
    def imported(self, unit: Unit) -> set[str]:
        """The project modules loading ``unit`` loads first: its packages and its module-level imports."""
        key = (unit.name, id(unit.module))
        if key not in self._imported:
            self._imported[key] = self._read_imports(unit)
        return self._imported[key]

    def _read_imports(self, unit: Unit) -> set[str]:
        names: set[str] = set()
        if unit.name:
            parts = unit.name.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts)))
        for stmt in _statements(unit.module):
            for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.ImportFrom):
                    module = _absolute(unit, small)
                    if module:
                        names.update(_prefixes(module))
                        if not isinstance(small.names, cst.ImportStar):
                            names.update(f"{module}.{dotted(a.name)}" for a in small.names)
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        names.update(_prefixes(dotted(alias.name) or ""))
        return {n for n in names if n in self.by_name and n != unit.name}

    def reaches(self, start: str, goal: str) -> bool:
        """Whether loading module ``start`` loads module ``goal`` (through project modules)."""
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current in seen or current not in self.by_name:
                continue
            seen.add(current)
            todo.extend(self.imported(self.by_name[current]))
        return False


def _prefixes(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _definitions(unit: Unit) -> dict:
    imports = Imports(unit.module)
    found = {}
    for stmt in unit.module.body:
        pipe = legacy_pipeline(imports, stmt) if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else None
        if pipe is not None:
            found[pipe.name] = pipe
    return found
