"""The seed's parameterization how-to: ``SVCTrainerParams(gamma=0.01, C=2.5, kernel='linear')``."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from framework.pipelines.new import pipeline
from framework.steps import Output, step


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


@step
def svc_trainer(
    X_train: np.ndarray,
    y_train: np.ndarray,
    gamma: float = 0.001,
    C: float = 1.0,
    kernel: str = "rbf",
) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=gamma, C=C, kernel=kernel)
    model.fit(X_train, y_train)
    return model


@pipeline
def first_pipeline():
    X_train, X_test, y_train, y_test = digits_data_loader()
    svc_trainer(X_train=X_train, y_train=y_train, gamma=0.01, C=2.5, kernel="linear")


if __name__ == "__main__":
    first_pipeline()
