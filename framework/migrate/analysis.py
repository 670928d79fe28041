"""Reading a legacy file: which names are framework's, and its parameter classes, steps and pipelines.

Only module-level definitions are recognised (that is where the legacy API wants
them); pipelines are read by ``pipeline_defs``. Everything here is read-only: the
result is a ``Legacy`` summary that the planning modules turn into edits. In a project,
the codemod adds the steps and pipelines a module imports from the others
(``imported_steps``, ``imported_pipelines``), so that an instantiation reads the same
whether its steps are defined here or there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from framework.migrate.framework_names import BASE_PARAMETERS, BASE_STEP, STEP, Imports
from framework.migrate.nodes import dotted, is_constant, is_docstring, string_value
from framework.migrate.pipeline_defs import LegacyPipeline, decorator_call, legacy_pipeline, method


@dataclass
class Field:
    name: str
    annotation: cst.BaseExpression
    default: cst.BaseExpression | None  # None: required
    leading: list[str]  # comment lines above the field
    trailing: str | None  # the comment at the end of its line


@dataclass
class ParamsClass:
    name: str
    node: cst.ClassDef
    fields: list[Field]
    reason: str | None = None  # why its fields cannot become step arguments

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class StepDef:
    name: str  # the module-level name it is bound to
    step_name: str | None  # the name runs record (None: not a literal)
    kind: str  # "function" | "class"
    node: cst.FunctionDef | cst.ClassDef
    func: cst.FunctionDef  # the function, or the class's entrypoint
    args: list[cst.Param]  # without self
    params_arg: str | None
    params_class: str | None
    plain: bool  # only ordinary positional-or-keyword arguments
    imports: Imports | None = None  # of the module that defines it (annotations are read there)

    @property
    def inputs(self) -> list[str]:
        return [p.name.value for p in self.args if p.name.value != self.params_arg]

    def arg(self, name: str) -> cst.Param | None:
        return next((p for p in self.args if p.name.value == name), None)


@dataclass
class Legacy:
    """Everything the planners need to know about one parsed file."""

    wrapper: MetadataWrapper
    module: cst.Module
    imports: Imports
    params: dict[str, ParamsClass]
    steps: dict[str, StepDef]
    pipelines: dict[str, LegacyPipeline]
    scopes: dict
    parents: dict
    positions: dict
    filename: str = "<string>"
    # a project's other modules: local names this module imports them under (see ``project``)
    imported_steps: dict[str, StepDef] = field(default_factory=dict)
    imported_pipelines: dict[str, LegacyPipeline] = field(default_factory=dict)

    def step_def(self, name: str | None) -> StepDef | None:
        """The step a module-level name (or dotted name) of this module stands for, if known."""
        return self.steps.get(name) or self.imported_steps.get(name)

    # ---------------------------------------------------------------- navigation
    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def pos(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.positions[node].start
        return (start.line, start.column)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost statement (simple line or compound) that contains ``node``."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            current = self.parents.get(current)
        return current if current is not None else node

    def method_statement(self, ref: cst.Name, method: str) -> cst.Call | None:
        """The call ``ref.method(...)`` when it is a statement line of its own, else None."""
        attr = self.parent(ref)
        call = self.parent(attr) if attr is not None else None
        if (isinstance(attr, cst.Attribute) and attr.value is ref and attr.attr.value == method
                and isinstance(call, cst.Call) and call.func is attr and isinstance(self.parent(call), cst.Expr)
                and len(self.statement_of(call).body) == 1):
            return call
        return None

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.scopes.get(node)

    def global_scope(self) -> GlobalScope:
        return self.scopes[self.module.body[0]] if self.module.body else None

    def references(self, name: str, node: cst.CSTNode | None = None) -> list[cst.Name]:
        """Every use (in any scope) of the module-level binding ``name`` made by ``node``."""
        scope = self.global_scope()
        if scope is None:
            return []
        found = []
        for assignment in scope.assignments[name]:
            if node is not None and getattr(assignment, "node", None) is not node:
                continue
            found.extend(access.node for access in assignment.references if isinstance(access.node, cst.Name))
        return sorted(set(found), key=self.pos)


def analyse(source_module: cst.Module) -> Legacy:
    wrapper = MetadataWrapper(source_module, unsafe_skip_copy=True)
    module = wrapper.module
    metadata = wrapper.resolve_many([ScopeProvider, ParentNodeProvider, PositionProvider])
    legacy = Legacy(
        wrapper=wrapper,
        module=module,
        imports=Imports(module),
        params={},
        steps={},
        pipelines={},
        scopes=metadata[ScopeProvider],
        parents=metadata[ParentNodeProvider],
        positions=metadata[PositionProvider],
    )
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            _class(legacy, stmt)
        elif isinstance(stmt, cst.FunctionDef):
            _function(legacy, stmt)
    return legacy


# ---------------------------------------------------------------------- classes
def _class(legacy: Legacy, node: cst.ClassDef) -> None:
    imports = legacy.imports
    bases = [b.value for b in node.bases]
    if any(imports.is_(b, BASE_PARAMETERS) or dotted(b) in legacy.params for b in bases):
        legacy.params[node.name.value] = _params_class(legacy, node)
    elif any(imports.is_(b, BASE_STEP) or dotted(b) in legacy.steps for b in bases):
        entry = method(node, "entrypoint")
        if entry is not None:
            legacy.steps[node.name.value] = _step(legacy, node.name.value, node.name.value, "class", node, entry)
    elif legacy_pipeline(imports, node) is not None:
        legacy.pipelines[node.name.value] = legacy_pipeline(imports, node)


def _params_class(legacy: Legacy, node: cst.ClassDef) -> ParamsClass:
    name = node.name.value
    result = ParamsClass(name=name, node=node, fields=[])
    bases = [b for b in node.bases]
    if len(bases) != 1 or bases[0].keyword is not None or not legacy.imports.is_(bases[0].value, BASE_PARAMETERS):
        result.reason = f"`{name}` inherits from another parameters class or sets class options"
    if node.decorators:
        result.reason = f"`{name}` is decorated"
    for stmt in node.body.body:
        if is_docstring(stmt):
            continue
        if isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, cst.Pass) for s in stmt.body):
            continue
        if (
            isinstance(stmt, cst.SimpleStatementLine)
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.AnnAssign)
            and isinstance(stmt.body[0].target, cst.Name)
        ):
            ann = stmt.body[0]
            fname = ann.target.value
            annotation = ann.annotation.annotation
            if "ClassVar" in (dotted(annotation) or dotted(getattr(annotation, "value", None)) or ""):
                result.reason = result.reason or f"`{name}.{fname}` is a ClassVar"
                continue
            if ann.value is not None and not is_constant(ann.value):
                result.reason = result.reason or (
                    f"the default of `{name}.{fname}` is not a literal, so it cannot move into the step's signature"
                )
            leading = [line.comment.value for line in stmt.leading_lines if line.comment is not None]
            trailing = stmt.trailing_whitespace.comment
            result.fields.append(Field(fname, annotation, ann.value, leading, trailing.value if trailing else None))
            continue
        result.reason = result.reason or f"`{name}` has more than plain fields (validators, methods or config)"
    return result


# ---------------------------------------------------------------------- functions
def _function(legacy: Legacy, node: cst.FunctionDef) -> None:
    pipe = legacy_pipeline(legacy.imports, node)
    if pipe is not None:
        legacy.pipelines[node.name.value] = pipe
        return
    for dec in node.decorators:
        target, args = decorator_call(dec)
        if legacy.imports.is_(target, STEP):
            step_name: str | None = node.name.value
            for arg in args or ():
                if arg.keyword is not None and arg.keyword.value == "name":
                    step_name = string_value(arg.value)
            legacy.steps[node.name.value] = _step(legacy, node.name.value, step_name, "function", node, node)
            return


def _step(
    legacy: Legacy,
    name: str,
    step_name: str | None,
    kind: str,
    node: cst.FunctionDef | cst.ClassDef,
    func: cst.FunctionDef,
) -> StepDef:
    params = func.params
    args = list(params.params)
    if kind == "class" and args and args[0].name.value == "self":
        args = args[1:]
    plain = not (
        params.star_arg is not cst.MaybeSentinel.DEFAULT
        or params.kwonly_params
        or params.star_kwarg
        or params.posonly_params
    )
    params_arg = params_class = None
    for p in args:
        ann = dotted(p.annotation.annotation) if p.annotation is not None else None
        if ann is not None and ann in legacy.params:
            params_arg, params_class = p.name.value, ann
            break
    return StepDef(
        name=name,
        step_name=step_name,
        kind=kind,
        node=node,
        func=func,
        args=args,
        params_arg=params_arg,
        params_class=params_class,
        plain=plain,
        imports=legacy.imports,
    )
