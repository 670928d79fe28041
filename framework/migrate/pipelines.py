"""Pipeline rewriting: a legacy pipeline plus its instantiations become function-API pipeline(s).

Each slot call in the body (``step_1()``) becomes a call of the step wired into that
slot (``digits_data_loader()``); positional inputs become keywords; parameter values
and step options given at instantiation move into the call; ``step_2.after(step_1)``
becomes ``after="<id>"``.

Several instantiations are grouped by their *wiring* (which step, with which
options, fills each slot). Each group becomes one function-API pipeline; the first
keeps the legacy name, further ones are named ``<name>_2``, … and declared with
``@pipeline(name="<name>")`` so their runs stay in the same pipeline. Inside a
group, a parameter that is the same literal everywhere is written into the call;
one that differs between instantiations, or is not a literal (a loop variable, a
CLI argument), becomes an argument of the pipeline function - default from the
first instantiation when it is a literal - and every run passes its own value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import GlobalScope

from framework.migrate.analysis import Legacy, LegacyPipeline
from framework.migrate.nodes import (
    as_keyword,
    code,
    comment_line,
    dotted,
    is_constant,
    kwarg,
    arrange,
    layout,
    names_in,
    parse_expr,
    set_args,
)
from framework.migrate.params import Flat, decompose
from framework.migrate.wiring import Instantiation, PipelineUses, StepUse, Unsupported


# ---------------------------------------------------------------------- the legacy body
@dataclass
class Body:
    calls: dict[str, cst.Call]  # slot -> its call in the body
    order: list[str]  # slots in call order
    after: dict[str, list[str]]  # slot -> slots it runs after
    after_statements: list[cst.CSTNode]


def read_body(legacy: Legacy, pipe: LegacyPipeline) -> Body:
    func = pipe.func
    body = Body(calls={}, order=[], after={}, after_statements=[])
    if not func.body.body or not isinstance(func.body, cst.IndentedBlock):
        raise Unsupported(pipe.node, f"pipeline `{pipe.name}` has an empty or one-line body")
    scope = legacy.scope(func.body.body[0])
    names = list(pipe.slots) + (["self"] if pipe.kind == "class" else [])
    refs: list[tuple[str, cst.Name]] = []
    for slot in names:
        assignments = list(scope.assignments[slot])
        if len(assignments) != 1:
            raise Unsupported(pipe.node, f"pipeline `{pipe.name}` reassigns `{slot}` in its body")
        refs.extend((slot, a.node) for a in assignments[0].references)
    refs.sort(key=lambda item: legacy.pos(item[1]))
    handled: set[int] = set()
    for slot, ref in refs:  # `step_2.after(step_1)` statements first: they may come anywhere
        parent = legacy.parent(ref)
        call = legacy.parent(parent) if parent is not None else None
        if (
            slot != "self"
            and isinstance(parent, cst.Attribute)
            and parent.value is ref
            and parent.attr.value == "after"
            and isinstance(call, cst.Call)
            and call.func is parent
            and isinstance(legacy.parent(call), cst.Expr)
            and len(legacy.statement_of(call).body) == 1
            and call.args
            and all(
                not a.star and a.keyword is None and isinstance(a.value, cst.Name) and a.value.value in pipe.slots
                for a in call.args
            )
        ):
            body.after.setdefault(slot, []).extend(a.value.value for a in call.args)
            body.after_statements.append(legacy.statement_of(call))
            handled.add(id(ref))
            handled.update(id(a.value) for a in call.args)
    for slot, ref in refs:
        if id(ref) in handled:
            continue
        if slot == "self":
            raise Unsupported(legacy.statement_of(ref), f"`{pipe.name}.connect` uses `self`")
        parent = legacy.parent(ref)
        if isinstance(parent, cst.Call) and parent.func is ref:
            if slot in body.calls:
                raise Unsupported(legacy.statement_of(ref), f"slot `{slot}` of `{pipe.name}` is called twice")
            body.calls[slot] = parent
            body.order.append(slot)
            continue
        raise Unsupported(
            legacy.statement_of(ref),
            f"slot `{slot}` of `{pipe.name}` is used as a value, not just called; "
            "call the step directly in a function-API pipeline",
        )
    for slot, others in body.after.items():
        for other in [slot, *others]:
            if other not in body.calls:
                raise Unsupported(pipe.node, f"`{slot}.after({other})` in `{pipe.name}` names a slot that is never called")
    return body


# ---------------------------------------------------------------------- planning
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


def plan(legacy: Legacy, uses: PipelineUses, body: Body, flats: dict[str, Flat], taken: set[str]) -> PipelinePlan:
    pipe = uses.pipeline
    by_key: dict[tuple, list[Instantiation]] = {}
    for inst in uses.instantiations:
        key = tuple(inst.slots[s].key for s in body.order)
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
    for slot in body.order:
        use = first.slots[slot]
        sp = SlotPlan(use=use)
        step_name = use.step_name
        if step_name is not None:
            n = counts.get(step_name, 0) + 1
            counts[step_name] = n
            sp.invocation_id = step_name if n == 1 else f"{step_name}_{n}"
        root = (dotted(use.callee) or "").split(".")[0]
        reserved.add(root)
        group.slots[slot] = sp
    for slot in body.order:
        sp = group.slots[slot]
        for other in body.after.get(slot, []):
            target = group.slots[other].invocation_id
            if target is None:
                raise Unsupported(
                    pipe.node,
                    f"cannot tell the step name of `{other}` in `{pipe.name}`, so `.after()` cannot name it",
                )
            sp.after.append(target)
        _values(legacy, pipe, group, slot, sp, flats, reserved)
    return group


def _values(legacy, pipe, group: Group, slot: str, sp: SlotPlan, flats: dict[str, Flat], reserved: set[str]) -> None:
    insts = group.instantiations
    uses = [inst.slots[slot] for inst in insts]
    step = sp.use.step
    flat = flats.get(step.name) if step is not None and not sp.use.opaque else None
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


# ---------------------------------------------------------------------- writing the new pipeline
def new_call(original: cst.Call, sp: SlotPlan) -> cst.Call:
    """``step_2(X_train, y_train)`` -> ``svc_trainer.with_options(...)(X_train=X_train, ..., gamma=0.01)``."""
    use = sp.use
    func: cst.BaseExpression = use.callee.deep_clone()
    if use.options:
        opts = [kwarg(k, a.value.deep_clone()) for k, a in use.options.items()]
        func = cst.Call(func=cst.Attribute(value=func, attr=cst.Name("with_options")), args=layout(opts, (), None))
    inputs = use.step.inputs if use.step is not None else None
    args: list[cst.Arg] = [cst.Arg(value=sp.obj)] if sp.obj is not None else []
    positional = [a for a in original.args if a.keyword is None and not a.star]
    if any(a.star for a in original.args):
        raise Unsupported(original, f"`{code(original.func)}(...)` passes *args/**kwargs")
    if positional and inputs is None:
        raise Unsupported(
            original,
            f"`{code(use.callee)}` is not defined in this file, so its positional inputs cannot be named; "
            "pass them by keyword",
        )
    if len(positional) > len(inputs or []):
        raise Unsupported(original, f"`{code(original.func)}(...)` gets more inputs than `{code(use.callee)}` takes")
    for i, arg in enumerate(original.args):
        args.append(as_keyword(arg, inputs[i]) if arg.keyword is None else arg)
    args.extend(sp.kwargs)
    if sp.after:
        quoted = [_quote(a) for a in sp.after]
        value = parse_expr(quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]")
        args.append(kwarg("after", value))
    return set_args(original.with_changes(func=func), args)


class _Body(cst.CSTTransformer):
    def __init__(self, legacy: Legacy, pplan: PipelinePlan, group: Group) -> None:
        super().__init__()
        self.group = group
        self.calls = {id(call): slot for slot, call in pplan.body.calls.items()}
        self.drop = {id(s) for s in pplan.body.after_statements}
        self.above: dict[int, list[str]] = {}
        self.trailing: dict[int, list[str]] = {}
        for slot, call in pplan.body.calls.items():
            use = group.slots[slot].use
            key = id(legacy.statement_of(call))
            self.above.setdefault(key, []).extend(use.leading)
            self.trailing.setdefault(key, []).extend(use.comments)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        slot = self.calls.get(id(original))
        if slot is None:
            return updated
        try:
            return new_call(updated, self.group.slots[slot])
        except Unsupported as exc:
            raise Unsupported(original, exc.message) from None

    def leave_SimpleStatementLine(self, original, updated):
        above = list(self.above.get(id(original), []))
        trailing = self.trailing.get(id(original), [])
        if len(trailing) == 1 and updated.trailing_whitespace.comment is None:
            updated = updated.with_changes(
                trailing_whitespace=updated.trailing_whitespace.with_changes(
                    whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(trailing[0])
                )
            )
        else:
            above.extend(trailing)
        if not above:
            return updated
        return updated.with_changes(leading_lines=[*updated.leading_lines, *(comment_line(t) for t in above)])

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body, pending = [], []
        for orig, stmt in zip(original.body, updated.body):
            if id(orig) in self.drop:
                pending.extend(line for line in stmt.leading_lines if line.comment is not None)
                continue
            if pending:
                stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
                pending = []
            body.append(stmt)
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        return updated.with_changes(body=body, footer=[*pending, *updated.footer])


def new_definition(legacy: Legacy, pplan: PipelinePlan, group: Group, decorator_name: str) -> cst.FunctionDef:
    """The function-API pipeline for one group of instantiations."""
    pipe = pplan.pipe
    func = pipe.func.visit(_Body(legacy, pplan, group))
    required = [h for h in group.hoisted if h.default is None]
    optional = [h for h in group.hoisted if h.default is not None]
    params = []
    for h in required + optional:
        params.append(
            cst.Param(
                name=cst.Name(h.name),
                annotation=cst.Annotation(h.annotation.deep_clone()) if h.annotation is not None else None,
                default=h.default.deep_clone() if h.default is not None else None,
                equal=(
                    cst.MaybeSentinel.DEFAULT
                    if h.default is None
                    else cst.AssignEqual()
                    if h.annotation is not None
                    else cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                    )
                ),
            )
        )
    original_params = [p for p in pipe.func.params.params if p.name.value != "self"]
    laid, ws = arrange(params, original_params, pipe.func.whitespace_before_params)
    new_params = cst.Parameters(params=laid)
    dec_args = [a for a in pipe.decorator_args]
    if group.index > 1 and not any(a.keyword is not None and a.keyword.value == "name" for a in dec_args):
        dec_args.append(kwarg("name", parse_expr(_quote(pipe.pipeline_name or pipe.name))))
    decorator = cst.Name(decorator_name)
    if pipe.kind == "function":
        original_dec = pipe.node.decorators[0]
        if isinstance(original_dec.decorator, cst.Call):
            dec_expr = original_dec.decorator.with_changes(
                func=decorator, args=layout(dec_args, original_dec.decorator.args, original_dec.decorator.whitespace_before_args)
            )
        elif dec_args:
            dec_expr = cst.Call(func=decorator, args=layout(dec_args, (), None))
        else:
            dec_expr = decorator
        decorators = [original_dec.with_changes(decorator=dec_expr)]
        new = func.with_changes(params=new_params, whitespace_before_params=ws, decorators=decorators)
    else:
        dec_expr = cst.Call(func=decorator, args=layout(dec_args, (), None)) if dec_args else decorator
        cls: cst.ClassDef = pipe.node
        leading = list(cls.leading_lines) + [line for line in func.leading_lines if line.comment is not None]
        body = func.body
        doc = cls.body.body[0] if cls.body.body and _docstring(cls.body.body[0]) else None
        if doc is not None and not _docstring(body.body[0]):
            body = body.with_changes(body=[doc, *body.body])
        new = func.with_changes(
            name=cst.Name(group.func_name),
            params=new_params,
            whitespace_before_params=ws,
            decorators=[cst.Decorator(decorator=dec_expr)],
            leading_lines=leading,
            body=body,
        )
    if group.index > 1:
        new = new.with_changes(name=cst.Name(group.func_name), leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    elif pipe.kind == "function":
        new = new.with_changes(name=cst.Name(group.func_name))
    return new


def _docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
