"""The names a migrated pipeline takes from the module that instantiated it, imported where it is defined.

In a project the wiring of a pipeline defined in ``pipelines/training.py`` is written in
``run.py``: ``training(importer=digits_importer(), trainer=svc_trainer(P(gamma=0.01)))``.
The migrated pipeline calls those steps in its own body, so every name the new body takes
from ``run.py`` - step functions, parameter classes, hooks, constants - must mean the same
in ``pipelines/training.py``. Each is followed to where it is defined (through the
project's re-exports, ``project.resolve``) and imported from there, not from the module
that happened to re-export it: that adds the fewest modules to what the pipeline's module
loads. A name that is defined in a module which itself loads the pipeline's module (the
script that runs it, say) cannot be imported without a cycle, and a name the pipeline's
module already uses for something else would change meaning: both keep the pipeline
legacy, with a TODO that says so.
"""

from __future__ import annotations

import builtins

from framework.migrate.errors import Unsupported
from framework.migrate.grouping import Group
from framework.migrate.nodes import names_in


def carried_names(group: Group) -> set[str]:
    """Free names of everything the new definition of ``group`` copies from its first instantiation."""
    exprs = []
    for sp in group.slots.values():
        exprs.append(sp.use.callee)
        exprs.extend(x for x in [sp.obj, *(a.value for a in sp.kwargs)] if x is not None)
        exprs.extend(a.value for a in sp.use.options.values())
    for hoisted in group.hoisted:
        exprs.extend(x for x in (hoisted.annotation, hoisted.default) if x is not None)
    for call in group.instantiations[0].configures:
        exprs.extend(a.value for a in call.args)
    found: set[str] = set()
    for expr in exprs:
        found |= names_in(expr)
    return found - {h.name for h in group.hoisted}


def imports_for(project, home, groups: list[Group]) -> list[str]:
    """Import lines the module ``home`` needs for the new definitions of ``groups`` (may raise ``Unsupported``)."""
    lines: list[str] = []
    names: dict[str, list[str]] = {}  # `from <module> import <names>`, one line per module
    for group in groups:
        inst = group.instantiations[0]
        source = project.unit_of(inst.legacy)
        if source is home:
            continue
        for local in sorted(carried_names(group)):
            origin = _origin(project, home, source, local, inst.statement)
            if origin is None:
                continue
            if origin.kind != "module" and origin.name == local:
                names.setdefault(origin.module, [])
                if local not in names[origin.module]:
                    names[origin.module].append(local)
            elif origin.import_line(local) not in lines:
                lines.append(origin.import_line(local))
    return [f"from {module} import {', '.join(sorted(found))}" for module, found in sorted(names.items())] + lines


def _origin(project, home, source, local: str, where):
    """Where ``local`` (a name of ``source``) comes from, when ``home`` must import it; None if it need not."""
    origin = project.resolve(source, local)
    if origin is None:
        if hasattr(builtins, local) and local not in source.bindings():
            return None
        raise Unsupported(where, f"cannot tell where `{local}` comes from, so `{home.filename}` cannot import it "
                          "for the migrated pipeline; import it at module level here")
    present = project.resolve(home, local)
    if present == origin:
        return None
    if present is not None or local in home.bindings():
        raise Unsupported(where, f"`{local}` means something else in `{home.filename}`, where the migrated pipeline "
                          "calls it; rename one of them")
    loaded = origin.module if origin.module in project.by_name else None
    if origin.kind == "defined" and origin.module == home.name:
        raise Unsupported(where, f"`{local}` is `{origin.name}` of `{home.filename}` under another name; use its own "
                          "name here")
    if loaded is not None and project.reaches(loaded, home.name):
        owner = project.by_name[loaded].filename
        raise Unsupported(
            where,
            f"the migrated pipeline in `{home.filename}` calls `{local}`, which is defined in `{owner}`; that module "
            f"loads `{home.filename}`, so importing it there would be a cycle: move `{local}` into a module of its "
            "own and import it in both",
        )
    return origin
