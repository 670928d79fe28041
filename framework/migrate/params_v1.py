"""Parameters written for pydantic v1: ``BaseStepConfig`` and un-annotated fields.

ZenML 0.2x parameter classes subclass ``BaseStepConfig`` (the old name of
``BaseParameters``) and often declare fields without annotations
(``test_size = 0.2``): pydantic v1 inferred the field's type from its default. The
legacy runtime still accepts both; function-API code is written for pydantic v2,
where a field needs an annotation, so this rewrite makes the inference explicit:

* ``BaseStepConfig`` -> ``BaseParameters`` (imports and every use);
* in a parameters class, ``name = <literal>`` -> ``name: <type> = <literal>`` with the
  type pydantic v1 inferred, ``type(default)``: ``int``, ``float``, ``str``, ``bool``,
  ``list``, ``dict``, ``tuple``, ``set``, ``bytes``; a ``None`` default (which v1 could
  not type) becomes ``Optional[Any]``. A module-level constant assigned once to a
  literal counts as that literal.

A default that is not a literal (``np.float64(1)``, an imported constant) gets a
TODO: its type is only known at run time. What pydantic v1 did not take for a field
is left alone: names starting with ``_``, the inner ``class Config``, functions,
classes and ``staticmethod``/``classmethod``/``property`` objects.
"""

from __future__ import annotations

import ast

import libcst as cst

from framework.migrate.analysis import Legacy, analyse
from framework.migrate.framework_names import BASE_PARAMETERS, BASE_STEP_CONFIG, Imports
from framework.migrate.import_tools import can_bind, finish_imports
from framework.migrate.nodes import code, dotted, parse_expr
from framework.migrate.transform import Plan, apply

NEW_NAME = "BaseParameters"
_TYPED = (bool, int, float, complex, str, bytes, list, dict, tuple, set)


def rewrite(module: cst.Module) -> cst.Module:
    if not _worth_a_look(module):
        return module
    legacy = analyse(module)
    plan = Plan()
    add: list[tuple[str, str]] = []
    renamed = _rename_step_config(legacy, plan)
    if renamed:
        add.append(("framework.steps", NEW_NAME))
    for cls in _params_classes(legacy):
        for stmt in cls.body.body:
            add.extend(_annotate(legacy, plan, stmt))
    if plan.empty():
        return module
    return finish_imports(apply(legacy.module, plan), add, renamed)


def _worth_a_look(module: cst.Module) -> bool:
    """Cheap check before the scope analysis: a BaseStepConfig import or a class with a plain assignment."""
    if Imports(module).locals_of(BASE_STEP_CONFIG) or "BaseStepConfig" in module.code:
        return True
    return any(
        isinstance(stmt, cst.ClassDef)
        and any(isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Assign) for s in stmt.body.body)
        for stmt in module.body
    )


# ---------------------------------------------------------------------- BaseStepConfig
def _rename_step_config(legacy: Legacy, plan: Plan) -> set[str]:
    """``BaseStepConfig`` -> ``BaseParameters`` everywhere; returns the old local names (to prune)."""
    olds = set(legacy.imports.locals_of(BASE_STEP_CONFIG))
    if olds and not can_bind(legacy, NEW_NAME, set(BASE_PARAMETERS - BASE_STEP_CONFIG)):
        for local in olds:
            for ref in legacy.references(local):
                plan.todo(legacy.statement_of(ref), f"`{local}` is the old name of `BaseParameters`, but "
                          "`BaseParameters` means something else here: rename one of them")
        return set()
    for local in olds:
        for ref in legacy.references(local):
            plan.set(ref, cst.Name(NEW_NAME))

    class _Attrs(cst.CSTVisitor):  # `fs.BaseStepConfig`, `framework.steps.base_step_config.BaseStepConfig`
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            if node.attr.value == "BaseStepConfig" and legacy.imports.is_(node, BASE_STEP_CONFIG):
                base = node.value
                if isinstance(base, cst.Attribute) and base.attr.value == "base_step_config":
                    base = base.value
                plan.set(node, cst.Attribute(value=base, attr=cst.Name(NEW_NAME)))
                return False
            return True

    legacy.module.visit(_Attrs())
    return olds


# ---------------------------------------------------------------------- un-annotated fields
def _params_classes(legacy: Legacy) -> list[cst.ClassDef]:
    found: list[cst.ClassDef] = []
    names: set[str] = set()
    for stmt in legacy.module.body:
        if isinstance(stmt, cst.ClassDef) and any(
            legacy.imports.is_(b.value, BASE_PARAMETERS) or dotted(b.value) in names for b in stmt.bases
        ):
            found.append(stmt)
            names.add(stmt.name.value)
    return found


def _annotate(legacy: Legacy, plan: Plan, stmt: cst.CSTNode) -> list[tuple[str, str]]:
    """Annotate one un-annotated field; returns the typing imports the annotation needs."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return []
    assign = stmt.body[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return []
    name = assign.targets[0].target.value
    if name.startswith("_") or _not_a_field(legacy, assign.value):
        return []
    value = _literal(legacy, assign.value)
    imports: list[tuple[str, str]] = []
    if value is _UNKNOWN:
        plan.todo(stmt, f"annotate the field `{name}` with its type (pydantic v1 took it from the default "
                  f"`{code(assign.value)}` at run time; pydantic v2 needs `{name}: <type> = ...`)")
        return []
    if value is None:
        if not (can_bind(legacy, "Optional", {"typing.Optional"}) and can_bind(legacy, "Any", {"typing.Any"})):
            plan.todo(stmt, f"annotate the field `{name}` with its type, e.g. `{name}: typing.Optional[...] = None`")
            return []
        annotation = "Optional[Any]"
        imports = [("typing", "Any"), ("typing", "Optional")]
    else:
        annotation = type(value).__name__
    plan.set(assign, cst.AnnAssign(
        target=assign.targets[0].target,
        annotation=cst.Annotation(parse_expr(annotation)),
        value=assign.value,
    ))
    return imports


_UNKNOWN = object()
_DESCRIPTORS = ("staticmethod", "classmethod", "property")


def _not_a_field(legacy: Legacy, value: cst.BaseExpression) -> bool:
    """Values pydantic v1 left alone as class attributes: functions, classes, descriptors."""
    if isinstance(value, cst.Lambda):
        return True
    if isinstance(value, cst.Call) and dotted(value.func) in _DESCRIPTORS:
        return True
    if isinstance(value, cst.Name):
        for scope in (legacy.scope(value), legacy.global_scope()):  # the class body, then the module
            nodes = [a.node for a in scope.assignments[value.value]] if scope is not None else []
            if nodes:
                return all(isinstance(n, (cst.FunctionDef, cst.ClassDef)) for n in nodes)
    return False



def _literal(legacy: Legacy, expr: cst.BaseExpression):
    """The value of a literal default (through a module constant assigned once), else ``_UNKNOWN``."""
    if isinstance(expr, cst.Name) and expr.value not in ("True", "False", "None"):
        scope = legacy.global_scope()
        assignments = list(scope.assignments[expr.value]) if scope is not None else []
        if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Name):
            return _UNKNOWN
        parent = legacy.parent(legacy.parent(assignments[0].node))
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return _UNKNOWN
        expr = parent.value
    try:
        value = ast.literal_eval(code(expr))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNKNOWN
    return value if value is None or type(value) in _TYPED else _UNKNOWN
