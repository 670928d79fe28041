"""Reading a legacy pipeline definition: a ``@pipeline`` function or a ``BasePipeline`` subclass.

A definition alone says which slots the pipeline has and how its body (or ``connect``)
calls them; which step fills each slot is said where it is instantiated (``wiring``).
``legacy_pipeline`` needs no scope analysis, so a project can list its modules' pipelines
before migrating any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate.framework_names import BASE_PIPELINE, LEGACY_PIPELINE, STEP, Imports
from framework.migrate.nodes import is_docstring, string_value, subscript_keys


@dataclass
class LegacyPipeline:
    name: str  # module-level name
    pipeline_name: str | None  # the name runs are recorded under
    kind: str  # "function" | "class"
    node: cst.FunctionDef | cst.ClassDef
    func: cst.FunctionDef  # the function, or the class's connect
    slots: list[str]
    decorator_args: list[cst.Arg]
    reasons: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    kwargs: str | None = None  # `connect(self, **kwargs)`: slots are the `kwargs["<slot>"]` it reads


def legacy_pipeline(imports: Imports, node: cst.CSTNode) -> LegacyPipeline | None:
    """The legacy pipeline a module-level class or function defines, if it is one (read without scopes)."""
    if isinstance(node, cst.ClassDef) and any(imports.is_(b.value, BASE_PIPELINE) for b in node.bases):
        return _class_pipeline(node)
    for dec in node.decorators if isinstance(node, cst.FunctionDef) else ():
        target, args = decorator_call(dec)
        if imports.is_(target, STEP):
            return None
        if imports.is_(target, LEGACY_PIPELINE):
            return _function_pipeline(node, args)
    return None


def _function_pipeline(node: cst.FunctionDef, args: list[cst.Arg] | None) -> LegacyPipeline:
    name = node.name.value
    pipeline_name: str | None = name
    for arg in args or ():
        if arg.keyword is not None and arg.keyword.value == "name":
            pipeline_name = string_value(arg.value)
    pipe = LegacyPipeline(
        name=name,
        pipeline_name=pipeline_name,
        kind="function",
        node=node,
        func=node,
        slots=[p.name.value for p in node.params.params],
        decorator_args=list(args or ()),
    )
    params = node.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.star_kwarg or params.posonly_params:
        pipe.reasons.append((node, f"pipeline `{name}` takes *args/**kwargs or keyword-only slots"))
    if any(p.default is not None for p in params.params):
        pipe.reasons.append((node, f"pipeline `{name}` has slot defaults"))
    if len(node.decorators) != 1:
        pipe.reasons.append((node, f"pipeline `{name}` has more decorators than @pipeline"))
    if any(a.keyword is None for a in args or ()):
        pipe.reasons.append((node, f"@pipeline on `{name}` has positional arguments"))
    return pipe


def decorator_call(dec: cst.Decorator) -> tuple[cst.BaseExpression, list[cst.Arg] | None]:
    """What a decorator calls, and its arguments (None for a bare ``@name``)."""
    if isinstance(dec.decorator, cst.Call):
        return dec.decorator.func, list(dec.decorator.args)
    return dec.decorator, None


def method(node: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    for stmt in node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None


def _class_pipeline(node: cst.ClassDef) -> LegacyPipeline:
    connect = method(node, "connect")
    pipe = LegacyPipeline(
        name=node.name.value,
        pipeline_name=node.name.value,
        kind="class",
        node=node,
        func=connect,
        slots=[],
        decorator_args=[],
    )
    if connect is None:
        pipe.reasons.append((node, f"pipeline class `{pipe.name}` has no `connect` method"))
        return pipe
    for stmt in node.body.body:
        if stmt is connect or is_docstring(stmt):
            continue
        pipe.reasons.append(
            (node, f"pipeline class `{pipe.name}` defines more than `connect`; move the rest out of the class")
        )
        break
    if node.decorators or len(node.bases) != 1 or node.keywords:
        pipe.reasons.append((node, f"pipeline class `{pipe.name}` has decorators, several bases or class options"))
    params = connect.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.posonly_params:
        pipe.reasons.append((connect, f"`{pipe.name}.connect` takes *args or keyword-only slots"))
    names = [p.name.value for p in params.params]
    if not names or names[0] != "self":
        pipe.reasons.append((connect, f"`{pipe.name}.connect` must take `self` first"))
    pipe.slots = names[1:]
    if isinstance(params.star_kwarg, cst.Param):
        pipe.kwargs = params.star_kwarg.name.value
        pipe.slots += [k for k in subscript_keys(connect.body, pipe.kwargs) if k not in pipe.slots]
    if any(p.default is not None for p in params.params):
        pipe.reasons.append((connect, f"`{pipe.name}.connect` has slot defaults"))
    return pipe

