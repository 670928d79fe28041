"""Parameter classes with several fields (one required) and a step input with a default."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


class DataParams(BaseParameters):
    n_samples: int = 60
    seed: int = 0


@step
def make_data(params: DataParams) -> Output(X=np.ndarray, y=np.ndarray):
    rng = np.random.default_rng(params.seed)
    X = rng.normal(size=(params.n_samples, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


class TrainerParams(BaseParameters):
    """Hyper-parameters of the classifier."""

    solver: str  # required: every instantiation must say which
    C: float = 1.0
    max_iter: int = 100


@step
def train(
    params: TrainerParams, X: np.ndarray, y: np.ndarray, fit_intercept: bool = True
) -> ClassifierMixin:
    model = LogisticRegression(
        C=params.C, solver=params.solver, max_iter=params.max_iter, fit_intercept=fit_intercept
    )
    model.fit(X, y)
    return model


@step
def evaluate(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


@pipeline
def training_pipeline(loader, trainer, evaluator):
    X, y = loader()
    model = trainer(X, y)
    evaluator(model, X=X, y=y)


training_pipeline(
    loader=make_data(DataParams(n_samples=80)),
    trainer=train(params=TrainerParams(solver="lbfgs", C=0.5)),
    evaluator=evaluate(),
).run(run_name="several_fields_{{date}}_{{time}}")
