"""A function that builds the pipeline instance: ``def build(shift): return drift_pipeline(...)``.

Scripts often wrap the instantiation in a small function and run what it returns:
``build(0.0).run(run_name="steady")``. A function-API pipeline has no instance to
return - its wiring is its body and its values are its arguments - so the codemod
inlines such a *factory*: each call ``build(<args>)`` counts as the instantiation in
its ``return``, with the factory's parameters replaced by the arguments of that call
(``current_batch(BatchParams(shift=shift))`` -> ``... BatchParams(shift=0.0) ...``). The
instantiations are then grouped like any others (values that differ become pipeline
arguments), every ``build(...).run(...)`` becomes a call of the function pipeline, and
the factory goes.

That is the same program only when the arguments can be evaluated where the pipeline
runs instead of where the factory was called, so each argument must be a literal or a
name, and the factory must be a module-level function whose body is that one
``return`` (a docstring aside), called directly wherever this module uses it.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from framework.migrate.errors import Unsupported
from framework.migrate.nodes import code, is_constant, is_docstring, names_in


def factory_sites(legacy, pipe, instantiation: cst.Call):
    """The factory returning ``instantiation`` and, per call of it, (call, parameter -> argument)."""
    statement = legacy.statement_of(instantiation)
    func = legacy.parent(legacy.parent(statement))
    problem = _shape_problem(legacy, func, statement)
    if problem:
        raise Unsupported(statement, f"`{pipe.name}(...)` is returned by a function {problem}; "
                          "instantiate and run the pipeline where the function is called")
    name = func.name.value
    sites = []
    for ref in legacy.references(name, func):
        call = legacy.parent(ref)
        if not (isinstance(call, cst.Call) and call.func is ref):
            raise Unsupported(legacy.statement_of(ref), f"`{name}` returns a `{pipe.name}` instance and is used "
                              "here other than called; call the function pipeline where the instance was run")
        sites.append((call, _arguments(legacy, func, call)))
    if not sites:
        raise Unsupported(func, f"`{name}` returns a `{pipe.name}` instance but is never called here")
    return func, sites


def _shape_problem(legacy, func, statement) -> str | None:
    if not isinstance(func, cst.FunctionDef) or legacy.scope(func) is not legacy.global_scope():
        return "that is not defined at module level"
    params = func.params
    if func.decorators or func.asynchronous or params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg \
            or params.kwonly_params or params.posonly_params:
        return f"(`{func.name.value}`) that is decorated, async or takes *args, **kwargs or keyword-only arguments"
    body = [s for s in func.body.body if not is_docstring(s)]
    if body != [statement] or len(statement.body) != 1:
        return f"(`{func.name.value}`) that does more than return it"
    return None


def _arguments(legacy, func: cst.FunctionDef, call: cst.Call) -> dict[str, cst.BaseExpression]:
    """The factory's parameters bound to the arguments of ``call`` (defaults where none is given)."""
    params = list(func.params.params)
    values: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(call.args):
        if arg.star or (arg.keyword is None and i >= len(params)):
            raise Unsupported(legacy.statement_of(call), f"`{code(call)}` passes *args/**kwargs or too many arguments")
        name = arg.keyword.value if arg.keyword is not None else params[i].name.value
        values[name] = arg.value
    for param in params:
        value = values.get(param.name.value, param.default)
        if value is None:
            raise Unsupported(legacy.statement_of(call), f"`{code(call)}` leaves `{param.name.value}` out")
        if not (is_constant(value) or isinstance(value, cst.Name)):
            raise Unsupported(
                legacy.statement_of(call),
                f"`{code(value)}` is given to `{func.name.value}`, whose instance the codemod inlines; assign it "
                "to a variable first, so it is evaluated once",
            )
        values[param.name.value] = value
    return values


class _Substitute(cst.CSTTransformer):
    """Parameter names -> the arguments of one call (keywords and attribute names are not variables)."""

    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        value = self.values.get(original.value)
        return value.deep_clone() if value is not None else updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)


def substituted(use, values: dict[str, cst.BaseExpression]):
    """A slot's step use with the factory's parameters replaced in its values (its callee stays the node it was)."""
    if names_in(use.callee) & set(values):
        raise Unsupported(use.expr, f"the step `{code(use.callee)}` is a parameter of the function that builds the "
                          "pipeline instance; call the step directly in a function-API pipeline")
    sub = _Substitute(values)
    return dataclasses.replace(
        use,
        params_obj=use.params_obj.visit(sub) if use.params_obj is not None else None,
        parameters={k: v.visit(sub) for k, v in use.parameters.items()},
        options={k: a.with_changes(value=a.value.visit(sub)) for k, a in use.options.items()},
    )
