"""`framework.logger.get_logger(__name__)` at module level and inside steps."""

import numpy as np

from framework.logger import get_logger
from framework.pipelines import pipeline
from framework.steps import Output, step

logger = get_logger(__name__)


@step
def signal() -> np.ndarray:
    t = np.linspace(0, 1, 200)
    return np.sin(2 * np.pi * 5 * t) + 0.1 * np.cos(2 * np.pi * 40 * t)


@step
def smooth(values: np.ndarray) -> Output(smoothed=np.ndarray, residual_std=float):
    kernel = np.ones(9) / 9
    smoothed = np.convolve(values, kernel, mode="same")
    residual = float((values - smoothed).std())
    logger.info("Smoothed %d samples, residual std %.4f", len(values), residual)
    if residual > 1:
        logger.warning("The residual is large; check the kernel width.")
    return smoothed, residual


@step
def peaks(smoothed: np.ndarray) -> int:
    count = int(((smoothed[1:-1] > smoothed[:-2]) & (smoothed[1:-1] > smoothed[2:])).sum())
    logger.debug("found %d peaks", count)
    return count


@pipeline
def signal_pipeline(source, smoother, counter):
    values = source()
    smoothed, residual_std = smoother(values=values)
    counter(smoothed=smoothed)


logger.info("Starting the signal pipeline")
signal_pipeline(source=signal(), smoother=smooth(), counter=peaks()).run()
logger.info("Done")
