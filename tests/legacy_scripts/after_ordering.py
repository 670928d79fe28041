"""Explicit ordering with `.after()` between steps that share no data."""

import numpy as np

from framework.pipelines import pipeline
from framework.steps import step


@step
def make_numbers() -> np.ndarray:
    return np.arange(10, dtype=np.int64)


@step
def write_marker() -> int:
    return 1


@step
def total(numbers: np.ndarray) -> int:
    return int(numbers.sum())


@pipeline
def ordered_pipeline(first, second, third):
    third.after(second)
    numbers = first()
    second()
    third(numbers)
    second.after(first)


if __name__ == "__main__":
    instance = ordered_pipeline(
        first=make_numbers(),
        second=write_marker(name="marker"),
        third=total(),
    )
    instance.run(run_name="ordered_{{date}}_{{time}}")
