"""The migration of one file or of a project's files together: analyse, decide, plan edits, apply, clean up.

A lone file is a project of one module: the same steps, with nothing to resolve across
modules. For a project, every module is read first (``project``) - which names cross
between modules, which pipelines each module imports - so that a pipeline defined in one
module and instantiated in another converts as one: its new definition, the imports it
needs and the runs that call it are planned together, then each module gets its edits.
"""

from __future__ import annotations

import ast

import libcst as cst

from framework.migrate import imports as import_edits
from framework.migrate.analysis import analyse
from framework.migrate.client_refs import rewrite_step_lookups
from framework.migrate.decisions import converted_calls, decide, pipeline_states
from framework.migrate.edits import edit_flats, edit_pipeline
from framework.migrate.framework_names import Imports
from framework.migrate.import_tools import finish_imports
from framework.migrate.nodes import names_in
from framework.migrate.project import Project, Unit
from framework.migrate.report import MigrationResult, scan_todos
from framework.migrate.surface import rewrite_surface
from framework.migrate.transform import Plan, apply


def migrate_module(module: cst.Module, source: str, filename: str) -> MigrationResult:
    """Migrate one parsed module on its own (``filename`` is used to find config files)."""
    return migrate_units([Unit(filename=filename, source=source, module=module)])[0]


def migrate_units(units: list[Unit]) -> list[MigrationResult]:
    """Migrate modules together; one result per unit, in order."""
    project = Project(units)
    active = [u for u in units if _relevant(u, project)]
    for unit in active:
        unit.loads = _loads(unit.source)
        unit.module = rewrite_surface(unit.module, project.legacy_pipeline_names(unit))
        unit.legacy = analyse(unit.module)
        unit.legacy.filename = unit.filename
    for unit in active:
        _link(unit, project)
    states = pipeline_states(active, project)
    flats, decorators = decide(states, active, project)
    converted = [s for s in states if not s.blockers]
    plan = Plan()
    calls = converted_calls(converted)
    imported = _importers_check(project)
    for state in states:
        for node, message in state.blockers:
            legacy = project.legacy_of(node)
            plan.todo(legacy.statement_of(node), message)
        if not state.blockers:
            for node, message in state.uses.notes:
                plan.todo(project.legacy_of(node).statement_of(node), message)
            edit_pipeline(plan, state, calls, imported)
    slot_ids = _slot_ids(converted)
    for unit in active:
        edit_flats(unit.legacy, plan, flats)
        rewrite_step_lookups(unit.legacy, plan, slot_ids)
        decorator, add_import = decorators[id(unit)]
        if add_import and any(s.home is unit for s in converted):
            import_edits.add_new_import(unit.legacy, plan, decorator)
    return [_result(u, plan, flats, converted, project) if u in active else _unchanged(u) for u in units]


def _relevant(unit: Unit, project: Project) -> bool:
    """Cheap pre-check: a module that imports nothing from framework nor a project pipeline has nothing to do."""
    qualified = Imports(unit.module).aliases.values()
    return any(q == "framework" or q.startswith("framework.") for q in qualified) or bool(
        project.legacy_pipeline_names(unit)
    )


def _loads(source: str) -> frozenset[str]:
    nodes = ast.walk(ast.parse(source))
    return frozenset(n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def _link(unit: Unit, project: Project) -> None:
    """The steps and legacy pipelines ``unit`` imports from the project's other modules, by local name."""
    for local, source, name in project.imported_definitions(unit):
        if source.legacy is None:
            continue
        if name in source.legacy.steps:
            unit.legacy.imported_steps[local] = source.legacy.steps[name]
        if name in source.legacy.pipelines:
            unit.legacy.imported_pipelines[local] = source.legacy.pipelines[name]


def _importers_check(project: Project):
    def imported(legacy, name: str) -> bool:
        unit = project.unit_of(legacy)
        if unit.name is None:
            return name not in unit.loads  # alone: only a name this file never read may be there for others
        return bool(project.importers(unit, name))

    return imported


def _slot_ids(converted) -> dict[str, set[str]]:
    """Every slot name of a migrated pipeline -> the invocation ids it became ("?" if unknown)."""
    slot_ids: dict[str, set[str]] = {}
    for state in converted:
        for group in state.plan.groups:
            for slot, sp in group.slots.items():
                slot_ids.setdefault(slot, set()).add(sp.invocation_id or "?")
    return slot_ids


def _unchanged(unit: Unit) -> MigrationResult:
    return MigrationResult(code=unit.source, todos=scan_todos(unit.source), changed=False)


def _result(unit: Unit, plan: Plan, flats, converted, project: Project) -> MigrationResult:
    legacy = unit.legacy
    module = apply(legacy.module, plan)
    homes = [s for s in converted if s.home is unit]
    lines = [line for s in homes for line in s.imports]
    foreign = _foreign(unit, converted)
    if lines or foreign:
        module = finish_imports(module, [(s.home.name, f) for s, f in foreign], set(), lines=lines)
    gone = _gone_names(unit, converted)
    if gone:
        module = finish_imports(module, [], gone)
    code = module.code
    mine = [f for f in flats.values() if legacy.steps.get(f.step.name) is f.step]
    prune = {"BaseParameters"} if mine else set()
    if homes:
        prune.update({"BasePipeline", "pipeline", "BaseStep"})
    if mine or homes:
        targets: dict[str, str] = {}
        for flat in mine:
            targets.setdefault(flat.pclass.name, flat.step.name)
        code = import_edits.cleanup(code, targets, prune)
    return MigrationResult(code=code, todos=scan_todos(code), changed=code != unit.source)


def _foreign(unit: Unit, converted) -> list[tuple]:
    """(state, function name) of every `<name>_2` function this module now calls from another module."""
    found = []
    for state in converted:
        if state.home is unit:
            continue
        for group in state.plan.groups:
            for inst in group.instantiations:
                if inst.legacy is unit.legacy and group.index > 1 and (state, group.func_name) not in found:
                    found.append((state, group.func_name))
    return found


def _gone_names(unit: Unit, converted) -> set[str]:
    """Names the rewritten instantiations of another module's pipeline used (their imports may now go)."""
    names: set[str] = set()
    for state in converted:
        if state.home is unit:
            continue
        for inst in state.uses.instantiations:
            if inst.legacy is unit.legacy:
                names |= names_in(inst.wiring or inst.call) | (names_in(inst.factory) if inst.factory else set())
    return names
