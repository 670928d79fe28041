import numpy as np

from framework.environment import Environment
from framework.steps import BaseParameters, Output, step


class DriftParams(BaseParameters):
    threshold: float = 0.5


@step(on_failure="alerts.hooks.notify_failure")
def drift_check(params: DriftParams, reference: np.ndarray, current: np.ndarray) -> Output(
    drift=np.ndarray, worst=float
):
    drift = np.abs(current.mean(axis=0) - reference.mean(axis=0)) / reference.std(axis=0)
    if drift.max() > params.threshold:
        raise RuntimeError(f"feature {int(drift.argmax())} drifted by {drift.max():.2f} std")
    return drift, float(drift.max())


@step
def publish(drift: np.ndarray) -> str:
    env = Environment().step_environment
    return f"{env.pipeline_name}: {len(drift)} features within bounds"
