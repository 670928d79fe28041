import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from framework.steps import BaseParameters, Output, step


class ImporterParams(BaseParameters):
    """Which part of the digits to use."""

    test_size: float = 0.2
    n_samples: int = 1797


@step
def digits_importer(params: ImporterParams) -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    """Loads the digits dataset and splits it into train and test data."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))[: params.n_samples]
    target = digits.target[: params.n_samples]
    X_train, X_test, y_train, y_test = train_test_split(data, target, test_size=params.test_size, shuffle=False)
    return X_train, X_test, y_train, y_test
