"""Step options at instantiation: `.configure(enable_cache=False)`, `name=`, a step instance variable."""

import numpy as np

from framework.pipelines import pipeline
from framework.steps import step


@step
def load() -> np.ndarray:
    return np.linspace(0.0, 1.0, 11)


@step
def double(values: np.ndarray) -> np.ndarray:
    return values * 2


@step
def summarize(values: np.ndarray) -> float:
    return float(values.sum())


@pipeline
def configured_pipeline(step_1, step_2, step_3):
    data = step_1()
    doubled = step_2(data)
    step_3(doubled)


doubler = double(name="double_it")

configured_pipeline(
    step_1=load().configure(enable_cache=False),
    step_2=doubler,
    step_3=summarize(enable_cache=False).configure(name="summary"),
).run(run_name="configured_{{date}}_{{time}}")

# read the result back the legacy way: by slot name, with `.read()`
from framework.client import get_pipeline  # noqa: E402

last_run = get_pipeline("configured_pipeline").runs[0]
assert abs(last_run.steps["step_3"].output.read() - 11.0) < 1e-9
print("summary:", last_run.steps["step_3"].output.read())
