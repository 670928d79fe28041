import numpy as np

from framework.steps import BaseParameters, step


@step
def reference_batch() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(200, 3))


class BatchParams(BaseParameters):
    shift: float = 0.0
    seed: int = 1


@step
def current_batch(params: BatchParams) -> np.ndarray:
    return np.random.default_rng(params.seed).normal(loc=params.shift, size=(100, 3))
