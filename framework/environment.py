"""``Environment().step_environment``: the running step's names, for legacy code.

Kept so old steps read ``pipeline_name``, ``run_name`` and ``step_name`` as they did; new
code asks ``framework.get_step_context()``, which this reads.
"""

from __future__ import annotations

from framework.steps.context import get_step_context


class StepEnvironment:
    """The names of the step running now (a snapshot taken when it is asked for)."""

    def __init__(self, pipeline_name: str | None, run_name: str | None, step_name: str) -> None:
        self.pipeline_name = pipeline_name
        self.run_name = run_name
        self.step_name = step_name

    def __repr__(self) -> str:
        return (f"StepEnvironment(pipeline_name={self.pipeline_name!r}, run_name={self.run_name!r}, "
                f"step_name={self.step_name!r})")


class Environment:
    """Legacy entry point; only ``step_environment`` is provided."""

    @property
    def step_environment(self) -> StepEnvironment:
        """The running step's names; ``StepContextError`` outside a running step."""
        context = get_step_context()
        return StepEnvironment(context.pipeline_name, context.run_name, context.step_name)
