"""Which binding a name reads: the assignment, def, class or import that is in effect where it is used.

libcst's scope analysis is not flow-sensitive: every use of a module-level name
refers to *all* of its bindings. Legacy scripts rebind names a lot -
``pipeline = my_pipeline(...)`` shadows the imported ``pipeline`` decorator,
``my_pipeline = my_pipeline(...)`` shadows the pipeline itself - so the planners
need the one binding in effect at each use: the latest one in the same scope
that took effect before it (an assignment takes effect once its right-hand side
is evaluated, so ``x = x(...)`` reads the earlier ``x``).
"""

from __future__ import annotations

import libcst as cst


def assignment_of(legacy, target: cst.Name):
    """The scope assignment made by ``target`` (a Name bound by an assignment)."""
    scope = legacy.scope(target)
    for assignment in scope.assignments[target.value]:
        if getattr(assignment, "node", None) is target:
            return assignment
    raise KeyError(target.value)


def _effective(legacy, node: cst.CSTNode) -> tuple[int, int]:
    """Where a binding takes effect: after the assignment for targets, at the node otherwise."""
    parent = legacy.parent(node)
    if isinstance(parent, cst.AssignTarget):
        parent = legacy.parent(parent)
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr)) and parent is not node:
        end = legacy.positions[parent].end
        return (end.line, end.column)
    return legacy.pos(node)


def binding_of(legacy, ref: cst.Name) -> cst.CSTNode | None:
    """The node that bound the name ``ref`` reads (a Name target, a def/class, an import), or None.

    None when it cannot be told: no binding, or several bindings and the use is in
    another scope than all of them (a function reading a rebound global).
    """
    scope = legacy.scope(ref)
    if scope is None:
        return None
    access = next((a for a in scope.accesses[ref.value] if a.node is ref), None)
    if access is None:
        return None
    targets = [getattr(a, "node", None) for a in access.referents]
    if not targets or any(t is None for t in targets):
        return None
    if len(targets) == 1:
        return targets[0]
    if all(legacy.scope(t) is scope for t in targets):
        here = legacy.pos(ref)
        before = [t for t in targets if _effective(legacy, t) <= here]
        return max(before, key=lambda t: _effective(legacy, t)) if before else None
    return None


def name_binding(legacy, ref: cst.Name) -> cst.Name | None:
    """Like ``binding_of``, but only an assignment target (a Name) counts."""
    found = binding_of(legacy, ref)
    return found if isinstance(found, cst.Name) else None
