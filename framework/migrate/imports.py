"""Imports and leftovers: switch to ``framework.pipelines.new.pipeline``, drop what became unused.

Main pass: the legacy ``pipeline`` import becomes ``from framework.pipelines.new import
pipeline`` when no legacy pipeline is left; when some stay legacy (TODO), the new
decorator is imported as ``new_pipeline`` beside the legacy one.

Cleanup pass (on the migrated code): parameters classes whose steps were flattened
and that nothing uses any more are removed; ``BaseParameters``, ``BasePipeline`` and
the legacy ``pipeline`` are dropped from imports once unused; any remaining use of
the legacy pipeline API without a TODO gets one.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, analyse
from framework.migrate.bindings import binding_of
from framework.migrate.framework_names import BASE_PARAMETERS, BASE_PIPELINE, BASE_STEP, LEGACY_PIPELINE, NEW_PIPELINE
from framework.migrate.nodes import comments_in, dotted, layout
from framework.migrate.report import TODO_PREFIX
from framework.migrate.transform import Plan

NEW_MODULE = "framework.pipelines.new"


def decorator_name(legacy: Legacy, converted: set[str]) -> tuple[str, bool]:
    """The local name converted pipelines are decorated with, and whether it must be imported."""
    existing = legacy.imports.locals_of(NEW_PIPELINE)
    if existing:
        return existing[0], False
    legacy_locals = legacy.imports.locals_of(LEGACY_PIPELINE)
    if legacy_locals and not legacy_still_used(legacy, converted):
        return legacy_locals[0], True
    taken = {a.name for a in legacy.global_scope().assignments} if legacy.global_scope() else set()
    for candidate in ("pipeline", "new_pipeline", "function_pipeline"):
        if candidate not in taken:
            return candidate, True
    n = 2
    while f"new_pipeline_{n}" in taken:
        n += 1
    return f"new_pipeline_{n}", True


def legacy_still_used(legacy: Legacy, converted: set[str]) -> bool:
    decorators = set()
    for name in converted:
        pipe = legacy.pipelines[name]
        if pipe.kind == "function":
            dec = pipe.node.decorators[0].decorator
            decorators.add(id(dec.func if isinstance(dec, cst.Call) else dec))
    for local in legacy.imports.locals_of(LEGACY_PIPELINE):
        for ref in legacy.references(local):
            if not isinstance(binding_of(legacy, ref), (cst.Import, cst.ImportFrom, type(None))):
                continue  # the name was rebound (`pipeline = my_pipeline(...)`): not the decorator
            node = ref
            parent = legacy.parent(ref)
            while isinstance(parent, cst.Attribute) and parent.value is node:
                node, parent = parent, legacy.parent(parent)
            if id(node) not in decorators:
                return True
    return False


def add_new_import(legacy: Legacy, plan: Plan, name: str) -> None:
    """Import the new decorator as ``name``, replacing the legacy import of that name if there is one."""
    statement = f"from {NEW_MODULE} import pipeline" + ("" if name == "pipeline" else f" as {name}")
    anchor, alias = _legacy_import(legacy, name)
    if anchor is None:
        anchor = _last_import(legacy)
    new_import = cst.parse_statement(statement)

    def make(updated: cst.SimpleStatementLine) -> list[cst.CSTNode]:
        if alias is None:
            return [updated, new_import]
        imp = updated.body[0]
        keep = [a for a in imp.names if (a.asname.name.value if a.asname else dotted(a.name)) != name]
        if not keep:
            return [
                new_import.with_changes(
                    leading_lines=updated.leading_lines, trailing_whitespace=updated.trailing_whitespace
                )
            ]
        kept = updated.with_changes(body=[imp.with_changes(names=layout(keep, imp.names, None))])
        return [kept, new_import]

    if anchor is None:
        plan.set(legacy.module, lambda m: m.with_changes(body=[new_import, *m.body]))
    else:
        plan.split(anchor, make)


def _legacy_import(legacy: Legacy, name: str):
    """The module-level ``from framework.pipelines import pipeline [as name]`` statement, if any."""
    fallback = None
    for stmt in legacy.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        imp = stmt.body[0]
        if isinstance(imp, cst.ImportFrom) and dotted(imp.module) == "framework.pipelines" and not imp.relative:
            if isinstance(imp.names, cst.ImportStar):
                fallback = fallback or stmt
                continue
            for alias in imp.names:
                local = alias.asname.name.value if alias.asname else dotted(alias.name)
                if local == name and dotted(alias.name) == "pipeline":
                    return stmt, alias
            fallback = fallback or stmt
        elif isinstance(imp, cst.Import) and any((dotted(a.name) or "").startswith("framework") for a in imp.names):
            fallback = fallback or stmt
    return fallback, None


def _last_import(legacy: Legacy):
    last = None
    for stmt in legacy.module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
            last = stmt
        elif last is not None:
            break
    return last


# ---------------------------------------------------------------------- cleanup pass
def cleanup(code: str, params_candidates: dict[str, str], prune: set[str]) -> str:
    """Second pass over migrated code: unused parameter classes and legacy imports go.

    ``params_candidates`` maps each flattened parameters class to the step that took
    its fields; the comments of a removed class move above that step.
    """
    module = cst.parse_module(code)
    legacy = analyse(module)
    plan = Plan()
    scope = legacy.global_scope()
    if scope is None:
        return code
    for name, step_name in sorted(params_candidates.items()):
        pclass = legacy.params.get(name)
        if pclass is None or legacy.references(name):
            continue
        moved = {c for f in pclass.fields for c in [*f.leading, f.trailing] if c}
        texts = [c for c in comments_in(pclass.node) if c not in moved]
        step = legacy.steps.get(step_name)
        if step is not None:
            plan.drop(pclass.node, keep_leading=False)
            plan.comment(step.func if step.kind == "function" else step.node, texts)
        else:
            plan.drop(pclass.node)
    qualified = {
        "BaseParameters": BASE_PARAMETERS,
        "BasePipeline": BASE_PIPELINE,
        "BaseStep": BASE_STEP,  # the annotation of `connect`'s slots
        "pipeline": LEGACY_PIPELINE,
    }
    unused = set()
    for key in prune:
        for local in legacy.imports.locals_of(qualified[key]):
            if not _used(legacy, local, plan):
                unused.add(local)
    if unused:
        _prune_imports(legacy, plan, unused)
    _leftovers(legacy, plan)
    if plan.empty():
        return code
    from framework.migrate.transform import apply

    return apply(legacy.module, plan).code


def _used(legacy: Legacy, name: str, plan: Plan) -> bool:
    removed = {id(legacy.params[n].node) for n in legacy.params if id(legacy.params[n].node) in plan.remove}
    for ref in legacy.references(name):
        node = ref
        inside_removed = False
        while node is not None:
            if id(node) in removed:
                inside_removed = True
                break
            node = legacy.parent(node)
        if not inside_removed:
            return True
    return False


def _prune_imports(legacy: Legacy, plan: Plan, unused: set[str]) -> None:
    for stmt in legacy.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        imp = stmt.body[0]
        if not isinstance(imp, cst.ImportFrom) or isinstance(imp.names, cst.ImportStar) or imp.relative:
            continue
        if not (dotted(imp.module) or "").startswith("framework"):
            continue
        keep = [a for a in imp.names if (a.asname.name.value if a.asname else dotted(a.name)) not in unused]
        if len(keep) == len(imp.names):
            continue
        if not keep:
            plan.drop(stmt)
        else:
            new_names = layout(keep, imp.names, None)
            plan.set(imp, imp.with_changes(names=new_names))


def _leftovers(legacy: Legacy, plan: Plan) -> None:
    message = (
        "the legacy pipeline API is still used here and the codemod could not rewrite it; "
        "rewrite it as a function-API pipeline (from framework.pipelines.new import pipeline)"
    )
    for key in (LEGACY_PIPELINE, BASE_PIPELINE):
        for local in legacy.imports.locals_of(key):
            for ref in legacy.references(local):
                stmt = legacy.statement_of(ref)
                if not _has_todo(legacy, stmt):
                    plan.todo(stmt, message)


def _has_todo(legacy: Legacy, stmt: cst.CSTNode) -> bool:
    node = stmt
    while node is not None:
        for line in getattr(node, "leading_lines", ()):
            if line.comment is not None and line.comment.value.startswith(TODO_PREFIX):
                return True
        node = legacy.parent(node)
    return False
