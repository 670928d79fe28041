import numpy as np
from sklearn.datasets import load_wine

from framework.steps import BaseParameters, Output, step


@step
def wine_loader() -> Output(features=np.ndarray, target=np.ndarray):
    data = load_wine()
    return data.data, data.target


class SplitterParams(BaseParameters):
    test_every = 4  # every n-th row goes to the test set (pydantic v1 style, no annotation)


@step
def splitter(params: SplitterParams, features: np.ndarray, target: np.ndarray) -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    test = np.arange(len(target)) % params.test_every == 0
    return features[~test], features[test], target[~test], target[test]
