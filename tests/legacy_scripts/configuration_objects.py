"""`step.configuration` / `pipeline.configuration`, `configure(parameters=...)`, `configure(..., merge=True)`."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


@step
def digits_subset() -> Output(X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray):
    digits = load_digits()
    X = digits.data[:500]
    y = digits.target[:500]
    return X[:400], X[400:], y[:400], y[400:]


class KNNParams(BaseParameters):
    n_neighbors: int = 5
    weights: str = "uniform"


@step
def knn_trainer(params: KNNParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    return KNeighborsClassifier(n_neighbors=params.n_neighbors, weights=params.weights).fit(X_train, y_train)


@step
def test_accuracy(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(model.score(X_test, y_test))


@pipeline(enable_cache=True, extra={"team": "vision"})
def knn_pipeline(loader, trainer, evaluator):
    X_train, X_test, y_train, y_test = loader()
    model = trainer(X_train=X_train, y_train=y_train)
    evaluator(model=model, X_test=X_test, y_test=y_test)


trainer = knn_trainer(KNNParams(n_neighbors=3))
trainer.configure(parameters={"weights": "distance"}, extra={"owner": "alice"})
config = trainer.configuration
print(f"{config.name}: cache={config.enable_cache} parameters={config.parameters} extra={config.extra}")
assert config.parameters == {"n_neighbors": 3, "weights": "distance"}
assert config.extra == {"owner": "alice"}

evaluator = test_accuracy(enable_cache=False)
assert evaluator.configuration.enable_cache is False
assert evaluator.configuration.settings == {}

knn = knn_pipeline(loader=digits_subset(), trainer=trainer, evaluator=evaluator)
knn.configure(extra={"purpose": "baseline"}, merge=True)
print(f"pipeline {knn.configuration.name}: extra={knn.configuration.extra}")
assert knn.configuration.extra == {"team": "vision", "purpose": "baseline"}
assert knn.configuration.enable_cache is True
knn.run(run_name="knn_baseline")
