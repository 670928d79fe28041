"""Small, fast steps shared by the engine tests (a tiny stand-in for the seed's digits pipeline)."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression

from framework.steps import BaseParameters, Output, step

CALLS: list[str] = []


@step
def loader() -> Output(X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray):
    """Deterministic tiny data set."""
    CALLS.append("loader")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    return X[:30], X[30:], y[:30], y[30:]


class TrainerParams(BaseParameters):
    C: float = 1.0


@step
def trainer(params: TrainerParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    CALLS.append("trainer")
    return LogisticRegression(C=params.C).fit(X_train, y_train)


@step
def scorer(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    CALLS.append("scorer")
    return float(model.score(X_test, y_test))


@step
def new_trainer(X_train: np.ndarray, y_train: np.ndarray, C: float = 1.0) -> ClassifierMixin:
    CALLS.append("new_trainer")
    return LogisticRegression(C=C).fit(X_train, y_train)
