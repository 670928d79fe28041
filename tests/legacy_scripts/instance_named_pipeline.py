"""Instances named like the decorator (`pipeline = ...`) and like the pipeline (`p = p(...)`), as ZenML's examples do."""

import numpy as np

from framework.pipelines import pipeline
from framework.steps import step


@step
def importer() -> np.ndarray:
    return np.arange(6.0)


@step
def scaler(values: np.ndarray) -> np.ndarray:
    return values / values.max()


@step
def total(values: np.ndarray) -> float:
    return float(values.sum())


@pipeline
def scaling_pipeline(importer, scaler):
    values = importer()
    scaler(values)


@pipeline
def summing_pipeline(importer, total):
    total(importer())


pipeline = scaling_pipeline(importer=importer(), scaler=scaler())
pipeline.run()

summing_pipeline = summing_pipeline(importer=importer(), total=total())
summing_pipeline.run(unlisted=False)
