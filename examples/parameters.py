"""The seed's parameterization how-to: ``SVCTrainerParams(gamma=0.01, C=2.5, kernel='linear')``."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


@step
def digits_data_loader() -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    """Loads the digits dataset as a tuple of flattened numpy arrays."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(
        data, digits.target, test_size=0.2, shuffle=False
    )
    return X_train, X_test, y_train, y_test


class SVCTrainerParams(BaseParameters):
    """Trainer params"""

    gamma: float = 0.001
    C: float = 1.0
    kernel: str = "rbf"


@step
def svc_trainer(
    params: SVCTrainerParams,
    X_train: np.ndarray,
    y_train: np.ndarray,
) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=params.gamma, C=params.C, kernel=params.kernel)
    model.fit(X_train, y_train)
    return model


@pipeline
def first_pipeline(step_1, step_2):
    X_train, X_test, y_train, y_test = step_1()
    step_2(X_train, y_train)


if __name__ == "__main__":
    first_pipeline_instance = first_pipeline(
        step_1=digits_data_loader(),
        step_2=svc_trainer(SVCTrainerParams(gamma=0.01, C=2.5, kernel="linear")),
    )
    first_pipeline_instance.run()
