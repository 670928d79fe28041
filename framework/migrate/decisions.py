"""What converts: each legacy pipeline with its uses in every migrated module, and which steps flatten.

A pipeline converts when its definition, every instantiation and every run can be
rewritten. Everything is planned first (a dry run that builds the new definitions and
run calls) and edited only once every plan holds: a plan that fails keeps its pipeline
legacy with a TODO, which can change which steps flatten (a step is flattened only when
every use of it is rewritten), so the decision is repeated until nothing fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate import carry
from framework.migrate import imports as import_edits
from framework.migrate import runs as run_edits
from framework.migrate.analysis import Legacy, LegacyPipeline
from framework.migrate.bindings import assignment_of
from framework.migrate.grouping import Group, PipelinePlan, run_scope_problem
from framework.migrate.grouping import plan as plan_pipeline
from framework.migrate.hook_params import asks_for_whole_object, hook_values, step_hooks
from framework.migrate.nodes import code
from framework.migrate.params import Flat, body_reason, decompose, entrypoint_call, entrypoint_values
from framework.migrate.pipelines import Body, new_definition, read_body
from framework.migrate.wiring import Instantiation, PipelineUses, Unsupported, collect, never_instantiated


@dataclass
class State:
    pipe: LegacyPipeline
    home: object  # the `project.Unit` that defines the pipeline
    uses: PipelineUses  # its instantiations, in its own module and in the modules that import it
    body: Body | None
    blockers: list[tuple[cst.CSTNode, str]]
    plan: PipelinePlan | None = None
    definitions: list[cst.FunctionDef] = field(default_factory=list)
    runs: dict[int, tuple[cst.Call, list[str]]] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)  # import lines the home module needs (``carry``)
    callees: dict[int, str] = field(default_factory=dict)  # id(instantiation) -> what its module calls


def pipeline_states(units: list, project) -> list[State]:
    states = []
    for home in units:
        legacy = home.legacy
        for pipe in legacy.pipelines.values():
            uses = collect(legacy, pipe)
            for other, local in project.importers(home, pipe.name):
                if other.legacy is not None:
                    uses.merge(collect(other.legacy, pipe, local))
            blockers = list(pipe.reasons) + list(uses.blockers)
            if not uses.instantiations and not blockers:
                blockers.append(never_instantiated(pipe, "in this file" if len(units) == 1 else "in these files"))
            body = None
            if not blockers:
                try:
                    body = read_body(legacy, pipe)
                except Unsupported as exc:
                    blockers.append((exc.node, exc.message))
            states.append(State(pipe=pipe, home=home, uses=uses, body=body, blockers=blockers))
    return states


def decide(states: list[State], units: list, project) -> tuple[dict[int, Flat], dict[int, tuple[str, bool]]]:
    """Flattened steps (by ``id(step)``) and, per module, the new decorator's name and whether to import it."""
    while True:
        converted = [s for s in states if not s.blockers]
        flats: dict[int, Flat] = {}
        decorators = {}
        taken = {}
        for unit in units:
            flats.update(_flats(unit.legacy, converted))
            names = {s.pipe.name for s in converted if s.home is unit}
            decorators[id(unit)] = import_edits.decorator_name(unit.legacy, names)
            taken[id(unit)] = _globals(unit.legacy)
        failed = False
        for state in converted:
            try:
                _dry_run(state, flats, decorators[id(state.home)][0], taken[id(state.home)], project)
            except Unsupported as exc:
                state.blockers.append((exc.node, exc.message))
                failed = True
        if not failed:
            return flats, decorators


def _globals(legacy: Legacy) -> set[str]:
    scope = legacy.global_scope()
    return {a.name for a in scope.assignments} if scope is not None else set()


def _dry_run(state: State, flats, decorator: str, taken: set[str], project) -> None:
    legacy = state.home.legacy
    for inst in state.uses.instantiations:
        if inst.legacy is not legacy:
            taken |= _globals(inst.legacy)  # a `<name>_2` is imported there too
    pplan = plan_pipeline(legacy, state.uses, state.body, flats, taken)
    state.plan = pplan
    state.definitions = [new_definition(legacy, pplan, group, decorator) for group in pplan.groups]
    state.imports = carry.imports_for(project, state.home, pplan.groups)
    state.runs, state.callees = {}, {}
    for group in pplan.groups:
        slot_ids = {slot: sp.invocation_id for slot, sp in group.slots.items() if sp.invocation_id}
        for inst in group.instantiations:
            callee = callee_of(legacy, group, inst)
            state.callees[id(inst)] = callee
            for run in inst.runs:
                problem = run_scope_problem(inst.legacy, group, inst, run.call)
                if problem:
                    raise Unsupported(inst.legacy.statement_of(run.call), problem)
                runner = inst.target.value if inst.kept else callee
                state.runs[id(run.call)] = run_edits.rewrite(run.call, runner, group.run_args(inst), slot_ids)


def callee_of(home: Legacy, group: Group, inst: Instantiation) -> str:
    """How the instantiation's module calls the function pipeline of ``group``."""
    if inst.legacy is home or group.index > 1:
        return group.func_name  # another module imports a `<name>_2` under that name
    return code((inst.wiring or inst.call).func)  # the name it imported the pipeline under


# ---------------------------------------------------------------------- flattening
def _consumed(legacy: Legacy, converted: list[State]) -> dict[int, tuple]:
    """Step references in this module that migrating these pipelines rewrites away -> (use, state, instantiation)."""
    calls = converted_calls(converted)
    found: dict[int, tuple] = {}
    for state in converted:
        for inst in state.uses.instantiations:
            if inst.legacy is not legacy:
                continue
            for use in inst.slots.values():
                if use.folded and not all(var_removable(legacy, v, calls) for v in use.folded):
                    continue
                for ref in use.references:
                    found[id(ref)] = (use, state, inst)
    return found


def converted_calls(states: list[State]) -> set[int]:
    return {id(inst.wiring or inst.call) for state in states for inst in state.uses.instantiations}


def var_removable(legacy: Legacy, var: cst.Name, calls: set[int]) -> bool:
    """Whether every use of a step instance variable is a slot argument of an instantiation that goes."""
    for access in assignment_of(legacy, var).references:
        arg = legacy.parent(access.node)
        call = legacy.parent(arg)
        if not (isinstance(call, cst.Call) and id(call) in calls):
            return False
    return True


def _flats(legacy: Legacy, converted: list[State]) -> dict[int, Flat]:
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
        if not (any(id(r) in consumed for r in refs) and all(_understood(legacy, r, flat, consumed) for r in refs)):
            continue
        hooks = step_hooks(step)
        for use, state, inst in (consumed[id(r)] for r in refs if id(r) in consumed):
            hooks += hook_values(use.options.values()) + hook_values(state.pipe.decorator_args)
            hooks += [v for call in inst.configures for v in hook_values(call.args)]
        if not asks_for_whole_object(legacy, hooks):
            flats[id(step)] = flat
    return flats


def _understood(legacy: Legacy, ref: cst.Name, flat: Flat, consumed: dict[int, tuple]) -> bool:
    found = consumed.get(id(ref))
    if found is not None:
        use = found[0]
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
