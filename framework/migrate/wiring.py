"""Where legacy pipelines are instantiated and run, and which step instance fills each slot.

A legacy pipeline is only half a definition: its body calls slots, and the
instantiation ``first_pipeline(step_1=loader(), step_2=trainer(P(gamma=0.01)))``
says which step (with which parameters and options) each slot stands for. This
module finds every instantiation, reads each slot's step expression
(``trainer(...)``, ``trainer().configure(...)``, or a variable bound to one) and
every ``.run(...)`` made on the resulting instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import GlobalScope

from framework.migrate.analysis import Legacy, LegacyPipeline, StepDef
from framework.migrate.bindings import assignment_of, binding_of, name_binding
from framework.migrate.errors import Unsupported
from framework.migrate.factories import factory_sites, substituted
from framework.migrate.instances import instance_uses
from framework.migrate.nodes import arg_comments, code, dotted, string_value
from framework.migrate.step_options import configure_arg, step_arg


@dataclass
class StepUse:
    """The step instance wired into one slot of one instantiation."""

    expr: cst.BaseExpression  # the slot's argument as written
    callee: cst.BaseExpression  # what to call in the new pipeline: `trainer`, `mod.Trainer`, `trainer_instance`
    step: StepDef | None  # its definition, when it is in this file
    params_obj: cst.BaseExpression | None = None  # the BaseParameters object given at instantiation
    parameters: dict[str, cst.BaseExpression] = field(default_factory=dict)  # configure(parameters={...})
    options: dict[str, cst.Arg] = field(default_factory=dict)  # name=, enable_cache=, ... (last one wins)
    opaque: bool = False  # `callee` is a ready-made instance variable: call it as it is
    folded: list[cst.Name] = field(default_factory=list)  # instance variables resolved to their expression
    references: list[cst.Name] = field(default_factory=list)  # step-name references this use accounts for
    comments: list[str] = field(default_factory=list)  # inside the slot argument or at the end of its line
    leading: list[str] = field(default_factory=list)  # comment lines above the slot argument
    opaque_name: str | None = None  # the step name of an opaque instance, when it can be read

    @property
    def key(self) -> str:
        """Two uses with the same key need the same function-API pipeline code (values aside)."""
        opts = ",".join(f"{k}={code(a.value)}" for k, a in sorted(self.options.items()))
        return f"{code(self.callee)}|{opts}|{'opaque' if self.opaque else ''}"

    @property
    def step_name(self) -> str | None:
        if "name" in self.options:
            return string_value(self.options["name"].value)
        if self.step is not None and not self.opaque:
            return self.step.step_name
        if self.opaque:
            return self.opaque_name
        text = dotted(self.callee)
        return text.split(".")[-1] if text else None


@dataclass
class RunCall:
    call: cst.Call  # the `.run(...)` call
    instantiation: "Instantiation"


@dataclass
class Instantiation:
    pipeline: LegacyPipeline
    call: cst.Call  # the call that makes the instance (a factory's call site: `build(0.1)`)
    statement: cst.CSTNode
    legacy: Legacy | None = None  # the module it is in (a project's pipeline may be run from another)
    wiring: cst.Call | None = None  # the `p(step_1=..., ...)` call its slots are read from (default: `call`)
    target: cst.Name | None = None  # `inst` in `inst = first_pipeline(...)`
    slots: dict[str, StepUse] = field(default_factory=dict)
    runs: list[RunCall] = field(default_factory=list)
    configures: list[cst.Call] = field(default_factory=list)  # `inst.configure(...)` before it runs
    given: frozenset[str] = frozenset()  # the slot keywords given (what `"slot" in kwargs` tests)
    kept: bool = False  # the instance is used like a pipeline object: it stays a (function-API) one
    factory: cst.FunctionDef | None = None  # the function that returned the instance, inlined here
    substitute: dict[str, cst.BaseExpression] = field(default_factory=dict)  # its parameters -> arguments


@dataclass
class PipelineUses:
    pipeline: LegacyPipeline
    instantiations: list[Instantiation] = field(default_factory=list)
    blockers: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # keep the pipeline legacy
    notes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # TODOs that do not block

    def merge(self, other: "PipelineUses") -> None:
        self.instantiations += other.instantiations
        self.blockers += other.blockers
        self.notes += other.notes


def collect(legacy: Legacy, pipe: LegacyPipeline, local: str | None = None) -> PipelineUses:
    """The uses of ``pipe`` in the module of ``legacy``: where it is defined, or where it is imported as ``local``."""
    uses = PipelineUses(pipe)
    name = local or pipe.name
    binding = pipe.node if local is None else _import_binding(legacy, local)
    for ref in legacy.references(name, binding):
        bound = binding_of(legacy, ref)
        if bound is not None and bound is not binding:
            continue  # the name was rebound (`my_pipeline = my_pipeline(...)`): this reads the instance
        parent = legacy.parent(ref)
        if isinstance(parent, cst.Call) and parent.func is ref:
            try:
                uses.instantiations += _instantiations(legacy, pipe, parent)
            except Unsupported as exc:
                uses.blockers.append((exc.node, exc.message))
        else:
            uses.notes.append(
                (
                    ref,
                    f"`{name}` is used here as a legacy pipeline class; it is now a function-API pipeline: "
                    f"call it to run it, `{name}.with_options(...)` to configure a run",
                )
            )
    return uses


def never_instantiated(pipe: LegacyPipeline, where: str = "in this file") -> tuple[cst.CSTNode, str]:
    return (
        pipe.node,
        f"legacy pipeline `{pipe.name}` is never instantiated {where}, so which step fills each slot "
        f"is unknown: rewrite it as a function-API pipeline that calls the steps directly",
    )


def _import_binding(legacy: Legacy, local: str) -> cst.CSTNode | None:
    scope = legacy.global_scope()
    for assignment in scope.assignments[local] if scope is not None else ():
        if isinstance(getattr(assignment, "node", None), (cst.Import, cst.ImportFrom)):
            return assignment.node
    return None


# ---------------------------------------------------------------------- instantiation
def _instantiations(legacy: Legacy, pipe: LegacyPipeline, call: cst.Call) -> list[Instantiation]:
    if isinstance(legacy.parent(call), cst.Return):  # `def build(x): return p(...)`: each call of build
        factory, sites = factory_sites(legacy, pipe, call)
        return [
            _instantiation(legacy, Instantiation(pipe, site, legacy.statement_of(site), legacy=legacy, wiring=call,
                                                 factory=factory, substitute=values))
            for site, values in sites
        ]
    return [_instantiation(legacy, Instantiation(pipe, call, legacy.statement_of(call), legacy=legacy))]


def _instantiation(legacy: Legacy, inst: Instantiation) -> Instantiation:
    pipe, call, statement = inst.pipeline, inst.call, inst.statement
    parent = legacy.parent(call)
    grand = legacy.parent(parent) if parent is not None else None
    if isinstance(parent, cst.Attribute) and parent.attr.value == "run" and isinstance(grand, cst.Call) and grand.func is parent:
        inst.runs.append(RunCall(grand, inst))
    elif isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is call:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            raise Unsupported(statement, f"the `{pipe.name}` instance is unpacked or stored in an attribute")
        inst.target = targets[0]
        found = instance_uses(legacy, pipe, inst.target)
        inst.runs = [RunCall(run, inst) for run in found.runs]
        inst.configures, inst.kept = found.configures, found.kept
    elif isinstance(parent, cst.Expr):
        pass  # instantiated for nothing: the wiring moves into the pipeline
    else:
        raise Unsupported(
            statement,
            f"`{pipe.name}(...)` is instantiated inside an expression; assign the instance to a variable "
            "or call `.run()` on it directly",
        )
    _bind_slots(legacy, inst)
    return inst


def _bind_slots(legacy: Legacy, inst: Instantiation) -> None:
    pipe, call = inst.pipeline, inst.wiring or inst.call
    where = legacy.statement_of(call)
    exprs: dict[str, cst.Arg] = {}
    positional = [a for a in call.args if a.keyword is None]
    for arg in call.args:
        if arg.star:
            raise Unsupported(where, f"`{pipe.name}(...)` is given *args/**kwargs; name each step slot")
    named = [p.name.value for p in pipe.func.params.params if p.name.value != "self"]
    if len(positional) > len(named):
        raise Unsupported(where, f"`{pipe.name}(...)` gets more steps than it has slots")
    for slot, arg in zip(named, positional):
        exprs[slot] = arg
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value not in pipe.slots and pipe.kwargs:
                continue  # a step `connect(self, **kwargs)` never reads is never run
            if arg.keyword.value not in pipe.slots or arg.keyword.value in exprs:
                raise Unsupported(where, f"`{pipe.name}(...)` gets an unknown or repeated slot `{arg.keyword.value}`")
            exprs[arg.keyword.value] = arg
    inst.given = frozenset(a.keyword.value for a in call.args if a.keyword is not None) | set(exprs)
    # under `**kwargs` a slot may be left out (`if "preprocessor" in kwargs:`): `optional_slots` checks the body
    missing = [s for s in pipe.slots if s not in exprs and (s in named or not pipe.kwargs)]
    if missing:
        raise Unsupported(where, f"`{pipe.name}(...)` leaves slot(s) {', '.join(missing)} empty")
    for slot in pipe.slots:
        if slot not in exprs:
            continue
        arg = exprs[slot]
        use = step_use(legacy, arg.value, where)
        use.leading, use.comments = arg_comments(call, arg)
        inst.slots[slot] = substituted(use, inst.substitute) if inst.substitute else use


def step_use(legacy: Legacy, expr: cst.BaseExpression, where: cst.CSTNode) -> StepUse:
    """Read ``trainer(P(...), name=...).configure(...)`` (or a variable bound to such) into a StepUse."""
    chain: list[cst.Call] = []
    node = expr
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("configure", "with_options")
    ):
        chain.insert(0, node)
        node = node.func.value
    if isinstance(node, cst.Name) and legacy.step_def(node.value) is None and not chain:
        return _variable(legacy, node, where)
    if not isinstance(node, cst.Call):
        if dotted(node) is not None and (legacy.step_def(dotted(node)) is not None or not chain):
            raise Unsupported(
                where,
                f"the step `{code(node)}` is passed without brackets; use `{code(node)}()`",
            )
        raise Unsupported(where, f"cannot tell which step `{code(expr)}` is")
    callee = node.func
    name = dotted(callee)
    if name is None:
        raise Unsupported(where, f"cannot tell which step `{code(expr)}` is")
    step = legacy.step_def(name)
    use = StepUse(expr=expr, callee=callee, step=step)
    if isinstance(callee, cst.Name) and step is not None:
        use.references.append(callee)
    for arg in node.args:
        step_arg(use, arg, where)
    for link in chain:
        for arg in link.args:
            configure_arg(use, arg, where)
    if step is not None and step.params_arg is None and isinstance(use.params_obj, cst.Call):
        # a parameters class imported from elsewhere: the argument annotated with it takes the object
        cls = dotted(use.params_obj.func)
        for param in step.args:
            if param.annotation is not None and dotted(param.annotation.annotation) == cls:
                step.params_arg, step.params_class = param.name.value, cls
    return use


def _variable(legacy: Legacy, name: cst.Name, where: cst.CSTNode) -> StepUse:
    """A slot filled by a variable: fold it when it only exists for the wiring, else call the instance."""
    assignment = name_binding(legacy, name)
    if assignment is None:
        raise Unsupported(where, f"cannot tell which step instance `{name.value}` is")
    value_parent = legacy.parent(assignment)
    if isinstance(value_parent, cst.AssignTarget):
        value_parent = legacy.parent(value_parent)
    statement = legacy.statement_of(assignment)
    value = value_parent.value if isinstance(value_parent, (cst.Assign, cst.AnnAssign)) else None
    refs = [a.node for a in assignment_of(legacy, assignment).references]
    only_slots = all(_is_slot_argument(legacy, r) for r in refs)
    if value is not None and only_slots:
        try:
            use = step_use(legacy, value, statement)
        except Unsupported:
            use = None
        if use is not None:
            use.folded.append(assignment)
            return use
    if isinstance(legacy.scope(assignment), GlobalScope) and len(legacy.global_scope().assignments[name.value]) == 1:
        use = StepUse(expr=name, callee=name, step=None, opaque=True)
        if value is not None:
            try:
                inner = step_use(legacy, value, statement)
            except Unsupported:
                inner = None
            if inner is not None:
                use.step = inner.step
                use.opaque_name = inner.step_name
        return use
    raise Unsupported(
        where,
        f"the step instance `{name.value}` is made in another scope or assigned twice; "
        "create it at module level or inline it into the pipeline instantiation",
    )


def _is_slot_argument(legacy: Legacy, ref: cst.CSTNode) -> bool:
    arg = legacy.parent(ref)
    call = legacy.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or arg.value is not ref:
        return False
    callee = dotted(call.func)
    return callee in legacy.pipelines or callee in legacy.imported_pipelines
