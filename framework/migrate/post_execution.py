"""Reading runs back: ``framework.post_execution`` and ``MyPipeline.get_runs()`` -> ``Client``.

The legacy views keep working, but they belong to the legacy API; the
function-API way is ``Client``. The two agree on almost everything (pipelines'
``.runs`` newest first, ``.status``, ``.parameters``, ``.outputs``, ...), so the
rewrite touches only where they differ:

=====================================  ==============================================
legacy                                 Client
=====================================  ==============================================
``get_pipeline("p")`` / ``(pipeline=P)``  ``Client().get_pipeline("p")`` (a pipeline class
                                       or instance of this file: by its name)
``get_run("r")``, ``get_pipelines()``  ``Client().get_run("r")``, ``Client().list_pipelines()``
``P.get_runs()``, ``inst.get_runs()``  ``Client().get_pipeline("p").runs``
``p.get_run("r")``, ``p.num_runs``     ``Client().get_run("r")``, ``len(p.runs)``
``run.get_step(step="s")``             ``run.steps["s"]`` (a slot name is then mapped to
                                       its step by the pipeline migration)
``run.get_step_names()``               ``list(run.steps)``
``run.steps[-1]``, ``for s in run.steps``  ``list(run.steps.values())[-1]``, ``run.steps.values()``
``run.steps`` as a value               ``list(run.steps.values())`` (``len(run.steps)`` stays)
``step.entrypoint_name``               ``step.name`` (a ``Client`` step view's name is the
                                       step's own name, which ``entrypoint_name`` was)
``step.output.read()``                 ``step.output.load()``
``get_unlisted_runs()``                ``Client().list_runs(unlisted=True)`` (newest first
                                       in both)
=====================================  ==============================================

``P.get_runs()`` on the class gave every run of the pipeline, on an instance only the
runs of the instance's version (its wiring). The version of a function pipeline is
only known once it is compiled, so both become every run of the pipeline; the guide
says how to keep one version's runs.

Which expressions are legacy views is worked out in ``run_views``. What has no
``Client`` equivalent gets a TODO: ``get_pipeline(..., version=...)``, a step view's
``.input``, and a ``get_pipeline`` argument that may be a pipeline defined in a module
that is not migrated with this one.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy, analyse
from framework.migrate.framework_names import Imports
from framework.migrate.import_tools import can_bind, finish_imports
from framework.migrate.nodes import code, kwarg, parse_expr
from framework.migrate.run_views import ARTIFACT, PE, PIPELINE, RUN, STEP, STEPS, Kinds, post_execution_call
from framework.migrate.transform import Plan, apply

CLIENT = {"framework.client.Client", "framework.Client"}
_NO_INPUT = "`Client` step views have no `.input`: use `.inputs[<input name>]`"


def rewrite(module: cst.Module, imported: dict[str, str | None] | None = None) -> cst.Module:
    """``imported``: local names of legacy pipelines this module imports from others -> their run names."""
    if not any(q.startswith(PE) for q in Imports(module).aliases.values()) and ".get_runs(" not in module.code:
        return module
    legacy = analyse(module)
    if not can_bind(legacy, "Client", CLIENT):
        return module  # `Client` is some other name here: the legacy views keep working
    kinds = Kinds(legacy, _pipeline_names(legacy, imported or {}), imported or {})
    plan = Plan()
    finder = _Find()
    legacy.module.visit(finder)
    for call in finder.calls:
        _call(legacy, plan, kinds, call)
    for attr in finder.attributes:
        _attribute(legacy, plan, kinds, attr)
    if plan.empty():
        return module
    prune = {local for local, q in legacy.imports.aliases.items() if q == PE or q.startswith(PE + ".")}
    return finish_imports(apply(legacy.module, plan), [("framework.client", "Client")], prune)


def _pipeline_names(legacy: Legacy, imported: dict[str, str | None]) -> dict[int, str | None]:
    """Bindings of legacy pipelines of this file and of their instances -> the name runs are stored under."""
    names: dict[int, str | None] = {}
    known = [(p.name, p.node, p.pipeline_name) for p in legacy.pipelines.values()]
    known += [(local, None, name) for local, name in imported.items()]
    for local, node, pipeline_name in known:
        if node is not None:
            names[id(node)] = pipeline_name
        for ref in legacy.references(local, node):
            call = legacy.parent(ref)
            assign = legacy.parent(call) if isinstance(call, cst.Call) and call.func is ref else None
            if isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1:
                target = assign.targets[0].target
                if isinstance(target, cst.Name):
                    names[id(target)] = pipeline_name
    return names


class _Find(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.attributes: list[cst.Attribute] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)


def _client(method: str, args: list[cst.Arg]) -> cst.Call:
    return cst.Call(func=parse_expr(f"Client().{method}"), args=args)


def _argument(call: cst.Call, keyword: str) -> cst.Arg | None:
    """The first positional argument, or the one named ``keyword``."""
    for arg in call.args:
        if not arg.star and (arg.keyword is None or arg.keyword.value == keyword):
            return arg
    return None


def _plain(arg: cst.Arg) -> cst.Arg:
    return arg.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT, comma=cst.MaybeSentinel.DEFAULT)


def _get_pipeline(legacy: Legacy, plan: Plan, kinds: Kinds, call: cst.Call) -> None:
    """``get_pipeline(x)`` → ``Client().get_pipeline("<name>")`` when the name is known."""
    statement = legacy.statement_of(call)
    arg = _argument(call, "pipeline")
    others = [a for a in call.args if a is not arg]  # `get_pipeline(pipeline, version=None)`
    if arg is None or len(others) > 1 or any(a.star or (a.keyword and a.keyword.value != "version") for a in others):
        return  # not a call the legacy function accepts: leave it to fail as it did
    if any(code(a.value) != "None" for a in others):
        plan.todo(statement, "`Client().get_pipeline(name)` has no `version=`: take the runs of that version "
                  "from `.runs` (each run has `.version`)")
        return
    known, name = kinds.pipeline_of(arg.value)
    if known and name is None:
        plan.todo(statement, "cannot tell the name of this pipeline: use `Client().get_pipeline(\"<its name>\")`")
    elif known:
        plan.set(call, _client("get_pipeline", [cst.Arg(parse_expr(_quote(name)))]))
    elif kinds.is_str(arg.value):
        position = call.args.index(arg)
        plan.set(call, lambda u: _client("get_pipeline", [_plain(u.args[position])]))
    else:
        plan.todo(statement, f"if `{code(arg.value)}` is a pipeline, not its name, use "
                  f"`Client().get_pipeline(\"<its name>\")`; then replace `get_pipeline` by it")


def _call(legacy: Legacy, plan: Plan, kinds: Kinds, call: cst.Call) -> None:
    statement = legacy.statement_of(call)
    called = post_execution_call(legacy, call)
    if called == "get_pipeline":
        _get_pipeline(legacy, plan, kinds, call)
        return
    if called == "get_run":
        _by_name(plan, call, "run_name", "get_run")
    elif called == "get_pipelines" and not call.args:
        plan.set(call, _client("list_pipelines", []))
    elif called == "get_unlisted_runs" and not call.args:
        plan.set(call, _client("list_runs", [kwarg("unlisted", cst.Name("True"))]))
    if not isinstance(call.func, cst.Attribute):
        return
    receiver, method = call.func.value, call.func.attr.value
    if method == "get_runs" and not call.args:
        known, name = kinds.pipeline_of(receiver)
        if known and name is not None:
            plan.set(call, parse_expr(f"Client().get_pipeline({_quote(name)}).runs"))
        elif known:
            plan.todo(statement, "cannot tell the name of this pipeline: use `Client().get_pipeline(\"<its name>\").runs`")
        return
    kind = kinds.kind(receiver)
    if kind == PIPELINE and method == "get_run":
        _by_name(plan, call, "run_name", "get_run")
    elif kind == RUN and method == "get_step" and _argument(call, "step") is not None:
        k = call.args.index(_argument(call, "step"))
        plan.set(call, lambda u: cst.Subscript(
            value=cst.Attribute(value=u.func.value, attr=cst.Name("steps")),
            slice=[cst.SubscriptElement(cst.Index(_plain(u.args[k]).value))],
        ))
    elif kind == RUN and method == "get_step_names" and not call.args:
        plan.set(call, lambda u: cst.Call(
            func=cst.Name("list"), args=[cst.Arg(cst.Attribute(value=u.func.value, attr=cst.Name("steps")))]
        ))
    elif kind == ARTIFACT and method == "read":
        plan.set(call.func, lambda u: u.with_changes(attr=cst.Name("load")))


def _by_name(plan: Plan, call: cst.Call, keyword: str, method: str) -> None:
    arg = _argument(call, keyword)
    if arg is None or len(call.args) != 1:
        return
    plan.set(call, lambda u: _client(method, [_plain(u.args[0])]))


def _attribute(legacy: Legacy, plan: Plan, kinds: Kinds, attr: cst.Attribute) -> None:
    kind = kinds.kind(attr.value)
    name = attr.attr.value
    if kind == PIPELINE and name == "num_runs":
        plan.set(attr, lambda u: parse_expr("len(x.runs)").with_changes(
            args=[cst.Arg(cst.Attribute(value=u.value, attr=cst.Name("runs")))]
        ))
    elif kind == STEP and name == "entrypoint_name":
        plan.set(attr, lambda u: u.with_changes(attr=cst.Name("name")))
    elif kind == STEP and name == "input":
        plan.todo(legacy.statement_of(attr), _NO_INPUT)
    elif kinds.kind(attr) == STEPS:
        _steps(legacy, plan, attr)


def _steps(legacy: Legacy, plan: Plan, attr: cst.Attribute) -> None:
    """A legacy run's ``.steps`` list, in the context it is used in."""
    parent = legacy.parent(attr)
    if isinstance(parent, cst.Subscript) and parent.value is attr:
        index = parent.slice[0].slice if len(parent.slice) == 1 else None
        if isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.ConcatenatedString)):
            return  # `run.steps["x"]` already reads like a mapping
    elif isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is attr:
        plan.set(attr, lambda u: cst.Call(func=cst.Attribute(value=u, attr=cst.Name("values"))))
        return
    elif isinstance(parent, cst.Arg):
        call = legacy.parent(parent)
        if isinstance(call, cst.Call) and code(call.func) == "len" and len(call.args) == 1:
            return
    plan.set(attr, lambda u: cst.Call(
        func=cst.Name("list"), args=[cst.Arg(cst.Call(func=cst.Attribute(value=u, attr=cst.Name("values"))))]
    ))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

