"""Instantiation inside main(): a loop over values and a CLI-style default, both become pipeline arguments."""

import numpy as np

from framework.pipelines import pipeline
from framework.steps import BaseParameters, step


class PowerParams(BaseParameters):
    exponent: int = 2


@step
def numbers() -> np.ndarray:
    return np.arange(1, 6, dtype=np.int64)


@step
def power(params: PowerParams, values: np.ndarray) -> np.ndarray:
    return values**params.exponent


@pipeline
def power_pipeline(step_1, step_2):
    step_2(step_1())


def main() -> None:
    for exponent in (1, 2, 3):
        instance = power_pipeline(step_1=numbers(), step_2=power(PowerParams(exponent=exponent)))
        instance.run(run_name=f"power_{exponent}_{{date}}_{{time}}")


if __name__ == "__main__":
    main()
