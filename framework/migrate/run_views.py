"""Which expressions hold legacy post-execution views: a pipeline, its runs, a run, its steps, a step.

The legacy views (``framework.post_execution``) and the ``Client`` views mostly
share their attributes; they differ where a run's steps are a *list* (legacy:
``run.steps[-1]``, iterating yields step views) and a *mapping* (``Client``:
``run.steps["trainer"]``, iterating yields names). So the rewrite must know which
expressions are legacy runs, which it tells by following the code: the result of
``get_pipeline(...)`` is a pipeline view, its ``.runs`` a run list, an item of
that a run, and so on, through variables (``run = p.runs[0]``), loops (``for run
in p.runs``) and comprehensions. Anything else is unknown and left alone.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.analysis import Legacy
from framework.migrate.bindings import binding_of
from framework.migrate.nodes import dotted, string_value

PE = "framework.post_execution"
PIPELINE, PIPELINES, RUNS, RUN, STEPS, STEP, ARTIFACT = (
    "pipeline", "pipelines", "runs", "run", "steps", "step", "artifact"
)
CALLS = {
    f"{PE}.get_pipeline": PIPELINE,
    f"{PE}.get_pipelines": PIPELINES,
    f"{PE}.get_run": RUN,
    f"{PE}.get_unlisted_runs": RUNS,
}
ITEM = {PIPELINES: PIPELINE, RUNS: RUN, STEPS: STEP}  # what indexing or iterating yields
_MEMBER = {(PIPELINE, "runs"): RUNS, (RUN, "steps"): STEPS, (STEP, "output"): ARTIFACT}
_METHOD = {(PIPELINE, "get_run"): RUN, (RUN, "get_step"): STEP}


def post_execution_call(legacy: Legacy, call: cst.Call) -> str | None:
    """``"get_pipeline"`` etc. when ``call`` calls a ``framework.post_execution`` function."""
    qualified = legacy.imports.resolve(call.func) or ""
    return qualified.rsplit(".", 1)[-1] if qualified in CALLS else None


class Kinds:
    """``kind(expr)``: one of the kinds above, or None when unknown."""

    def __init__(self, legacy: Legacy, pipeline_names: dict[int, str | None],
                 imported: dict[str, str | None] | None = None) -> None:
        self.legacy = legacy
        self.pipeline_names = pipeline_names  # id(binding node) of a legacy pipeline or instance -> its name
        self.imported = imported or {}  # local names of legacy pipelines imported from the project -> names
        self._memo: dict[int, str | None] = {}

    def pipeline_of(self, expr: cst.BaseExpression) -> tuple[bool, str | None]:
        """(whether ``expr`` is a legacy pipeline of this file or an instance of one, its run name)."""
        if not isinstance(expr, cst.Name):
            return False, None
        bound = binding_of(self.legacy, expr)
        if isinstance(bound, (cst.Import, cst.ImportFrom)) and expr.value in self.imported:
            return True, self.imported[expr.value]
        if bound is None or id(bound) not in self.pipeline_names:
            return False, None
        return True, self.pipeline_names[id(bound)]

    def kind(self, expr: cst.BaseExpression) -> str | None:
        key = id(expr)
        if key not in self._memo:
            self._memo[key] = None  # cycles (`run = run.x`) stay unknown
            self._memo[key] = self._kind(expr)
        return self._memo[key]

    def _kind(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute):
                receiver, name = expr.func.value, expr.func.attr.value
                if name == "get_runs" and self.pipeline_of(receiver)[0]:
                    return RUNS
                found = _METHOD.get((self.kind(receiver), name))
                if found:
                    return found
            called = post_execution_call(self.legacy, expr)
            return CALLS[f"{PE}.{called}"] if called else None
        if isinstance(expr, cst.Attribute):
            return _MEMBER.get((self.kind(expr.value), expr.attr.value))
        if isinstance(expr, cst.Subscript):
            value = expr.value
            if isinstance(value, cst.Attribute) and value.attr.value == "outputs" and self.kind(value.value) == STEP:
                return ARTIFACT
            inner = self.kind(value)
            if inner in ITEM and len(expr.slice) == 1:
                index = expr.slice[0].slice
                if isinstance(index, cst.Slice):
                    return inner
                return ITEM[inner] if string_value(index.value) is None else None
            return None
        if isinstance(expr, cst.Name):
            return self._name(expr)
        return None

    def _name(self, ref: cst.Name) -> str | None:
        bound = binding_of(self.legacy, ref)
        if not isinstance(bound, cst.Name):
            return None
        parent = self.legacy.parent(bound)
        if isinstance(parent, cst.AssignTarget):
            assign = self.legacy.parent(parent)
            return self.kind(assign.value) if len(assign.targets) == 1 else None
        if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)) and parent.target is bound and parent.value is not None:
            return self.kind(parent.value)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is bound:
            return ITEM.get(self.kind(parent.iter))
        return None

    def is_str(self, expr: cst.BaseExpression) -> bool:
        """Whether ``expr`` is certainly a string (a literal, an f-string, a str variable, ``.name``)."""
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
        if isinstance(expr, cst.Attribute) and expr.attr.value == "name":
            return True
        if isinstance(expr, cst.Name):
            bound = binding_of(self.legacy, expr)
            if isinstance(bound, cst.Param):
                return bound.annotation is not None and dotted(bound.annotation.annotation) == "str"
            parent = self.legacy.parent(bound) if bound is not None else None
            if isinstance(parent, cst.AssignTarget):
                assign = self.legacy.parent(parent)
                return len(assign.targets) == 1 and self.is_str(assign.value)
        return False
