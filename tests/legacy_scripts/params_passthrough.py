"""Parameter objects the codemod must not flatten: used as a whole, or with a pydantic Field default."""

import numpy as np
from pydantic import Field

from framework.pipelines import pipeline
from framework.steps import BaseParameters, step


class NoiseParams(BaseParameters):
    scale: float = 1.0
    offset: float = 0.0


def describe(params: NoiseParams) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.model_dump().items()))


class ClipParams(BaseParameters):
    upper: float = Field(5.0, gt=0)


@step
def base_values() -> np.ndarray:
    return np.arange(6, dtype=np.float64)


@step
def shift(params: NoiseParams, data: np.ndarray) -> np.ndarray:
    print("shifting with", describe(params))
    return data * params.scale + params.offset


@step
def clip(params: ClipParams, data: np.ndarray) -> np.ndarray:
    return np.minimum(data, params.upper)


@pipeline
def passthrough_pipeline(source, shifter, clipper):
    data = source()
    shifted = shifter(data)
    clipper(shifted)


passthrough_pipeline(
    source=base_values(),
    shifter=shift(NoiseParams(scale=2.0, offset=0.5)),
    clipper=clip(ClipParams(upper=4.0)),
).run(run_name="passthrough_{{date}}_{{time}}")
