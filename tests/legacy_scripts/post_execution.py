"""Reading runs back with `framework.post_execution`, the 0.2x-0.39 way."""

import numpy as np

from framework.pipelines import pipeline
from framework.post_execution import get_pipeline, get_pipelines, get_run
from framework.steps import BaseParameters, Output, step


class ScalerParams(BaseParameters):
    center: bool = True


@step
def raw_measurements() -> Output(values=np.ndarray, sensor_ids=np.ndarray):
    rng = np.random.default_rng(3)
    return rng.normal(loc=5.0, scale=2.0, size=(20, 3)), np.arange(20)


@step
def scaler(params: ScalerParams, values: np.ndarray) -> Output(scaled=np.ndarray, scale=float):
    scale = float(values.std())
    shifted = values - values.mean() if params.center else values
    return shifted / scale, scale


@step
def report(scaled: np.ndarray) -> dict:
    return {"rows": int(scaled.shape[0]), "max": round(float(scaled.max()), 6)}


@pipeline
def measurement_pipeline(loader, normalizer, reporter):
    values, sensor_ids = loader()
    scaled, scale = normalizer(values=values)
    reporter(scaled=scaled)


measurement_pipeline(
    loader=raw_measurements(),
    normalizer=scaler(ScalerParams(center=False)),
    reporter=report(),
).run(run_name="uncentered")
measurement_pipeline(
    loader=raw_measurements(),
    normalizer=scaler(),
    reporter=report(),
).run(run_name="centered")

# --- post-execution ---------------------------------------------------------
pipe = get_pipeline(pipeline="measurement_pipeline")
print(f"`{pipe.name}` has {pipe.num_runs} runs")
assert pipe.num_runs == 2
assert [p.name for p in get_pipelines()] == ["measurement_pipeline"]
assert get_pipeline(pipeline=measurement_pipeline).name == pipe.name  # by class too

latest = pipe.runs[0]  # newest first
assert latest.name == "centered"
print("steps:", latest.get_step_names())
for step_view in latest.steps:
    print(f"  {step_view.name} ({step_view.entrypoint_name}): {step_view.status} {step_view.parameters}")

normalizer_step = latest.get_step(step="normalizer")
scaled = normalizer_step.outputs["scaled"].read()
scale = normalizer_step.outputs["scale"].read()
last_step = latest.steps[-1]
summary = last_step.output.read()
print(f"scale={scale:.4f} summary={summary}")
assert summary["rows"] == scaled.shape[0] == 20

first = get_run("uncentered")
uncentered = first.get_step(step="normalizer").outputs["scaled"].read()
assert not np.allclose(uncentered, scaled)
assert first.get_step(step="loader").is_cached is False
assert latest.get_step(step="loader").is_cached is True
