"""Steps, their parameters and outputs: shared by the legacy and the function pipeline APIs."""

from typing import Any

from framework.steps.base_step import BaseStep
from framework.steps.context import StepContext
from framework.steps.decorator import step
from framework.steps.output import Output

__all__ = ["BaseParameters", "BaseStep", "BaseStepConfig", "Output", "StepContext", "step"]


def __getattr__(name: str) -> Any:
    # BaseParameters is a pydantic model class: created on first use, not at import
    # (creating any model class loads much of pydantic, ~40 ms). BaseStepConfig is its
    # legacy name.
    if name in ("BaseParameters", "BaseStepConfig"):
        from framework.steps.base_parameters import BaseParameters

        return BaseParameters
    raise AttributeError(f"module 'framework.steps' has no attribute {name!r}")
