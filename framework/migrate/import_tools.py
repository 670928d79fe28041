"""Import bookkeeping for the rewrites: add the names new code uses, drop the ones it stopped using.

Each rewrite first edits the code, then calls ``finish_imports`` on the result:
that second look is what tells whether a name (``StepContext``, ``get_pipeline``)
is still used anywhere, so an import is only removed when nothing reads it any
more. A name is added to an existing ``from <module> import ...`` line when there
is one, else on a new line after the file's leading imports.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, analyse
from framework.migrate.framework_names import Imports
from framework.migrate.nodes import dotted, is_docstring, layout
from framework.migrate.transform import Plan, apply


def can_bind(legacy: Legacy, name: str, qualified: set[str]) -> bool:
    """Whether ``name`` may be used for one of ``qualified``: free, or already imported as one of them."""
    if name in legacy.imports.aliases:
        return legacy.imports.aliases[name] in qualified
    scope = legacy.global_scope()
    return scope is None or not scope.assignments[name]


def finish_imports(
    module: cst.Module, add: list[tuple[str, str]], prune: set[str], lines: list[str] = ()
) -> cst.Module:
    """Import each ``(module, name)`` of ``add`` not yet imported; drop ``prune`` names nothing uses.

    ``lines``: whole import statements (``from a import b as c``, ``import numpy as np``) to add
    after the others, each unless the name it binds is imported already.
    """
    legacy = analyse(module)
    unused = {name for name in prune if name in legacy.imports.aliases and not legacy.references(name)}
    wanted: dict[str, list[str]] = {}
    for mod, name in dict.fromkeys(add):
        if name not in legacy.imports.aliases:
            wanted.setdefault(mod, []).append(name)
    more = [cst.parse_statement(line) for line in dict.fromkeys(lines)]
    more = [s for s in more if not set(Imports(cst.Module(body=[s])).aliases) <= set(legacy.imports.aliases)]
    if not unused and not wanted and not more:
        return module
    plan = Plan()
    dropped: set[int] = set()
    for stmt in legacy.module.body:
        imp = _from_import(stmt)
        if imp is None:
            continue
        mod = dotted(imp.module) or "" if isinstance(imp, cst.ImportFrom) else None
        names = list(imp.names)
        keep = [a for a in names if _local(a) not in unused]
        extra = wanted.pop(mod, []) if mod is not None else []
        if len(keep) == len(names) and not extra:
            continue
        if not keep and not extra:
            plan.drop(stmt)
            dropped.add(id(stmt))
            continue
        new_names = keep + [cst.ImportAlias(name=cst.Name(n)) for n in extra]
        plan.set(imp, imp.with_changes(names=layout(new_names, names, None)))
    if wanted or more:
        statements = [cst.parse_statement(f"from {mod} import {', '.join(names)}") for mod, names in wanted.items()]
        statements += more
        anchor = _last_leading_import(legacy.module)
        if anchor is None:
            plan.set(legacy.module, lambda m: m.with_changes(body=_after_docstring(m.body, statements)))
        elif id(anchor) in dropped:
            del plan.remove[id(anchor)]
            plan.split(anchor, lambda updated: [statements[0].with_changes(leading_lines=updated.leading_lines),
                                                *statements[1:]])
        else:
            plan.split(anchor, lambda updated: [updated, *statements])
    return apply(legacy.module, plan)


def _from_import(stmt: cst.CSTNode) -> cst.ImportFrom | cst.Import | None:
    """The import of a one-import line (``import a as b`` or ``from m import a, b``), not relative or star."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    imp = stmt.body[0]
    if isinstance(imp, cst.Import):
        return imp
    if not isinstance(imp, cst.ImportFrom) or imp.relative or isinstance(imp.names, cst.ImportStar):
        return None
    return imp


def _local(alias: cst.ImportAlias) -> str:
    """The name an alias binds (``import a.b`` binds ``a``)."""
    if alias.asname:
        return alias.asname.name.value
    return (dotted(alias.name) or "").split(".")[0]


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _last_leading_import(module: cst.Module) -> cst.CSTNode | None:
    last = None
    for i, stmt in enumerate(module.body):
        if i == 0 and is_docstring(stmt):
            continue
        if _is_import_line(stmt):
            last = stmt
        elif last is not None:
            break
        else:
            return None
    return last


def _after_docstring(body, statements):
    body = list(body)
    at = 1 if body and is_docstring(body[0]) else 0
    return [*body[:at], *statements, *body[at:]]
