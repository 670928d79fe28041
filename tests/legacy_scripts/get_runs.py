"""`MyPipeline.get_runs()` on the pipeline class and on an instance."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


@step
def diabetes_loader() -> Output(X=np.ndarray, y=np.ndarray):
    data = load_diabetes()
    return data.data[:200], data.target[:200]


class RidgeParams(BaseParameters):
    alpha: float = 1.0


@step
def ridge_trainer(params: RidgeParams, X: np.ndarray, y: np.ndarray) -> RegressorMixin:
    return Ridge(alpha=params.alpha).fit(X, y)


@step
def r2_score(model: RegressorMixin, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


@pipeline
def ridge_pipeline(loader, trainer, scorer):
    X, y = loader()
    model = trainer(X=X, y=y)
    scorer(model=model, X=X, y=y)


for alpha in (0.1, 1.0, 10.0):
    ridge_pipeline(
        loader=diabetes_loader(),
        trainer=ridge_trainer(RidgeParams(alpha=alpha)),
        scorer=r2_score(),
    ).run(run_name=f"ridge_alpha_{alpha}")

best = None
for run in ridge_pipeline.get_runs():  # every run of the pipeline, newest first
    score = run.get_step(step="scorer").output.read()
    alpha = run.get_step(step="trainer").parameters["alpha"]
    print(f"{run.name}: alpha={alpha} r2={score:.4f}")
    if best is None or score > best[1]:
        best = (alpha, score)
print("best alpha:", best[0])

instance = ridge_pipeline(loader=diabetes_loader(), trainer=ridge_trainer(), scorer=r2_score())
assert len(ridge_pipeline.get_runs()) == 3
assert len(instance.get_runs()) == 3  # same wiring: same version, same runs
