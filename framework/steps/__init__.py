"""Steps, their parameters and outputs: shared by the legacy and the function pipeline APIs."""

from framework.steps.base_parameters import BaseParameters
from framework.steps.base_step import BaseStep
from framework.steps.decorator import step
from framework.steps.output import Output

__all__ = ["BaseParameters", "BaseStep", "Output", "step"]
