# A legacy pipeline with comments in every corner; all of them must survive.
"""Comments everywhere."""

# third-party imports
import numpy as np  # arrays

# framework imports (legacy API)
from framework.pipelines import pipeline  # the legacy decorator
from framework.steps import BaseParameters, Output, step  # step API


# parameters of the scaler
class ScaleParams(BaseParameters):
    """How to scale."""

    # multiply by this
    factor: float = 3.0  # a plain float
    shift: int = 1  # added afterwards


@step
def source() -> Output(values=np.ndarray, count=int):  # two outputs
    # a tiny array
    values = np.arange(4, dtype=np.float64)
    return values, len(values)  # tuple in output order


@step
def scale(
    params: ScaleParams,  # the parameters object
    values: np.ndarray,  # the data
) -> np.ndarray:
    # use both fields
    return values * params.factor + params.shift  # scaled


@pipeline
def commented_pipeline(step_1, step_2):
    # wire the steps
    values, count = step_1()  # load
    step_2(values)  # scale them
    # nothing else


# make the instance
instance = commented_pipeline(
    step_1=source(),  # the data source
    # the scaling step, with a larger factor
    step_2=scale(ScaleParams(factor=4.0)),
)

# run it once
instance.run(run_name="commented_{{date}}_{{time}}")  # named run
# end of file
