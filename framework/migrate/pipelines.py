"""Pipeline rewriting: a legacy pipeline body plus its wiring become function-API pipeline(s).

Each slot call in the body (``step_1()``) becomes a call of the step wired into that
slot (``digits_data_loader()``); positional inputs become keywords named after the
step's inputs; parameter values and step options given at instantiation move into
the call (``svc_trainer.with_options(enable_cache=False)(X_train=X_train, gamma=0.01)``);
``step_2.after(step_1)`` becomes ``after="<invocation id>"``. Which values go where,
and how many functions one legacy pipeline becomes, is decided in ``grouping.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate.analysis import Legacy, LegacyPipeline
from framework.migrate.grouping import Group, PipelinePlan, SlotPlan
from framework.migrate.nodes import arrange, as_keyword, code, comment_line, kwarg, layout, parse_expr, set_args
from framework.migrate.optional_slots import fold
from framework.migrate.pipeline_options import ConfigureProblem, decorator_args
from framework.migrate.slot_refs import slot_references
from framework.migrate.wiring import Unsupported


# ---------------------------------------------------------------------- the legacy body
@dataclass
class Body:
    calls: dict[str, cst.Call]  # slot -> its call in the body
    order: list[str]  # slots in call order
    after: dict[str, list[str]]  # slot -> slots it runs after
    after_statements: list[cst.CSTNode]  # statements the new body drops: `.after()` calls, `kwargs` aliases
    aliases: dict[str, str] = field(default_factory=dict)  # `trainer = kwargs["trainer"]`: trainer -> slot


def read_body(legacy: Legacy, pipe: LegacyPipeline) -> Body:
    func = pipe.func
    body = Body(calls={}, order=[], after={}, after_statements=[])
    if not func.body.body or not isinstance(func.body, cst.IndentedBlock):
        raise Unsupported(pipe.node, f"pipeline `{pipe.name}` has an empty or one-line body")
    refs, body.after_statements = slot_references(legacy, pipe, body.aliases)
    slot_of = {id(ref): slot for slot, ref in refs if slot != "self"}
    handled: set[int] = set()
    for slot, ref in refs:  # `step_2.after(step_1)` statements first: they may come anywhere
        call = legacy.method_statement(ref, "after") if slot != "self" else None
        if (
            call is not None
            and call.args
            and all(not a.star and a.keyword is None and id(a.value) in slot_of for a in call.args)
        ):
            body.after.setdefault(slot, []).extend(slot_of[id(a.value)] for a in call.args)
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


# ---------------------------------------------------------------------- writing the new pipeline
_DATA_PACKAGES = {
    "numpy", "pandas", "sklearn", "scipy", "typing", "typing_extensions", "collections", "datetime",
    "pathlib", "decimal", "pyarrow", "torch", "tensorflow", "polars", "xgboost", "lightgbm", "PIL",
}


def _maybe_parameters(imports, param: cst.Param) -> bool:
    """An argument annotated with a class imported from user code might be a parameters argument."""
    if param.annotation is None:
        return False
    qualified = imports.resolve(param.annotation.annotation)
    if qualified is None:
        return False
    return qualified.split(".")[0] not in _DATA_PACKAGES | {"framework", "builtins"}


def new_call(legacy: Legacy, original: cst.Call, sp: SlotPlan) -> cst.Call:
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
    if positional and use.step is not None and use.step.params_arg is None:
        unsure = [p.name.value for p in use.step.args if _maybe_parameters(use.step.imports or legacy.imports, p)]
        if unsure:
            raise Unsupported(
                original,
                f"cannot tell whether `{unsure[0]}` of `{code(use.callee)}` is an input or its parameters "
                "argument (its class is imported); pass the inputs by keyword",
            )
    if len(positional) > len(inputs or []):
        raise Unsupported(original, f"`{code(original.func)}(...)` gets more inputs than `{code(use.callee)}` takes")
    for i, arg in enumerate(original.args):
        args.append(as_keyword(arg, inputs[i]) if arg.keyword is None else arg)
    args.extend(sp.kwargs)
    if sp.explicit_id:
        args.append(kwarg("id", parse_expr(_quote(sp.invocation_id))))
    if sp.after:
        quoted = [_quote(a) for a in sp.after]
        value = parse_expr(quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]")
        args.append(kwarg("after", value))
    return set_args(original.with_changes(func=func), args)


class _Body(cst.CSTTransformer):
    def __init__(self, legacy: Legacy, pplan: PipelinePlan, group: Group) -> None:
        super().__init__()
        self.legacy = legacy
        self.group = group
        self.calls = {id(call): slot for slot, call in pplan.body.calls.items()}
        self.drop = {id(s) for s in pplan.body.after_statements}
        self.above: dict[int, list[str]] = {}
        self.trailing: dict[int, list[str]] = {}
        for slot, call in pplan.body.calls.items():
            if slot not in group.slots:
                continue  # not given by this wiring: folded away with its `if "<slot>" in kwargs:`
            use = group.slots[slot].use
            key = id(legacy.statement_of(call))
            self.above.setdefault(key, []).extend(use.leading)
            self.trailing.setdefault(key, []).extend(use.comments)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        slot = self.calls.get(id(original))
        if slot is None or slot not in self.group.slots:
            return updated
        try:
            return new_call(self.legacy, updated, self.group.slots[slot])
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
    if pipe.kwargs:
        func = fold(func, pipe, group.instantiations[0].given, pplan.body.aliases)
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
    try:
        dec_args = decorator_args(list(pipe.decorator_args), group.instantiations[0].configures, pipe.name)
    except ConfigureProblem as exc:
        raise Unsupported(group.instantiations[0].configures[-1], exc.message) from None
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
