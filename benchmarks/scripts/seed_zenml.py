"""The seed pipeline written for ZenML 0.98 (run by bench_peers in its own venv):
``seed_zenml.py on|off`` (caching). The same work as seed_framework.py."""

import sys
from typing import Annotated, Tuple

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from zenml import pipeline, step


@step
def digits_data_loader() -> Tuple[
    Annotated[np.ndarray, "X_train"], Annotated[np.ndarray, "X_test"],
    Annotated[np.ndarray, "y_train"], Annotated[np.ndarray, "y_test"],
]:
    """Loads the digits dataset as a tuple of flattened numpy arrays."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
    return X_train, X_test, y_train, y_test


@step
def svc_trainer(X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=0.001)
    model.fit(X_train, y_train)
    return model


@pipeline
def first_pipeline():
    X_train, X_test, y_train, y_test = digits_data_loader()
    svc_trainer(X_train=X_train, y_train=y_train)


if __name__ == "__main__":
    first_pipeline.with_options(enable_cache=sys.argv[1] == "on")()
