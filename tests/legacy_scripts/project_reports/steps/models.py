import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from framework.steps import BaseParameters, step


class TreeParams(BaseParameters):
    max_depth: int = 3


@step
def tree_trainer(params: TreeParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    return DecisionTreeClassifier(max_depth=params.max_depth, random_state=0).fit(X_train, y_train)
