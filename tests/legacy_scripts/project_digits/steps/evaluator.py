import numpy as np
from sklearn.base import ClassifierMixin

from framework.steps import step


@step
def evaluator(X_test: np.ndarray, y_test: np.ndarray, model: ClassifierMixin) -> float:
    """Accuracy on the test set."""
    return float(model.score(X_test, y_test))
