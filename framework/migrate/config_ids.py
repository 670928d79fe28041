"""Which invocations keep their legacy slot name as ``id=``, so a YAML run config keeps working.

A legacy run configuration keys ``steps:`` by slot name (``steps: {data_loader:
{parameters: ...}}``, as ZenML's own configs do) or by step name; the compiler
looks a legacy call up by both. A function-API invocation is looked up by its
invocation id only, so the same file would fail with "unknown step(s)
data_loader". Rather than rewrite the user's YAML (other scripts may still read
it), the migrated call is given ``id="data_loader"``: the file keeps working for
both the legacy script and the migrated one.

The config files are read at migration time, relative to the script and then to
the working directory (where the run would look for them). A slot gets its id
only when a config keys ``steps:`` by it. A config that cannot be read (a path
computed at run time, a missing file) is assumed to use slot names, ZenML's
convention: every renamed slot gets its id, which is harmless when the file has
no ``steps:`` at all.
"""

from __future__ import annotations

import os

import libcst as cst

from framework.migrate.nodes import code, string_value

UNKNOWN = None  # some config file could not be read: assume slot names

_CONFIG_POSITION = 2  # .run(run_name, enable_cache, config_path, ...)


def config_path_of(run: cst.Call) -> cst.BaseExpression | None:
    """The ``config_path`` given to a legacy ``.run(...)`` call, if any (None also for ``None``)."""
    for i, arg in enumerate(run.args):
        key = arg.keyword.value if arg.keyword is not None else (i if not arg.star else None)
        if key in ("config_path", _CONFIG_POSITION):
            return None if code(arg.value) == "None" else arg.value
    return None


def step_keys(runs: list[tuple[cst.Call, str]]) -> set[str] | None:
    """Every ``steps:`` key of the configs these runs (each with its file's name) use; ``UNKNOWN`` if one
    cannot be read."""
    keys: set[str] = set()
    for run, filename in runs:
        value = config_path_of(run)
        if value is None:
            continue
        found = _read_steps(value, filename)
        if found is UNKNOWN:
            return UNKNOWN
        keys |= found
    return keys


def _read_steps(value: cst.BaseExpression, filename: str) -> set[str] | None:
    path = string_value(value)
    if path is None:
        return UNKNOWN
    candidates = [path]
    if not os.path.isabs(path) and filename not in ("<string>", "-"):
        candidates.insert(0, os.path.join(os.path.dirname(os.path.abspath(filename)), path))
    for candidate in candidates:
        if os.path.isfile(candidate):
            try:
                import yaml

                with open(candidate, encoding="utf-8") as fh:
                    data = yaml.safe_load(fh)
            except Exception:  # noqa: BLE001 - an unreadable config is an unknown one
                return UNKNOWN
            steps = data.get("steps") if isinstance(data, dict) else None
            return {str(k) for k in steps} if isinstance(steps, dict) else set()
    return UNKNOWN


def keeps_slot_id(slot: str, natural_id: str | None, keys: set[str] | None) -> bool:
    """Whether the invocation filling ``slot`` must be called with ``id="<slot>"``."""
    if slot == natural_id:
        return False
    if keys is UNKNOWN:
        return True
    return slot in keys
