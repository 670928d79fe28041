"""Reading runs back by slot name: ``run.steps["step_2"]`` -> ``run.steps["svc_trainer"]``.

Legacy runs answer to their slot names; runs of a function-API pipeline have no
slots. A string subscript of ``.steps`` that names a slot of a migrated pipeline is
rewritten to that slot's step (invocation) name, which both old and new runs
answer to. A slot name that maps to different steps (several pipelines or wirings)
gets a TODO instead.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy
from framework.migrate.nodes import string_value
from framework.migrate.transform import Plan


def rewrite_step_lookups(legacy: Legacy, plan: Plan, slot_ids: dict[str, set[str]]) -> None:
    """``slot_ids``: every migrated slot name -> the invocation ids it became."""
    if not slot_ids:
        return
    found: list[cst.Subscript] = []

    class _Find(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> None:
            if (
                isinstance(node.value, cst.Attribute)
                and node.value.attr.value == "steps"
                and len(node.slice) == 1
                and isinstance(node.slice[0].slice, cst.Index)
                and isinstance(node.slice[0].slice.value, cst.SimpleString)
            ):
                found.append(node)

    legacy.module.visit(_Find())
    for node in found:
        literal = node.slice[0].slice.value
        slot = string_value(literal)
        ids = slot_ids.get(slot)
        if not ids or slot in ids:
            continue
        if len(ids) > 1:
            plan.todo(
                legacy.statement_of(node),
                f"runs of migrated pipelines have no slot `{slot}`; look the step up by its name "
                f"({' or '.join(sorted(ids))})",
            )
            continue
        (new,) = ids
        quote = literal.quote
        prefix = literal.prefix
        plan.set(literal, cst.SimpleString(f"{prefix}{quote}{new}{quote}"))
