"""Where a legacy pipeline body refers to its slots: ``step_1``, and ``kwargs["trainer"]`` under ``**kwargs``.

A pipeline function (or ``connect``) names its slots as arguments; a
``BasePipeline`` subclass may instead take ``connect(self, **kwargs)`` and read
each step as ``kwargs["trainer"]`` - directly, or through a local alias
(``trainer = kwargs["trainer"]``, a statement the migration drops: the step is
then called by its own name). Either way the body migration needs the same
thing: each expression that stands for a slot, and which slot it stands for.
A test ``"slot" in kwargs`` is decided per instantiation (``optional_slots``). Any
other use of ``kwargs`` (iterating it, a computed key) depends on the instantiation at
run time and cannot be rewritten.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, LegacyPipeline
from framework.migrate.nodes import string_value
from framework.migrate.optional_slots import membership_key
from framework.migrate.wiring import Unsupported


def slot_references(
    legacy: Legacy, pipe: LegacyPipeline, aliases: dict[str, str] | None = None
) -> tuple[list[tuple[str, cst.BaseExpression]], list[cst.CSTNode]]:
    """(slot, expression) for every use of a slot in the body, in source order; and alias statements to drop.

    ``aliases`` (if given) receives each local name bound to ``kwargs["slot"]`` -> its slot.
    """
    func = pipe.func
    scope = legacy.scope(func.body.body[0])
    params = [p.name.value for p in func.params.params]
    names = params + ([pipe.kwargs] if pipe.kwargs else [])
    refs: list[tuple[str, cst.BaseExpression]] = []
    for name in names:
        assignments = list(scope.assignments[name])
        if len(assignments) != 1:
            raise Unsupported(pipe.node, f"pipeline `{pipe.name}` reassigns `{name}` in its body")
        refs.extend((name, a.node) for a in assignments[0].references)
    dropped: list[cst.CSTNode] = []
    if pipe.kwargs:
        found = _keyed(legacy, pipe, scope, refs, dropped, {} if aliases is None else aliases)
        refs = [r for r in refs if r[0] != pipe.kwargs] + found
    refs.sort(key=lambda item: legacy.pos(item[1]))
    return refs, dropped


def _keyed(legacy, pipe, scope, refs, dropped, aliases) -> list[tuple[str, cst.BaseExpression]]:
    found = []
    for name, ref in refs:
        if name != pipe.kwargs or membership_key(legacy, ref) is not None:
            continue
        sub = legacy.parent(ref)
        key = _key(sub) if isinstance(sub, cst.Subscript) and sub.value is ref else None
        if key is None or key not in pipe.slots:
            raise Unsupported(
                legacy.statement_of(ref),
                f"`{pipe.name}.connect` uses `{pipe.kwargs}` other than `{pipe.kwargs}[\"<slot>\"]`, so which step "
                "runs where depends on the instantiation: write a function-API pipeline that calls the steps directly",
            )
        alias = _alias(legacy, sub)
        if alias is None:
            found.append((key, sub))
            continue
        assignments = list(scope.assignments[alias.value])
        if len(assignments) != 1:
            raise Unsupported(pipe.node, f"pipeline `{pipe.name}` reassigns `{alias.value}` in its body")
        dropped.append(legacy.statement_of(sub))
        aliases[alias.value] = key
        found.extend((key, a.node) for a in assignments[0].references)
    return found


def _key(sub: cst.Subscript) -> str | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    return string_value(sub.slice[0].slice.value)


def _alias(legacy: Legacy, sub: cst.Subscript) -> cst.Name | None:
    """``trainer`` in the statement ``trainer = kwargs["trainer"]``."""
    assign = legacy.parent(sub)
    if not (isinstance(assign, cst.Assign) and assign.value is sub and len(assign.targets) == 1):
        return None
    target = assign.targets[0].target
    statement = legacy.statement_of(sub)
    if not isinstance(target, cst.Name) or len(statement.body) != 1:
        return None
    return target
