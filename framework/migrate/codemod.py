"""The migration of one source text: analyse, decide, plan edits, apply, clean up, report."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate import imports as import_edits
from framework.migrate import runs as run_edits
from framework.migrate.analysis import Legacy, LegacyPipeline, analyse
from framework.migrate.client_refs import rewrite_step_lookups
from framework.migrate.framework_names import Imports
from framework.migrate.nodes import comments_in
from framework.migrate.params import (
    Flat,
    body_reason,
    decompose,
    entrypoint_call,
    entrypoint_values,
    flatten_def,
    rewrite_entrypoint,
)
from framework.migrate.grouping import PipelinePlan, plan as plan_pipeline, run_scope_problem
from framework.migrate.pipelines import Body, new_definition, read_body
from framework.migrate.report import MigrationResult, scan_todos
from framework.migrate.surface import rewrite_surface
from framework.migrate.transform import Plan, apply
from framework.migrate.bindings import assignment_of
from framework.migrate.wiring import Instantiation, PipelineUses, StepUse, Unsupported, collect


@dataclass
class _State:
    pipe: LegacyPipeline
    uses: PipelineUses
    body: Body | None
    blockers: list[tuple[cst.CSTNode, str]]
    plan: PipelinePlan | None = None
    definitions: list[cst.FunctionDef] = field(default_factory=list)
    runs: dict[int, tuple[cst.Call, list[str]]] = field(default_factory=dict)


def migrate_module(module: cst.Module, source: str, filename: str) -> MigrationResult:
    """Migrate one parsed module (``source`` is its text, ``filename`` is used to find config files)."""
    if not _mentions_framework(module):
        return MigrationResult(code=source, todos=scan_todos(source), changed=False)
    module = rewrite_surface(module)
    legacy = analyse(module)
    states = _pipelines(legacy)
    flats, decorator, add_import = _decide(legacy, states, filename)
    plan = Plan()
    converted = [s for s in states.values() if not s.blockers]
    for state in states.values():
        if state.blockers:
            for node, message in state.blockers:
                plan.todo(legacy.statement_of(node), message)
        else:
            _edit_pipeline(legacy, plan, state, {s.pipe.name for s in converted})
    _edit_flats(legacy, plan, flats)
    rewrite_step_lookups(legacy, plan, _slot_ids(converted))
    if converted and add_import:
        import_edits.add_new_import(legacy, plan, decorator)
    code = apply(legacy.module, plan).code
    prune = set()
    if flats:
        prune.add("BaseParameters")
    if converted:
        prune.update({"BasePipeline", "pipeline"})
    if flats or converted:
        targets: dict[str, str] = {}
        for flat in flats.values():
            targets.setdefault(flat.pclass.name, flat.step.name)
        code = import_edits.cleanup(code, targets, prune)
    return MigrationResult(code=code, todos=scan_todos(code), changed=code != source)


def _slot_ids(converted: list[_State]) -> dict[str, set[str]]:
    """Every slot name of a migrated pipeline -> the invocation ids it became ("?" if unknown)."""
    slot_ids: dict[str, set[str]] = {}
    for state in converted:
        for group in state.plan.groups:
            for slot, sp in group.slots.items():
                slot_ids.setdefault(slot, set()).add(sp.invocation_id or "?")
    return slot_ids


def _mentions_framework(module: cst.Module) -> bool:
    """Cheap pre-check: nothing to migrate in a file that imports nothing from framework."""
    return any(q == "framework" or q.startswith("framework.") for q in Imports(module).aliases.values())


# ---------------------------------------------------------------------- decisions
def _pipelines(legacy: Legacy) -> dict[str, _State]:
    states = {}
    for pipe in legacy.pipelines.values():
        uses = collect(legacy, pipe)
        blockers = list(pipe.reasons) + list(uses.blockers)
        body = None
        if not blockers:
            try:
                body = read_body(legacy, pipe)
            except Unsupported as exc:
                blockers.append((exc.node, exc.message))
        states[pipe.name] = _State(pipe=pipe, uses=uses, body=body, blockers=blockers)
    return states


def _decide(legacy: Legacy, states: dict[str, _State], filename: str):
    """Which pipelines convert and which steps flatten; retried until every plan holds."""
    while True:
        converted = [s for s in states.values() if not s.blockers]
        flats = _flats(legacy, converted)
        decorator, add_import = import_edits.decorator_name(legacy, {s.pipe.name for s in converted})
        taken = {a.name for a in legacy.global_scope().assignments} if legacy.global_scope() else set()
        failed = False
        for state in converted:
            try:
                _dry_run(legacy, state, flats, decorator, taken, filename)
            except Unsupported as exc:
                state.blockers.append((exc.node, exc.message))
                failed = True
        if not failed:
            return flats, decorator, add_import


def _dry_run(legacy, state: _State, flats, decorator: str, taken: set[str], filename: str) -> None:
    pplan = plan_pipeline(legacy, state.uses, state.body, flats, taken, filename)
    state.plan = pplan
    state.definitions = [new_definition(legacy, pplan, group, decorator) for group in pplan.groups]
    state.runs = {}
    for group in pplan.groups:
        slot_ids = {slot: sp.invocation_id for slot, sp in group.slots.items() if sp.invocation_id}
        for inst in group.instantiations:
            for run in inst.runs:
                problem = run_scope_problem(legacy, group, inst, run.call)
                if problem:
                    raise Unsupported(legacy.statement_of(run.call), problem)
                state.runs[id(run.call)] = run_edits.rewrite(run.call, group.func_name, group.run_args(inst), slot_ids)


def _consumed(legacy: Legacy, converted: list[_State]) -> dict[int, StepUse]:
    """Step references that migrating these pipelines rewrites away, mapped to their use."""
    converted_names = {s.pipe.name for s in converted}
    found: dict[int, StepUse] = {}
    for state in converted:
        for inst in state.uses.instantiations:
            for use in inst.slots.values():
                if use.folded and not all(_var_removable(legacy, v, converted_names) for v in use.folded):
                    continue
                for ref in use.references:
                    found[id(ref)] = use
    return found


def _var_removable(legacy: Legacy, var: cst.Name, converted_names: set[str]) -> bool:
    for access in assignment_of(legacy, var).references:
        arg = legacy.parent(access.node)
        call = legacy.parent(arg)
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in converted_names):
            return False
    return True


def _flats(legacy: Legacy, converted: list[_State]) -> dict[str, Flat]:
    consumed = _consumed(legacy, converted)
    flats = {}
    for step in legacy.steps.values():
        if step.params_arg is None or step.params_class not in legacy.params:
            continue
        pclass = legacy.params[step.params_class]
        if body_reason(step, pclass) is not None:
            continue
        flat = Flat(step, pclass)
        refs = legacy.references(step.name, step.node)
        # a step no migrated pipeline here uses may be imported elsewhere with objects: leave it be
        if any(id(r) in consumed for r in refs) and all(_understood(legacy, r, flat, consumed) for r in refs):
            flats[step.name] = flat
    return flats


def _understood(legacy: Legacy, ref: cst.Name, flat: Flat, consumed: dict[int, StepUse]) -> bool:
    use = consumed.get(id(ref))
    if use is not None:
        return (
            decompose(use.params_obj, flat.pclass) is not None
            and all(flat.pclass.field(k) is not None for k in use.parameters)
        )
    call = entrypoint_call(legacy, ref, flat.step)
    if call is None:
        return False
    try:
        entrypoint_values(call, flat)
    except Unsupported:
        return False
    return True


# ---------------------------------------------------------------------- edits
def _edit_pipeline(legacy: Legacy, plan: Plan, state: _State, converted_names: set[str]) -> None:
    pplan = state.plan
    definitions = state.definitions
    plan.split(state.pipe.node, lambda _updated: list(definitions))
    for node, message in state.uses.notes:
        plan.todo(legacy.statement_of(node), message)
    for group in pplan.groups:
        for inst in group.instantiations:
            for run in inst.runs:
                call, notes = state.runs[id(run.call)]
                plan.set(run.call, call)
                for note in notes:
                    plan.todo(legacy.statement_of(run.call), note)
            _edit_instantiation(legacy, plan, group, inst)
            for configure in inst.configures:  # now in the decorator
                statement = legacy.statement_of(configure)
                plan.drop(statement, comments_in(statement.with_changes(leading_lines=())))
            for use in inst.slots.values():
                for var in use.folded:
                    statement = legacy.statement_of(var)
                    if id(statement) not in plan.remove and _var_removable(legacy, var, converted_names):
                        plan.drop(statement, comments_in(statement.with_changes(leading_lines=())))


def _edit_instantiation(legacy: Legacy, plan: Plan, group, inst: Instantiation) -> None:
    moved = set()
    if inst is group.instantiations[0]:
        for use in inst.slots.values():
            moved.update(use.comments)
            moved.update(use.leading)
    statement = inst.statement
    carry = [c for c in comments_in(inst.call) if c not in moved]
    if inst.runs and inst.target is None:
        plan.comment(statement, carry)
        return
    if inst.target is not None and not inst.runs and _maybe_imported(legacy, inst.target):
        plan.set(inst.call, cst.Name(group.func_name))
        plan.todo(statement, run_edits.alias_note(inst.target.value, group.func_name, group.run_args(inst)))
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


def _maybe_imported(legacy: Legacy, target: cst.Name) -> bool:
    """A module-level instance bound once and unused here may be imported by other modules."""
    scope = legacy.scope(target)
    return (
        scope is legacy.global_scope()
        and len(scope.assignments[target.value]) == 1
        and not assignment_of(legacy, target).references
    )


def _edit_flats(legacy: Legacy, plan: Plan, flats: dict[str, Flat]) -> None:
    for flat in flats.values():
        step = flat.step
        _, above = flatten_def(step.func, flat)
        plan.set(step.func, lambda updated, flat=flat: flatten_def(updated, flat)[0])
        plan.comment(step.func, above)
        for ref in legacy.references(step.name, step.node):
            call = entrypoint_call(legacy, ref, step)
            if call is not None:
                plan.set(call, lambda updated, flat=flat: rewrite_entrypoint(updated, flat))
