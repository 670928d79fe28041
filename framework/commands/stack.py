"""``framework stack list`` and ``framework stack describe [NAME]``: where runs execute and
where their records and artifacts live.

Reads whatever ``framework.stacks`` offers: the active stack always; registered stacks
too when that module provides ``list_stacks()`` (and ``get_stack(name)``).
"""

from __future__ import annotations

import os
from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- pure logic
def known_stacks() -> list[Any]:
    """The active stack first, then any other stack ``framework.stacks`` can list."""
    from framework import stacks

    active = stacks.active_stack()
    found = [active]
    lister = getattr(stacks, "list_stacks", None)
    if callable(lister):
        for stack in lister():
            stack = stack if hasattr(stack, "describe") else _resolve(stack)
            if stack is not None and stack.name not in {s.name for s in found}:
                found.append(stack)
    return found


def _resolve(name: str) -> Any:
    from framework import stacks

    getter = getattr(stacks, "get_stack", None)
    return getter(name) if callable(getter) else None


def find_stack(name: str | None) -> Any:
    """The stack called ``name`` (the active one when ``None``); ``NotFound`` otherwise."""
    stacks = known_stacks()
    if name is None:
        return stacks[0]
    for stack in stacks:
        if stack.name == name:
            return stack
    try:
        stack = _resolve(name)
    except (KeyError, ValueError):
        stack = None
    if stack is None:
        raise NotFound(f"No stack named `{name}`; stacks: {', '.join(s.name for s in stacks)}.")
    return stack


def stack_info(stack: Any, active_name: str) -> dict[str, Any]:
    """``Stack.describe()`` plus whether it is active and whether its stores exist yet."""
    info = dict(stack.describe())
    info["active"] = stack.name == active_name
    for key in ("artifact_store", "metadata_store"):
        location = str(info.get(key, ""))
        info[f"{key}_exists"] = os.path.isdir(location) if "://" not in location else None
    return info


# ---------------------------------------------------------------------- click wiring
@click.group()
def stack() -> None:
    """Stacks: the orchestrator, artifact store and metadata store runs use."""


@stack.command("list")
@json_option
def list_stacks(as_json: bool) -> None:
    """List the stacks; the active one (used by new runs) is marked with *."""
    found = known_stacks()
    infos = [stack_info(s, found[0].name) for s in found]
    if as_json:
        output.print_json(infos)
        return
    output.show(output.table(
        "Stacks", ["", "name", "orchestrator", "home"],
        [["*" if i["active"] else "", i["name"], i.get("orchestrator"), i.get("home")] for i in infos]))


@stack.command("describe")
@click.argument("name", required=False)
@json_option
def describe(name: str | None, as_json: bool) -> None:
    """Describe stack NAME (default: the active stack): its home, artifact store and
    metadata store. The default stack lives in $FRAMEWORK_HOME, else
    $XDG_DATA_HOME/framework, else ~/.local/share/framework."""
    found = find_stack(name)
    info = stack_info(found, known_stacks()[0].name)
    if as_json:
        output.print_json(info)
        return

    def where(key: str) -> str:
        exists = info.get(f"{key}_exists")
        return f"{info.get(key)}" + ("" if exists in (True, None) else "  (not created yet)")

    pairs = [("stack", info["name"] + ("  (active)" if info["active"] else "")),
             ("orchestrator", info.get("orchestrator")), ("home", info.get("home")),
             ("artifact store", where("artifact_store")), ("metadata store", where("metadata_store"))]
    shown = {"name", "active", "orchestrator", "home", "artifact_store", "metadata_store",
             "artifact_store_exists", "metadata_store_exists"}
    pairs += [(key.replace("_", " "), value) for key, value in info.items() if key not in shown]
    output.show(output.key_values(pairs))
