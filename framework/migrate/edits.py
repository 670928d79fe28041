"""The edits of a converted pipeline: its new definition, its instantiations and runs, flattened steps.

A pipeline's definition is edited in the module that defines it, its instantiations and
runs where they are (possibly another module): every edit is recorded against the node
it replaces, so one ``Plan`` serves all the modules migrated together.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate import runs as run_edits
from framework.migrate.bindings import assignment_of
from framework.migrate.decisions import State, var_removable
from framework.migrate.nodes import comments_in, parse_expr
from framework.migrate.params import Flat, entrypoint_call, flatten_def, rewrite_entrypoint
from framework.migrate.transform import Plan
from framework.migrate.wiring import Instantiation


def edit_pipeline(plan: Plan, state: State, calls: set[int], imported) -> None:
    """``calls``: the instantiation calls that go; ``imported(unit, name)``: whether another module imports it."""
    definitions = state.definitions
    plan.split(state.pipe.node, lambda _updated: list(definitions))
    for group in state.plan.groups:
        for inst in group.instantiations:
            legacy = inst.legacy
            for run in inst.runs:
                call, notes = state.runs[id(run.call)]
                plan.set(run.call, call)
                for note in notes:
                    plan.todo(legacy.statement_of(run.call), note)
            _edit_instantiation(plan, group, inst, state.callees[id(inst)], imported)
            for configure in inst.configures:  # now in the decorator
                _drop(plan, legacy.statement_of(configure))
            for use in inst.slots.values():
                for var in use.folded:
                    statement = legacy.statement_of(var)
                    if id(statement) not in plan.remove and var_removable(legacy, var, calls):
                        _drop(plan, statement)
            if inst.factory is not None and id(inst.factory) not in plan.remove:
                _drop(plan, inst.factory)


def _drop(plan: Plan, statement: cst.CSTNode) -> None:
    plan.drop(statement, comments_in(statement.with_changes(leading_lines=())))


def _edit_instantiation(plan: Plan, group, inst: Instantiation, callee: str, imported) -> None:
    legacy = inst.legacy
    moved = set()
    if inst is group.instantiations[0]:
        for use in inst.slots.values():
            moved.update(use.comments)
            moved.update(use.leading)
    statement = inst.statement
    carry = [c for c in comments_in(inst.call) if c not in moved]
    if inst.kept:  # the instance stays, as a copy of the function pipeline
        plan.set(inst.call, parse_expr(f"{callee}.with_options()"))
        plan.comment(statement, carry)
        return
    if inst.runs and inst.target is None:
        plan.comment(statement, carry)
        return
    if inst.target is not None and not inst.runs and _maybe_imported(legacy, inst.target, imported):
        plan.set(inst.call, cst.Name(callee))
        plan.todo(statement, run_edits.alias_note(inst.target.value, callee, group.run_args(inst)))
        plan.comment(statement, carry)
        return
    small = [s for s in statement.body] if isinstance(statement, cst.SimpleStatementLine) else []
    if len(small) > 1:
        target = legacy.parent(inst.call)
        plan.set(statement, lambda updated: updated.with_changes(
            body=[new for old, new in zip(statement.body, updated.body) if old is not target]
        ))
        plan.comment(statement, carry)
        return
    plan.drop(statement, carry)


def _maybe_imported(legacy, target: cst.Name, imported) -> bool:
    """A module-level instance bound once, unused here, that another module may import.

    An instance the original code used (only for reads that are now ``Client`` reads, say)
    was made for this module; one it never used may exist for others to import - unless
    the modules migrated with it show that none does.
    """
    scope = legacy.scope(target)
    return (
        scope is legacy.global_scope()
        and len(scope.assignments[target.value]) == 1
        and not assignment_of(legacy, target).references
        and imported(legacy, target.value)
    )


def edit_flats(legacy, plan: Plan, flats: dict[int, Flat]) -> None:
    for flat in flats.values():
        step = flat.step
        if step.name not in legacy.steps or legacy.steps[step.name] is not step:
            continue
        _, above = flatten_def(step.func, flat)
        plan.set(step.func, lambda updated, flat=flat: flatten_def(updated, flat)[0])
        plan.comment(step.func, above)
        for ref in legacy.references(step.name, step.node):
            call = entrypoint_call(legacy, ref, step)
            if call is not None:
                plan.set(call, lambda updated, flat=flat: rewrite_entrypoint(updated, flat))
