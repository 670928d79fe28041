"""The seed's caching example: three runs of one pipeline.

1. first run: every step executes;
2. second run: the loader comes from the cache, the trainer (``enable_cache=False``) retrains;
3. third run: ``enable_cache=False`` at run level re-runs everything.
"""

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


@step(enable_cache=False)  # never cache this step, always retrain
def svc_trainer(
    X_train: np.ndarray,
    y_train: np.ndarray,
    gamma: float = 0.001,
) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=gamma)
    model.fit(X_train, y_train)
    return model


@pipeline
def first_pipeline():
    X_train, X_test, y_train, y_test = digits_data_loader()
    svc_trainer(X_train=X_train, y_train=y_train)


if __name__ == "__main__":
    # The pipeline is executed for the first time, so all steps are run.
    first_pipeline()

    # Step one will use cache, step two will rerun due to the decorator config
    first_pipeline()

    # The complete pipeline will be rerun
    first_pipeline.with_options(enable_cache=False)()
