"""The instance is called `pipeline`, shadowing the decorator it was made with."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.linear_model import LinearRegression

from framework.pipelines import pipeline
from framework.steps import Output, step


@step
def make_regression() -> Output(X=np.ndarray, y=np.ndarray):
    rng = np.random.default_rng(21)
    X = rng.uniform(-1, 1, size=(50, 2))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.5 + rng.normal(scale=0.05, size=50)
    return X, y


@step
def fit_line(X: np.ndarray, y: np.ndarray) -> RegressorMixin:
    return LinearRegression().fit(X, y)


@step
def coefficients(model: RegressorMixin) -> np.ndarray:
    return np.append(model.coef_, model.intercept_)


@pipeline
def regression_pipeline(data_loader, trainer, inspector):
    X, y = data_loader()
    model = trainer(X=X, y=y)
    inspector(model=model)


pipeline = regression_pipeline(
    data_loader=make_regression(),
    trainer=fit_line(),
    inspector=coefficients(),
)
pipeline.run()
