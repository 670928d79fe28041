"""`Environment().step_environment` inside a step, without a context argument."""

import numpy as np

from framework.environment import Environment
from framework.pipelines import pipeline
from framework.steps import step


@step
def batch_source() -> np.ndarray:
    return np.arange(24, dtype=np.float64).reshape(6, 4)


@step
def tag_batch(batch: np.ndarray) -> dict:
    step_env = Environment().step_environment
    print(f"running {step_env.step_name} for {step_env.pipeline_name} ({step_env.run_name})")
    return {
        "pipeline": step_env.pipeline_name,
        "step": step_env.step_name,
        "nightly": step_env.run_name.startswith("nightly_"),
        "rows": int(batch.shape[0]),
    }


@pipeline
def tagging_pipeline(source, tagger):
    tagger(source())


tagging_pipeline(source=batch_source(), tagger=tag_batch()).run(run_name="nightly_{date}_{time}")
