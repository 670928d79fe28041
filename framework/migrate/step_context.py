"""The step context: a ``StepContext`` argument and ``Environment().step_environment`` -> ``get_step_context()``.

Legacy steps receive their context as an argument annotated ``StepContext``;
function-API code asks for it with ``framework.get_step_context()`` (the same
object: ``.step_name``, ``.pipeline_name``, ``.run_name``,
``.get_output_artifact_uri()``, ...). So for a ``@step`` function:

* the argument goes and ``context = get_step_context()`` (under the argument's
  own name) becomes the first statement of the body, when the body uses it;
* ``enable_cache=False`` is added to ``@step`` unless the decorator sets
  ``enable_cache`` itself: a step with a context argument was not cached by
  default (its result may depend on the run), and without the argument nothing
  would tell the framework so any more. Caching set at instantiation or with
  ``configure`` still wins, as before.

``Environment().step_environment`` (same fields) becomes ``get_step_context()``.

Class-based steps (``BaseStep`` subclasses) keep their argument: they have no
decorator to carry the ``enable_cache=False`` default, and the argument keeps
working in both APIs. A step whose tests pass the context to ``.entrypoint(...)``
gets a TODO (the call has no argument to pass it to any more).
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, StepDef, analyse
from framework.migrate.framework_names import STEP, STEP_CONTEXT, Imports
from framework.migrate.import_tools import can_bind, finish_imports
from framework.migrate.nodes import is_docstring, kwarg, names_in, parse_expr, set_params
from framework.migrate.transform import Plan, apply

ENVIRONMENT = frozenset({"framework.environment.Environment", "framework.environment.environment.Environment"})
GET = "get_step_context"
GET_QUALIFIED = {"framework.get_step_context", "framework.steps.get_step_context"}


def rewrite(module: cst.Module) -> cst.Module:
    qualified = set(Imports(module).aliases.values())
    if not (qualified & (STEP_CONTEXT | ENVIRONMENT) or {"framework", "framework.steps", "framework.environment"} & qualified):
        return module
    legacy = analyse(module)
    plan = Plan()
    if not can_bind(legacy, GET, GET_QUALIFIED):
        return module  # `get_step_context` is some other name here: leave the legacy spellings (they run)
    used = False
    for step in legacy.steps.values():
        if step.kind == "function":
            used |= _step(legacy, plan, step)
    used |= _environments(legacy, plan)
    if plan.empty():
        return module
    prune = set(legacy.imports.locals_of(STEP_CONTEXT)) | set(legacy.imports.locals_of(ENVIRONMENT))
    return finish_imports(apply(legacy.module, plan), [("framework", GET)] if used else [], prune)


def _context_param(legacy: Legacy, step: StepDef) -> cst.Param | None:
    for param in step.args:
        if param.annotation is not None and legacy.imports.is_(param.annotation.annotation, STEP_CONTEXT):
            return param
    return None


def _step(legacy: Legacy, plan: Plan, step: StepDef) -> bool:
    param = _context_param(legacy, step)
    if param is None:
        return False
    func = step.func
    name = param.name.value
    if not isinstance(func.body, cst.IndentedBlock):
        plan.todo(func, f"`{step.name}` takes a StepContext: put its body on its own lines and run the migration "
                  "again, or replace the argument with `context = get_step_context()`")
        return False
    decorator = _step_decorator(legacy, func)
    if decorator is None:
        return False
    uses_it = name in names_in(func.body)
    options = decorator.decorator.args if isinstance(decorator.decorator, cst.Call) else ()
    if any(a.star == "**" for a in options) and not any(a.keyword and a.keyword.value == "enable_cache" for a in options):
        plan.todo(func, f"`{step.name}` took a StepContext, so it was not cached unless told otherwise: add "
                  "`enable_cache=False` to its @step unless the options passed with ** set `enable_cache`")
    for ref in legacy.references(step.name, step.node):
        call = _entrypoint_call(legacy, ref)
        if call is not None and _passes(call, step, param):
            plan.todo(legacy.statement_of(call), f"`{step.name}` now reads its context with `get_step_context()`, "
                      f"so `{name}` cannot be passed to `.entrypoint(...)`; test it inside a pipeline run instead")
    index = list(func.decorators).index(decorator)

    def edit(updated: cst.FunctionDef) -> cst.FunctionDef:
        new = set_params(updated, [p for p in updated.params.params if p.name.value != name])
        body = list(new.body.body)
        if uses_it:
            at = 1 if body and is_docstring(body[0]) else 0
            line = cst.parse_statement(f"{name} = {GET}()")
            if at == 0 and body:
                line = line.with_changes(leading_lines=body[0].leading_lines)
                body[0] = body[0].with_changes(leading_lines=())
            body.insert(at, line)
        return new.with_changes(body=new.body.with_changes(body=body), decorators=_no_cache(new.decorators, index))

    plan.set(func, edit)
    return uses_it


def _step_decorator(legacy: Legacy, func: cst.FunctionDef) -> cst.Decorator | None:
    for dec in func.decorators:
        target = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if legacy.imports.is_(target, STEP):
            return dec
    return None


def _no_cache(decorators, index: int):
    """``@step`` -> ``@step(enable_cache=False)`` unless caching is set explicitly."""
    dec = decorators[index]
    expr = dec.decorator
    if isinstance(expr, cst.Call):
        if any(a.star == "**" or (a.keyword is not None and a.keyword.value == "enable_cache") for a in expr.args):
            return decorators
        args = list(expr.args)
        if args:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        new = expr.with_changes(args=[*args, kwarg("enable_cache", parse_expr("False"))])
    else:
        new = cst.Call(func=expr, args=[kwarg("enable_cache", parse_expr("False"))])
    return [*decorators[:index], dec.with_changes(decorator=new), *decorators[index + 1:]]


def _entrypoint_call(legacy: Legacy, ref: cst.Name) -> cst.Call | None:
    attr = legacy.parent(ref)
    call = legacy.parent(attr) if attr is not None else None
    if isinstance(attr, cst.Attribute) and attr.attr.value == "entrypoint" and isinstance(call, cst.Call):
        return call if call.func is attr else None
    return None


def _passes(call: cst.Call, step: StepDef, param: cst.Param) -> bool:
    if any(a.keyword is not None and a.keyword.value == param.name.value for a in call.args):
        return True
    positional = [a for a in call.args if a.keyword is None]
    return any(a.star for a in positional) or len(positional) > step.args.index(param)


# ---------------------------------------------------------------------- Environment().step_environment
def _environments(legacy: Legacy, plan: Plan) -> bool:
    found = []

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            value = node.value
            if (
                node.attr.value == "step_environment"
                and isinstance(value, cst.Call)
                and not value.args
                and legacy.imports.is_(value.func, ENVIRONMENT)
            ):
                found.append(node)

    legacy.module.visit(_Find())
    for node in found:
        plan.set(node, parse_expr(f"{GET}()").with_changes(lpar=node.lpar, rpar=node.rpar))
    return bool(found)

