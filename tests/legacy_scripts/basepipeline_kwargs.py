"""A `BasePipeline` subclass whose `connect(self, **kwargs)` takes whatever steps it is given."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.naive_bayes import GaussianNB

from framework.pipelines import BasePipeline
from framework.steps import Output, step


@step
def iris_importer() -> Output(X=np.ndarray, y=np.ndarray):
    iris = load_iris()
    return iris.data, iris.target


@step
def standardizer(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


@step
def bayes_trainer(X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    return GaussianNB().fit(X, y)


@step
def train_accuracy(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


class TrainingPipeline(BasePipeline):
    """Import, optionally preprocess, train, evaluate."""

    def connect(self, **kwargs) -> None:
        X, y = kwargs["importer"]()
        if "preprocessor" in kwargs:
            X = kwargs["preprocessor"](X=X)
        model = kwargs["trainer"](X=X, y=y)
        kwargs["evaluator"](model=model, X=X, y=y)


TrainingPipeline(
    importer=iris_importer(),
    preprocessor=standardizer(),
    trainer=bayes_trainer(),
    evaluator=train_accuracy(),
).run(run_name="with_preprocessing")

TrainingPipeline(
    importer=iris_importer(),
    trainer=bayes_trainer(),
    evaluator=train_accuracy(),
).run(run_name="raw_features")
