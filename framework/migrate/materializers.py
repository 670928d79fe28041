"""ZenML materializers: ``handle_input``/``handle_return`` -> ``load``/``save``.

Materializers written for ZenML before 0.40 implement ``handle_input(self,
data_type)`` and ``handle_return(self, data)`` and read ``self.artifact.uri``;
the current names are ``load``, ``save`` and ``self.uri``. The legacy names keep
working, so this is a rename inside each materializer class (a subclass of
``framework.materializers.BaseMaterializer``, of another framework materializer,
or of a materializer class of this file): the method definitions, the
``super().handle_input(...)`` / ``self.handle_return(...)`` calls (the framework's
base class answers to both names), and ``self.artifact.uri``. A class that
already defines ``load`` (or ``save``) keeps its old method under its old name,
and its subclasses keep calling it by that name.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, analyse
from framework.migrate.framework_names import Imports
from framework.migrate.nodes import dotted
from framework.migrate.transform import Plan, apply

RENAMES = {"handle_input": "load", "handle_return": "save"}


def rewrite(module: cst.Module) -> cst.Module:
    if not any(q.startswith("framework.materializers") for q in Imports(module).aliases.values()):
        return module
    legacy = analyse(module)
    plan = Plan()
    kept: dict[str, set[str]] = {}  # class -> old names it (or a base of this file) keeps as methods
    for cls, bases in _materializers(legacy):
        defined = {s.name.value for s in cls.body.body if isinstance(s, cst.FunctionDef)}
        keeps = {old for old, new in RENAMES.items() if old in defined and new in defined}
        keeps = kept[cls.name.value] = keeps.union(*(kept.get(b, set()) for b in bases))
        cls.body.visit(_Renamer(plan, {old: new for old, new in RENAMES.items() if old not in keeps}))
    return apply(legacy.module, plan) if not plan.empty() else module


def _materializers(legacy: Legacy) -> list[tuple[cst.ClassDef, list[str]]]:
    """Materializer classes of this file, each with its bases that are materializers of this file."""
    found: list[tuple[cst.ClassDef, list[str]]] = []
    names: set[str] = set()
    for stmt in legacy.module.body:
        if not isinstance(stmt, cst.ClassDef):
            continue
        local = [dotted(b.value) for b in stmt.bases if dotted(b.value) in names]
        framework_base = any(
            (legacy.imports.resolve(b.value) or "").startswith("framework.materializers.") for b in stmt.bases
        )
        if local or framework_base:
            found.append((stmt, local))
            names.add(stmt.name.value)
    return found


class _Renamer(cst.CSTVisitor):
    """Records the renames of one class body: method names, self/super() calls, ``self.artifact.uri``."""

    def __init__(self, plan: Plan, renames: dict[str, str]) -> None:
        super().__init__()
        self.plan = plan
        self.renames = renames
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False  # a nested class is another class

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.depth == 0 and node.name.value in self.renames:
            self.plan.set(node.name, cst.Name(self.renames[node.name.value]))
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        receiver = node.value
        is_self = isinstance(receiver, cst.Name) and receiver.value == "self"
        is_super = isinstance(receiver, cst.Call) and dotted(receiver.func) == "super"
        if node.attr.value in self.renames and (is_self or is_super):
            self.plan.set(node.attr, cst.Name(self.renames[node.attr.value]))
        if node.attr.value == "uri" and dotted(receiver) == "self.artifact":
            self.plan.set(node, cst.Attribute(value=cst.Name("self"), attr=cst.Name("uri"), lpar=node.lpar, rpar=node.rpar))
