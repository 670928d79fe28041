"""Run-call rewriting: ``inst.run(run_name=...)`` -> ``first_pipeline.with_options(run_name=...)(...)``.

Function-API pipelines have no instances: calling the pipeline runs it, and run
options go through ``with_options``. ``run_name``, ``enable_cache``, ``config_path``
and ``settings`` carry over as they are (``{{date}}``/``{{time}}`` stay valid).
``unlisted``, ``extra`` and ``step_configurations`` are kept inside ``with_options``
with a TODO; passing their default (``False``/``None``) just drops them.
"""

from __future__ import annotations

import os

import libcst as cst

from framework.migrate.nodes import arrange, as_keyword, code, layout, string_value
from framework.migrate.wiring import Unsupported

RUN_ARGUMENTS = ("run_name", "enable_cache", "config_path", "step_configurations", "settings", "extra", "unlisted")
CARRIED = ("run_name", "enable_cache", "config_path", "settings")
_DEFAULTS = {"unlisted": ("False", "None"), "extra": ("None", "{}"), "step_configurations": ("None", "{}")}


def rewrite(
    run: cst.Call,
    func_name: str,
    values: list[cst.Arg],
    slot_ids: dict[str, str],
    filename: str,
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
        if key in CARRIED:
            kept.append(arg)
            if key == "config_path":
                note = _config_note(arg.value, slot_ids, filename)
                if note:
                    notes.append(note)
        elif key in _DEFAULTS and code(arg.value) in _DEFAULTS[key]:
            continue
        elif key == "step_configurations":
            kept.append(arg)
            slots = ", ".join(f"{slot} -> {sid}" for slot, sid in slot_ids.items())
            notes.append(
                "`step_configurations=` has no function-API run option: configure each step with "
                f"`<step>.with_options(...)` in the pipeline body instead (slots: {slots}), then delete it here"
            )
        elif key in _DEFAULTS:
            kept.append(arg)
            notes.append(
                f"`{key}=` is not among the function-API run options of the spec (run_name, enable_cache, "
                "config_path, settings); it is kept in with_options() - check the run behaves as before or drop it"
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


def _config_note(value: cst.BaseExpression, slot_ids: dict[str, str], filename: str) -> str | None:
    """A TODO if the YAML may key its steps by legacy slot names."""
    renames = {slot: sid for slot, sid in slot_ids.items() if slot != sid}
    if not renames or code(value) == "None":
        return None
    mapping = ", ".join(f"{slot} -> {sid}" for slot, sid in renames.items())
    message = (
        f"function-API run configs key `steps:` by invocation id, not slot name; if the config file has "
        f"`steps:`, rename its keys: {mapping}"
    )
    path = string_value(value)
    if path is None:
        return message
    candidates = [path]
    if not os.path.isabs(path) and filename not in ("<string>", "-"):
        candidates.insert(0, os.path.join(os.path.dirname(os.path.abspath(filename)), path))
    for candidate in candidates:
        if os.path.isfile(candidate):
            try:
                import yaml

                with open(candidate, encoding="utf-8") as fh:
                    data = yaml.safe_load(fh)
            except Exception:  # noqa: BLE001 - unreadable config: say so in the TODO
                return message
            steps = data.get("steps") if isinstance(data, dict) else None
            if not steps or not (set(steps) & set(renames)):
                return None
            return message
    return message


def alias_note(target: str, func_name: str, values: list[cst.Arg]) -> str:
    call = cst.Call(func=cst.Name(target), args=layout(values, (), None))
    return (
        f"`{target}` was a pipeline instance that is never run in this file; it now names the function-API "
        f"pipeline: run it with `{code(call)}`"
    )
