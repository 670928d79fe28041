"""Reading a step instance's options: ``trainer(P(...), name="x").configure(on_failure=alert)``.

What a slot's step is given at instantiation and through ``configure`` /
``with_options`` has to move into the new pipeline's call, as
``trainer.with_options(...)(...)``: the options both APIs share (hooks included)
move as they are, the parameters object or ``configure(parameters={...})`` values
become arguments, and the rest has no function-API equivalent (a TODO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from framework.migrate.errors import Unsupported
from framework.migrate.nodes import code, string_value

if TYPE_CHECKING:
    from framework.migrate.wiring import StepUse

# the options a step instance takes that `with_options` takes too (hooks are the same keywords in both APIs)
STEP_OPTIONS = ("name", "enable_cache", "settings", "extra", "output_materializers", "on_failure", "on_success",
                "experiment_tracker")

_MERGED = ("settings", "extra", "output_materializers")


def _option(use: StepUse, key: str, arg: cst.Arg, where: cst.CSTNode) -> None:
    if key in _MERGED and key in use.options:
        raise Unsupported(
            where, f"`{code(use.callee)}` gets `{key}=` twice (they are deep-merged); merge them into one dict"
        )
    use.options[key] = arg


def step_arg(use: StepUse, arg: cst.Arg, where: cst.CSTNode) -> None:
    """One argument of the step instantiation ``trainer(P(...), name=...)``."""
    label = code(use.callee)
    if arg.star:
        raise Unsupported(where, f"`{label}(...)` is given *args/**kwargs")
    if arg.keyword is None:
        if use.params_obj is not None:
            raise Unsupported(where, f"`{label}(...)` is given two parameter objects")
        use.params_obj = arg.value
        return
    key = arg.keyword.value
    if key in STEP_OPTIONS:
        _option(use, key, arg, where)
    elif key == "params" or (use.step is not None and key == use.step.params_arg):
        if use.params_obj is not None:
            raise Unsupported(where, f"`{label}(...)` is given two parameter objects")
        use.params_obj = arg.value
    else:
        raise Unsupported(where, f"`{label}(...)` gets the unknown keyword `{key}`")


def configure_arg(use: StepUse, arg: cst.Arg, where: cst.CSTNode) -> None:
    """One argument of ``.configure(...)`` / ``.with_options(...)`` on a step instance."""
    label = code(use.callee)
    if arg.star or arg.keyword is None:
        raise Unsupported(where, f"`{label}.configure(...)`: pass options by keyword")
    key = arg.keyword.value
    if key in STEP_OPTIONS:
        _option(use, key, arg, where)
    elif key == "parameters" and isinstance(arg.value, cst.Dict):
        for element in arg.value.elements:
            fname = string_value(element.key) if isinstance(element, cst.DictElement) else None
            if fname is None:
                raise Unsupported(where, f"`{label}.configure(parameters=...)`: use a dict with string keys")
            use.parameters[fname] = element.value
    else:
        raise Unsupported(where, f"`{label}.configure({key}=...)` has no direct function-API equivalent")
