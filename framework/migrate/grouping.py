"""Grouping instantiations into function-API pipelines, and deciding where each value goes.

Several instantiations of one legacy pipeline are grouped by their *wiring* (which
step, with which options, fills each called slot). Each group becomes one
function-API pipeline: the first keeps the legacy name, further ones are named
``<name>_2``, … and declared with ``@pipeline(name="<name>")`` so their runs stay
in the same pipeline (as versions), as they were.

Inside a group, a parameter value that is the same literal in every instantiation
is written into the step call; one that differs, or is not a literal (a loop
variable, a CLI argument), becomes an argument of the pipeline function - default
from the first instantiation when that is a literal - and each run passes its own
value. A parameter not given anywhere is left to the step's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import GlobalScope

from framework.migrate.analysis import Legacy, LegacyPipeline
from framework.migrate.config_ids import keeps_slot_id, step_keys
from framework.migrate.nodes import code, dotted, is_constant, kwarg, names_in, parse_expr
from framework.migrate.optional_slots import tested_keys
from framework.migrate.params import Flat, decompose
from framework.migrate.pipeline_options import key as options_key
from framework.migrate.wiring import Instantiation, PipelineUses, StepUse, Unsupported

if TYPE_CHECKING:
    from framework.migrate.pipelines import Body


@dataclass
class Hoisted:
    name: str
    annotation: cst.BaseExpression | None
    default: cst.BaseExpression | None
    values: list[cst.BaseExpression]  # per instantiation of the group: what its runs pass


@dataclass
class SlotPlan:
    use: StepUse
    obj: cst.BaseExpression | None = None  # parameters object passed positionally
    kwargs: list[cst.Arg] = field(default_factory=list)
    invocation_id: str | None = None
    explicit_id: bool = False  # pass `id=invocation_id` (a run config keys this step by its slot name)
    after: list[str] = field(default_factory=list)


@dataclass
class Group:
    func_name: str
    index: int
    instantiations: list[Instantiation]
    slots: dict[str, SlotPlan]
    hoisted: list[Hoisted]

    def run_args(self, inst: Instantiation) -> list[cst.Arg]:
        i = self.instantiations.index(inst)
        return [kwarg(h.name, h.values[i].deep_clone()) for h in self.hoisted]


@dataclass
class PipelinePlan:
    pipe: LegacyPipeline
    uses: PipelineUses
    body: Body
    groups: list[Group]

    def group_of(self, inst: Instantiation) -> Group:
        return next(g for g in self.groups if inst in g.instantiations)


def plan(legacy: Legacy, uses: PipelineUses, body: "Body", flats: dict[int, Flat], taken: set[str]) -> PipelinePlan:
    """``legacy``: the module defining the pipeline; ``flats``: flattened steps by ``id(step)``."""
    pipe = uses.pipeline
    tested = tested_keys(pipe.func, pipe.kwargs) if pipe.kwargs else set()
    by_key: dict[tuple, list[Instantiation]] = {}
    for inst in uses.instantiations:
        present = tuple(sorted(tested & inst.given))  # decides `if "<slot>" in kwargs:` (optional_slots)
        key = (*(inst.slots[s].key if s in inst.slots else "-" for s in body.order), options_key(inst.configures),
               present)
        by_key.setdefault(key, []).append(inst)
    groups = []
    for index, insts in enumerate(by_key.values(), start=1):
        func_name = pipe.name if index == 1 else _fresh(f"{pipe.name}_{index}", taken)
        taken.add(func_name)
        groups.append(_group(legacy, pipe, body, flats, func_name, index, insts))
    return PipelinePlan(pipe=pipe, uses=uses, body=body, groups=groups)


def _fresh(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _group(legacy, pipe, body, flats, func_name, index, insts) -> Group:
    group = Group(func_name=func_name, index=index, instantiations=insts, slots={}, hoisted=[])
    reserved = names_in(pipe.func.body) | set(pipe.slots)
    first = insts[0]
    counts: dict[str, int] = {}
    keys = step_keys([(run.call, inst.legacy.filename) for inst in insts for run in inst.runs])
    order = [slot for slot in body.order if slot in first.slots]  # a slot not given is folded away
    for slot in order:
        use = first.slots[slot]
        sp = SlotPlan(use=use)
        step_name = use.step_name
        if step_name is not None:
            n = counts.get(step_name, 0) + 1
            counts[step_name] = n
            sp.invocation_id = step_name if n == 1 else f"{step_name}_{n}"
        if keeps_slot_id(slot, sp.invocation_id, keys):
            sp.invocation_id, sp.explicit_id = slot, True
        root = (dotted(use.callee) or "").split(".")[0]
        reserved.add(root)
        group.slots[slot] = sp
    ids = [sp.invocation_id for sp in group.slots.values() if sp.invocation_id is not None]
    clash = sorted({i for i in ids if ids.count(i) > 1})
    if clash:
        raise Unsupported(
            pipe.node,
            f"the run config of `{pipe.name}` keys a step by the slot name `{clash[0]}`, which is also the name "
            "of another step; rename that key in the config's `steps:` to the step it configures",
        )
    for slot in order:
        sp = group.slots[slot]
        for other in body.after.get(slot, []):
            if other not in group.slots:
                raise Unsupported(pipe.node, f"`{slot}.after({other})` in `{pipe.name}` names a step not given")
            target = group.slots[other].invocation_id
            if target is None:
                raise Unsupported(
                    pipe.node,
                    f"cannot tell the step name of `{other}` in `{pipe.name}`, so `.after()` cannot name it",
                )
            sp.after.append(target)
        _values(legacy, pipe, group, slot, sp, flats, reserved)
    return group


def _values(legacy, pipe, group: Group, slot: str, sp: SlotPlan, flats: dict[int, Flat], reserved: set[str]) -> None:
    insts = group.instantiations
    uses = [inst.slots[slot] for inst in insts]
    step = sp.use.step
    flat = flats.get(id(step)) if step is not None and not sp.use.opaque else None
    if flat is not None:
        per_inst = []
        for use in uses:
            values = decompose(use.params_obj, flat.pclass)
            if values is None:  # flatten decisions only accept decomposable objects
                raise Unsupported(insts[0].statement, f"cannot read the parameters given to `{code(use.callee)}`")
            per_inst.append({**values, **use.parameters})
        for f in flat.pclass.fields:
            given = [v.get(f.name) for v in per_inst]
            decision = _decide(given, lambda name: False)
            if decision == "omit":
                continue
            if decision == "inline":
                sp.kwargs.append(kwarg(f.name, given[0].deep_clone()))
                continue
            name = _name(f.name, sp, reserved)
            defaults = [g if g is not None else f.default for g in given]
            if any(d is None for d in defaults):
                raise Unsupported(
                    insts[0].statement,
                    f"required parameter `{f.name}` of `{code(sp.use.callee)}` is not given by every instantiation",
                )
            default = defaults[0] if is_constant(defaults[0]) else None
            group.hoisted.append(Hoisted(name, f.annotation, default, defaults))
            sp.kwargs.append(kwarg(f.name, cst.Name(name)))
        return
    if any(use.parameters for use in uses):
        raise Unsupported(
            insts[0].statement,
            f"`{code(sp.use.callee)}.configure(parameters=...)` on a step whose parameters stay an object; "
            "pass a parameters object instead",
        )
    if sp.use.opaque:
        return
    objs = [use.params_obj for use in uses]
    pclass_name = None
    if step is not None and step.params_arg is not None:
        param = step.arg(step.params_arg)
        pclass_name = dotted(param.annotation.annotation) if param.annotation is not None else None
    if pclass_name is None:
        calls = {dotted(o.func) for o in objs if isinstance(o, cst.Call)}
        pclass_name = calls.pop() if len(calls) == 1 else None
    call_ok = lambda name: name == pclass_name or name in legacy.params  # noqa: E731
    decision = _decide(objs, call_ok)
    if decision == "omit":
        return
    if decision == "inline":
        sp.obj = objs[0].deep_clone()
        return
    if any(o is None for o in objs) and pclass_name is None:
        raise Unsupported(insts[0].statement, f"cannot tell the parameters class of `{code(sp.use.callee)}`")
    values = [o if o is not None else parse_expr(f"{pclass_name}()") for o in objs]
    name = _name("params", sp, reserved, prefix_always=True)
    default = values[0] if is_constant(values[0], call_ok) else None
    annotation = parse_expr(pclass_name) if pclass_name else None
    group.hoisted.append(Hoisted(name, annotation, default, values))
    sp.obj = cst.Name(name)


def _decide(given: list[cst.BaseExpression | None], call_ok) -> str:
    present = [g for g in given if g is not None]
    if not present:
        return "omit"
    if len(present) == len(given) and all(is_constant(g, call_ok) for g in given):
        if len({code(g) for g in given}) == 1:
            return "inline"
    return "hoist"


def _name(base: str, sp: SlotPlan, reserved: set[str], prefix_always: bool = False) -> str:
    prefix = (sp.invocation_id or code(sp.use.callee).replace(".", "_")).replace("-", "_")
    candidate = f"{prefix}_{base}" if prefix_always else base
    if candidate in reserved or not candidate.isidentifier():
        candidate = f"{prefix}_{base}"
    n = 1
    while candidate in reserved:
        n += 1
        candidate = f"{prefix}_{base}_{n}"
    reserved.add(candidate)
    return candidate


def run_scope_problem(legacy: Legacy, group: Group, inst: Instantiation, run_call: cst.Call) -> str | None:
    """Why a run cannot pass the hoisted values of its instantiation (None: it can)."""
    names = set()
    for h in group.hoisted:
        value = h.values[group.instantiations.index(inst)]
        if not is_constant(value, lambda n: True):
            names |= names_in(value)
    if not names:
        return None
    if inst.target is None:
        return None  # `first_pipeline(...).run()`: values are read when the run starts either way
    inst_scope, run_scope = legacy.scope(inst.call), legacy.scope(run_call)
    for name in sorted(names):
        if run_scope is not inst_scope:
            if not isinstance(inst_scope, GlobalScope) or run_scope.assignments[name]:
                return f"`{name}` (given at instantiation) is not visible where the pipeline is run"
        elif len(inst_scope.assignments[name]) > 1:
            return f"`{name}` is reassigned, so the value given at instantiation may differ when the pipeline runs"
    return None
