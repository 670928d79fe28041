"""Run-call rewriting: ``inst.run(run_name=...)`` -> ``first_pipeline.with_options(run_name=...)(...)``.

Function-API pipelines have no instances: calling the pipeline runs it, and run
options go through ``with_options``, which takes the same ``run_name``,
``enable_cache``, ``config_path``, ``settings``, ``extra`` and ``unlisted``: they
carry over as they are (``{{date}}``/``{{time}}`` stay valid), and passing a
default (``unlisted=False``, ``extra=None``) just drops it. ``step_configurations``
has no run-level equivalent (function-API steps are configured where they are
called), so it stays with a TODO that names the invocations to configure.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.nodes import arrange, as_keyword, code, layout
from framework.migrate.wiring import Unsupported

RUN_ARGUMENTS = ("run_name", "enable_cache", "config_path", "step_configurations", "settings", "extra", "unlisted")
CARRIED = ("run_name", "enable_cache", "config_path", "settings", "extra", "unlisted")
_DEFAULTS = {"unlisted": ("False", "None"), "extra": ("None", "{}"), "step_configurations": ("None", "{}")}


def rewrite(
    run: cst.Call,
    func_name: str,
    values: list[cst.Arg],
    slot_ids: dict[str, str],
) -> tuple[cst.Call, list[str]]:
    """The new call for one ``.run(...)``, and TODO messages about it."""
    notes: list[str] = []
    kept: list[cst.Arg] = []
    positional = [a for a in run.args if a.keyword is None]
    if any(a.star for a in run.args):
        raise Unsupported(run, "`.run(...)` is given *args/**kwargs; pass run options by keyword")
    if len(positional) > len(RUN_ARGUMENTS):
        raise Unsupported(run, "`.run(...)` gets too many arguments")
    for i, arg in enumerate(run.args):
        key = arg.keyword.value if arg.keyword is not None else RUN_ARGUMENTS[i]
        if arg.keyword is None:
            arg = as_keyword(arg, key)
        if key in _DEFAULTS and code(arg.value) in _DEFAULTS[key]:
            continue
        if key in CARRIED:
            kept.append(arg)
        elif key == "step_configurations":
            kept.append(arg)
            slots = ", ".join(f"{slot} -> {sid}" for slot, sid in slot_ids.items())
            notes.append(
                "`step_configurations=` has no function-API run option: configure each step with "
                f"`<step>.with_options(...)` in the pipeline body instead (slots: {slots}), then delete it here"
            )
        else:
            kept.append(arg)
            notes.append(f"`.run({key}=...)` is not a legacy run option; check it")
    func: cst.BaseExpression = cst.Name(func_name)
    if kept:
        options, opening = arrange(kept, run.args, run.whitespace_before_args)
        func = cst.Call(
            func=cst.Attribute(value=func, attr=cst.Name("with_options")),
            args=options,
            whitespace_before_args=opening,
        )
    return cst.Call(func=func, args=layout(values, (), None)), notes


def alias_note(target: str, func_name: str, values: list[cst.Arg]) -> str:
    call = cst.Call(func=cst.Name(target), args=layout(values, (), None))
    return (
        f"`{target}` was a pipeline instance that is never run in this file; it now names the function-API "
        f"pipeline: run it with `{code(call)}`"
    )
