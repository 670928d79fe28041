"""Success and failure hooks (0.38-0.39): on a step, on the pipeline, and through `configure`."""

import numpy as np

from framework.pipelines import pipeline
from framework.steps import BaseParameters, StepContext, step

ALERTS = []


def alert_on_failure(context: StepContext, params: BaseParameters, exception: BaseException) -> None:
    """Called with whichever of the three arguments it asks for."""
    ALERTS.append(("failed", context.step_name, type(exception).__name__, params.dict()))


def alert_on_success(context: StepContext) -> None:
    ALERTS.append(("succeeded", context.step_name))


def pipeline_failure(exception: BaseException, context: StepContext) -> None:
    """The pipeline's hook: used by every step that has none of its own."""
    ALERTS.append(("pipeline saw", context.step_name, type(exception).__name__))


class BatchParams(BaseParameters):
    missing_every: int = 50


class ValidationParams(BaseParameters):
    max_missing_fraction: float = 0.1


@step
def load_batch(params: BatchParams) -> np.ndarray:
    values = np.arange(100, dtype=np.float64)
    values[:: params.missing_every] = np.nan
    return values


@step(on_failure=alert_on_failure, on_success=alert_on_success)
def validate(params: ValidationParams, data: np.ndarray) -> np.ndarray:
    missing = float(np.isnan(data).mean())
    if missing > params.max_missing_fraction:
        raise ValueError(f"{missing:.0%} of the values are missing")
    return data[~np.isnan(data)]


@step
def summarize(data: np.ndarray) -> float:
    return float(data.mean())


@pipeline(on_failure=pipeline_failure)
def quality_pipeline(loader, validator, summarizer):
    data = loader()
    clean = validator(data=data)
    summarizer(data=clean)


quality_pipeline(
    loader=load_batch(),
    validator=validate(),
    summarizer=summarize().configure(on_success=alert_on_success),
).run(run_name="clean_batch")

for run_name, missing_every in (("dirty_batch", 3), ("broken_loader", 0)):
    try:
        quality_pipeline(
            loader=load_batch(BatchParams(missing_every=missing_every)),
            validator=validate(),
            summarizer=summarize(),
        ).run(run_name=run_name)
    except ValueError as error:
        print(f"{run_name} rejected: {error}")
    else:
        raise SystemExit(f"{run_name} should have failed")

print(ALERTS)
assert ALERTS == [
    ("succeeded", "validate"),
    ("succeeded", "summarize"),
    ("failed", "validate", "ValueError", {"max_missing_fraction": 0.1}),
    ("pipeline saw", "load_batch", "ValueError"),
], ALERTS
