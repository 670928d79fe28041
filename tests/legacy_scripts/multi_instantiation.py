"""One legacy pipeline instantiated several times: other parameters, another step, run names."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


@step
def digits_data_loader() -> Output(X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray):
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))[:400]
    target = digits.target[:400]
    return data[:300], data[300:], target[:300], target[300:]


class SVCParams(BaseParameters):
    gamma: float = 0.001
    C: float = 1.0


@step
def svc_trainer(params: SVCParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    model = SVC(gamma=params.gamma, C=params.C)
    model.fit(X_train, y_train)
    return model


@step
def tree_trainer(X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    model = DecisionTreeClassifier(random_state=0)
    model.fit(X_train, y_train)
    return model


@step
def evaluator(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(model.score(X_test, y_test))


@pipeline(enable_cache=False)
def digits_pipeline(loader, trainer, evaluate):
    X_train, X_test, y_train, y_test = loader()
    model = trainer(X_train, y_train)
    evaluate(model, X_test, y_test)


small = digits_pipeline(
    loader=digits_data_loader(),
    trainer=svc_trainer(SVCParams(gamma=0.001)),
    evaluate=evaluator(),
)
large = digits_pipeline(
    loader=digits_data_loader(),
    trainer=svc_trainer(SVCParams(gamma=0.01, C=2.0)),
    evaluate=evaluator(),
)
tree = digits_pipeline(loader=digits_data_loader(), trainer=tree_trainer(), evaluate=evaluator())

small.run(run_name="svc_small_gamma_{{date}}_{{time}}")
large.run(run_name="svc_large_gamma_{{date}}_{{time}}", enable_cache=False)
tree.run(run_name="tree_{date}_{time}")
small.run(run_name="svc_small_gamma_again_{{date}}_{{time}}", enable_cache=True)
