"""Which local names refer to framework's step and pipeline APIs (legacy and new).

``Imports`` maps every module-level import to its qualified name, so ``@pipeline``,
``@fw.pipelines.pipeline`` or ``from framework.pipelines import pipeline as legacy``
are all recognised as the legacy decorator.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.nodes import dotted

STEP = frozenset({"framework.steps.step", "framework.step"})
BASE_STEP = frozenset({"framework.steps.BaseStep", "framework.BaseStep"})
BASE_STEP_CONFIG = frozenset({
    "framework.steps.BaseStepConfig", "framework.BaseStepConfig", "framework.steps.base_step_config.BaseStepConfig",
})  # the 0.2x name of BaseParameters
BASE_PARAMETERS = frozenset({
    "framework.steps.BaseParameters", "framework.BaseParameters", "framework.steps.base_parameters.BaseParameters",
}) | BASE_STEP_CONFIG
STEP_CONTEXT = frozenset({"framework.steps.StepContext", "framework.StepContext", "framework.steps.step_context.StepContext"})
LEGACY_PIPELINE = frozenset({"framework.pipelines.pipeline"})
BASE_PIPELINE = frozenset({"framework.pipelines.BasePipeline"})
NEW_PIPELINE = frozenset({"framework.pipelines.new.pipeline", "framework.pipeline"})

_STAR_EXPORTS = {
    "framework.steps": ("step", "BaseStep", "BaseParameters", "BaseStepConfig", "Output", "StepContext"),
    "framework.pipelines": ("pipeline", "BasePipeline"),
    "framework.pipelines.new": ("pipeline",),
}


class Imports:
    """Local name -> qualified name for everything imported at module level."""

    def __init__(self, module: cst.Module) -> None:
        self.aliases: dict[str, str] = {}
        for stmt in _module_level_statements(module):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                    self._from(small)
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        full = dotted(alias.name) or ""
                        if alias.asname is not None:
                            self.aliases[dotted(alias.asname.name) or ""] = full
                        else:
                            head = full.split(".")[0]
                            self.aliases[head] = head

    def _from(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) or ""
        if isinstance(node.names, cst.ImportStar):
            for name in _STAR_EXPORTS.get(module, ()):
                self.aliases[name] = f"{module}.{name}"
            return
        for alias in node.names:
            name = dotted(alias.name) or ""
            local = dotted(alias.asname.name) if alias.asname is not None else name
            self.aliases[local or name] = f"{module}.{name}"

    def resolve(self, expr: cst.BaseExpression | None) -> str | None:
        """The qualified name an expression like ``pipeline`` or ``fw.steps.step`` refers to."""
        text = dotted(expr)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        if head not in self.aliases:
            return None
        qualified = self.aliases[head]
        return f"{qualified}.{rest}" if rest else qualified

    def is_(self, expr: cst.BaseExpression | None, names: frozenset[str]) -> bool:
        return self.resolve(expr) in names

    def locals_of(self, names: frozenset[str]) -> list[str]:
        return [local for local, q in self.aliases.items() if q in names]


def _module_level_statements(module: cst.Module):
    """Simple statement lines at module level, also inside module-level if/try blocks."""
    stack = list(module.body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, cst.SimpleStatementLine):
            yield stmt
        elif isinstance(stmt, (cst.If, cst.Try)):
            stack[:0] = list(stmt.body.body)
            orelse = getattr(stmt, "orelse", None)
            if orelse is not None:
                stack.extend(orelse.body.body if hasattr(orelse.body, "body") else [])
            for handler in getattr(stmt, "handlers", ()):
                stack.extend(handler.body.body)
