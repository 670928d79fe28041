"""A run configured by a YAML file next to the script, with its `steps:` keyed by slot names."""

import os

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yaml_run_config.yaml")


class SplitParams(BaseParameters):
    test_size: float = 0.2


@step
def digits_splitter(params: SplitParams) -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    digits = load_digits()
    return tuple(train_test_split(digits.data, digits.target, test_size=params.test_size, shuffle=False))


class SVCParams(BaseParameters):
    C: float = 1.0
    kernel: str = "rbf"
    gamma: float = 0.001


@step
def svc_trainer(params: SVCParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    return SVC(C=params.C, kernel=params.kernel, gamma=params.gamma).fit(X_train, y_train)


@step
def evaluator(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(model.score(X_test, y_test))


@pipeline
def svc_pipeline(importer, trainer, tester):
    X_train, X_test, y_train, y_test = importer()
    model = trainer(X_train=X_train, y_train=y_train)
    tester(model=model, X_test=X_test, y_test=y_test)


svc_pipeline(importer=digits_splitter(), trainer=svc_trainer(), tester=evaluator()).run(config_path=CONFIG)
