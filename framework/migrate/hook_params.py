"""Hooks that ask for a step's parameters object as ``BaseParameters`` keep the step's object.

A hook receives what its arguments are annotated with (``framework.steps.hooks``). One
annotated with a parameters *subclass* gets an object of that class - for a function-API
step, built from the step's arguments of the same names - so flattening the step's
parameters into arguments changes nothing for it. One annotated with ``BaseParameters``
itself asks for "the step's parameters object, whatever its class": once the step's
fields are plain arguments there is no such object, and all the runtime can build is an
empty ``BaseParameters``. A step with such a hook therefore keeps its parameters
argument (the object is passed through, as for any step not flattened). A hook the
codemod cannot read here (a dotted path, a function from another module) may be one of
those, so it counts as one.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.framework_names import BASE_PARAMETERS
from framework.migrate.nodes import string_value
from framework.migrate.pipeline_defs import decorator_call

HOOKS = ("on_failure", "on_success")


def hook_values(args) -> list[cst.BaseExpression]:
    """The hook values among keyword arguments (``cst.Arg``s)."""
    return [a.value for a in args if a.keyword is not None and a.keyword.value in HOOKS]


def step_hooks(step) -> list[cst.BaseExpression]:
    """The hooks a step's own decorator gives it."""
    found = []
    for dec in step.node.decorators if step.kind == "function" else ():
        _, args = decorator_call(dec)
        found.extend(hook_values(args or ()))
    return found


def asks_for_whole_object(legacy, hooks: list[cst.BaseExpression]) -> bool:
    """Whether any of these hooks (may) take an argument annotated with ``BaseParameters`` itself."""
    for hook in hooks:
        if isinstance(hook, cst.Name) and hook.value == "None":
            continue
        func = _module_function(legacy, hook)
        if func is None:
            return True  # a hook read elsewhere (a dotted path, an import): it may ask for the object
        for param in func.params.params:
            if param.annotation is not None and legacy.imports.is_(param.annotation.annotation, BASE_PARAMETERS):
                return True
    return False


def _module_function(legacy, hook: cst.BaseExpression) -> cst.FunctionDef | None:
    """The function of this module a hook names, when the name is bound to that def only."""
    if string_value(hook) is not None or not isinstance(hook, cst.Name):
        return None
    scope = legacy.global_scope()
    assignments = list(scope.assignments[hook.value]) if scope is not None else []
    if len(assignments) == 1 and isinstance(getattr(assignments[0], "node", None), cst.FunctionDef):
        return assignments[0].node
    return None
