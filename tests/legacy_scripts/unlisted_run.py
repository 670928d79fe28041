"""Ad-hoc runs kept out of the pipeline's run list: `.run(unlisted=True)`."""

import numpy as np

from framework.client import Client
from framework.pipelines import pipeline
from framework.post_execution import get_unlisted_runs
from framework.steps import step


@step
def sample() -> np.ndarray:
    return np.random.default_rng(11).integers(0, 100, size=50)


@step
def histogram(values: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=5, range=(0, 100))
    return counts


@pipeline
def histogram_pipeline(source, binner):
    binner(source())


histogram_pipeline(source=sample(), binner=histogram()).run(run_name="histogram_listed")

# a quick experiment that should not show up among the pipeline's runs
histogram_pipeline(source=sample(), binner=histogram()).run(run_name="histogram_scratch", unlisted=True)

listed = Client().get_pipeline("histogram_pipeline").runs
print("listed:", [r.name for r in listed])
print("unlisted:", [r.name for r in get_unlisted_runs()])
assert [r.name for r in listed] == ["histogram_listed"]
assert [r.name for r in get_unlisted_runs()] == ["histogram_scratch"]
