"""Parameter flattening: a step's ``BaseParameters`` argument becomes one keyword argument per field.

``def trainer(params: P, X: np.ndarray)`` with ``class P(BaseParameters): gamma: float = 0.001``
becomes ``def trainer(X: np.ndarray, gamma: float = 0.001)`` and ``params.gamma``
becomes ``gamma``. A step is flattened only when that is provably the same
program: the class has plain literal-default fields only, the body reads
``params.<field>`` and nothing else, no field name is already a name in the step,
and every use of the step in the file is one the codemod rewrites too (a pipeline
slot it migrates, a ``.entrypoint(...)`` call). Otherwise the step keeps its
parameters argument and the object is passed through to the new call.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from framework.migrate.analysis import Legacy, ParamsClass, StepDef
from framework.migrate.nodes import (
    as_keyword,
    code,
    dotted,
    kwarg,
    names_in,
    set_args,
    set_params,
)
from framework.migrate.wiring import Unsupported

RESERVED = ("after", "id")


@dataclass
class Flat:
    step: StepDef
    pclass: ParamsClass


def body_reason(step: StepDef, pclass: ParamsClass) -> str | None:
    """Why this step's parameters cannot be flattened (None: they can)."""
    if pclass.reason:
        return pclass.reason
    if not step.plain:
        return f"step `{step.name}` takes *args, keyword-only or positional-only arguments"
    param = step.arg(step.params_arg)
    if param.default is not None and not (
        isinstance(param.default, cst.Call) and dotted(param.default.func) == pclass.name and not param.default.args
    ):
        return f"the parameters argument of `{step.name}` has a default other than `{pclass.name}()`"
    fields = {f.name for f in pclass.fields}
    others = {p.name.value for p in step.args if p is not param}
    if step.kind == "class":
        others.add("self")
    clash = fields & (others | set(RESERVED))
    if clash:
        return f"field(s) {', '.join(sorted(clash))} of `{pclass.name}` collide with arguments of `{step.name}`"
    used = names_in(step.func.body) | set().union(
        *(names_in(p) for p in step.args if p is not param)
    )
    clash = fields & (used - {step.params_arg})
    if clash:
        return f"field(s) {', '.join(sorted(clash))} of `{pclass.name}` are already names inside `{step.name}`"
    if not _only_field_reads(step.func.body, step.params_arg, fields):
        return f"`{step.name}` uses `{step.params_arg}` for more than reading its fields"
    return None


def _only_field_reads(body: cst.CSTNode, name: str, fields: set[str]) -> bool:
    ok = True
    allowed: set[int] = set()

    class _Check(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == name and node.attr.value in fields:
                allowed.add(id(node.value))

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal ok
            if node.value == name and id(node) not in allowed:
                ok = False

        def _target(self, target: cst.CSTNode) -> None:
            nonlocal ok
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == name:
                ok = False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._target(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._target(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._target(node.target)

        def visit_Del(self, node: cst.Del) -> None:
            self._target(node.target)

    body.visit(_Check())
    return ok


def decompose(obj: cst.BaseExpression | None, pclass: ParamsClass) -> dict[str, cst.BaseExpression] | None:
    """``P(gamma=0.01, C=2.5)`` -> ``{"gamma": 0.01, "C": 2.5}``; None if not that simple."""
    if obj is None:
        return {}
    if not isinstance(obj, cst.Call) or dotted(obj.func) != pclass.name:
        return None
    values = {}
    for arg in obj.args:
        if arg.star or arg.keyword is None or pclass.field(arg.keyword.value) is None:
            return None
        values[arg.keyword.value] = arg.value
    return values


# ---------------------------------------------------------------------- the step definition
def flatten_def(func: cst.FunctionDef, flat: Flat) -> tuple[cst.FunctionDef, list[str]]:
    """The step function (or entrypoint) with fields as arguments; also comments to put above it.

    Field comments follow the field into a one-per-line signature; in a one-line
    signature they go above the function.
    """
    step, pclass = flat.step, flat.pclass
    params = list(func.params.params)
    leading = params[:1] if step.kind == "class" and params and params[0].name.value == "self" else []
    rest = params[len(leading):]
    removed = next(p for p in rest if p.name.value == step.params_arg)
    inputs = [p for p in rest if p is not removed]
    one_per_line = any(
        isinstance(p.comma, cst.Comma) and isinstance(p.comma.whitespace_after, cst.ParenthesizedWhitespace)
        for p in params[:-1]
    ) or (len(params) == 1 and isinstance(params[0].comma, cst.Comma) and isinstance(params[0].comma.whitespace_after, cst.ParenthesizedWhitespace))
    above: list[str] = []
    carried = _comments_of(removed, params)
    required, defaulted = [], []
    notes: dict[int, list[str]] = {}  # id(param) -> comment lines above it
    for f in pclass.fields:
        param = cst.Param(
            name=cst.Name(f.name),
            annotation=cst.Annotation(f.annotation.deep_clone()),
            default=f.default.deep_clone() if f.default is not None else None,
        )
        lines = ([*carried] if not (required or defaulted) else []) + f.leading
        if one_per_line:
            if f.trailing:
                param = param.with_changes(
                    comma=cst.Comma(
                        whitespace_after=cst.ParenthesizedWhitespace(
                            first_line=cst.TrailingWhitespace(
                                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(f.trailing)
                            )
                        )
                    )
                )
            notes[id(param)] = lines
        else:
            above.extend(lines + ([f.trailing] if f.trailing else []))
        (required if f.default is None else defaulted).append(param)
    if carried and not pclass.fields:
        above.extend(carried)
    ordered = (
        leading
        + [p for p in inputs if p.default is None]
        + required
        + [p for p in inputs if p.default is not None]
        + defaulted
    )
    comment_lines = {j: notes[id(p)] for j, p in enumerate(ordered) if notes.get(id(p))}
    new = set_params(func, ordered, comment_lines)
    body = func.body.visit(_FieldReads(step.params_arg, {f.name for f in pclass.fields}))
    return new.with_changes(body=body), above


def _comments_of(param: cst.Param, params: list[cst.Param]) -> list[str]:
    """Comments that belong to ``param``: on the lines above it and at the end of its line."""
    texts = []
    k = params.index(param)
    if k > 0 and isinstance(params[k - 1].comma, cst.Comma):
        ws = params[k - 1].comma.whitespace_after
        if isinstance(ws, cst.ParenthesizedWhitespace):
            texts.extend(line.comment.value for line in ws.empty_lines if line.comment is not None)
    own = _own_comment(param)
    if own:
        texts.append(own)
    return texts


def _own_comment(param: cst.Param) -> str | None:
    ws = param.comma.whitespace_after if isinstance(param.comma, cst.Comma) else None
    if isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None:
        return ws.first_line.comment.value
    return None


class _FieldReads(cst.CSTTransformer):
    """``params.gamma`` -> ``gamma``."""

    def __init__(self, name: str, fields: set[str]) -> None:
        super().__init__()
        self.name, self.fields = name, fields

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value == self.name and updated.attr.value in self.fields:
            return cst.Name(updated.attr.value, lpar=updated.lpar, rpar=updated.rpar)
        return updated


# ---------------------------------------------------------------------- `.entrypoint(...)` calls
def entrypoint_call(legacy: Legacy, ref: cst.Name, step: StepDef) -> cst.Call | None:
    """The ``trainer.entrypoint(...)`` / ``Trainer().entrypoint(...)`` call ``ref`` starts, if any."""
    node: cst.CSTNode = ref
    parent = legacy.parent(node)
    if step.kind == "class" and isinstance(parent, cst.Call) and parent.func is node and not parent.args:
        node, parent = parent, legacy.parent(parent)
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "entrypoint":
        call = legacy.parent(parent)
        if isinstance(call, cst.Call) and call.func is parent:
            return call
    return None


def entrypoint_values(call: cst.Call, flat: Flat) -> tuple[list[cst.Arg], dict[str, cst.BaseExpression]]:
    """Inputs (as keyword args) and field values of a legacy ``.entrypoint(...)`` call."""
    step = flat.step
    names = [p.name.value for p in step.args]
    inputs: list[cst.Arg] = []
    values: dict[str, cst.BaseExpression] | None = {}
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args) or len(positional) > len(names):
        raise Unsupported(call, f"`{code(call.func)}(...)` has *args or too many arguments")
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else names[call.args.index(arg)]
        if name == step.params_arg:
            values = decompose(arg.value, flat.pclass)
            if values is None:
                raise Unsupported(call, f"the parameters object given to `{code(call.func)}` is not a plain `{flat.pclass.name}(...)`")
        else:
            inputs.append(arg if arg.keyword is not None else as_keyword(arg, name))
    return inputs, values


def rewrite_entrypoint(call: cst.Call, flat: Flat) -> cst.Call:
    inputs, values = entrypoint_values(call, flat)
    args = inputs + [kwarg(k, v.deep_clone()) for k, v in values.items()]
    return set_args(call, args)
