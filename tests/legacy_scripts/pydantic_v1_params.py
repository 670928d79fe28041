"""Parameter classes written for pydantic v1: un-annotated fields, `.dict()`, `.json()`, `class Config`."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


class SplitParams(BaseParameters):
    """How to split the data."""

    test_size = 0.25
    shuffle = True
    random_state = 7


class ForestParams(BaseParameters):
    n_estimators = 15
    max_depth = 4
    criterion = "gini"

    class Config:
        extra = "forbid"
        allow_mutation = False


@step
def cancer_splitter(params: SplitParams) -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    print("splitting with", params.dict())
    data = load_breast_cancer()
    return tuple(
        train_test_split(
            data.data,
            data.target,
            test_size=params.test_size,
            shuffle=params.shuffle,
            random_state=params.random_state,
        )
    )


@step
def forest_trainer(params: ForestParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    print("training with", params.json())
    model = RandomForestClassifier(random_state=0, **params.dict())
    model.fit(X_train, y_train)
    return model


@step
def accuracy(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(model.score(X_test, y_test))


@pipeline
def forest_pipeline(splitter, trainer, evaluator):
    X_train, X_test, y_train, y_test = splitter()
    model = trainer(X_train=X_train, y_train=y_train)
    evaluator(model=model, X_test=X_test, y_test=y_test)


forest_pipeline(
    splitter=cancer_splitter(SplitParams(test_size=0.3)),
    trainer=forest_trainer(ForestParams(n_estimators=10)),
    evaluator=accuracy(),
).run()
