import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.svm import SVC

from framework.logger import get_logger
from framework.steps import BaseParameters, step

logger = get_logger(__name__)


class SVCTrainerParams(BaseParameters):
    gamma: float = 0.001
    C: float = 1.0


@step
def svc_trainer(params: SVCTrainerParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    logger.info("Training an SVC with gamma=%s, C=%s", params.gamma, params.C)
    model = SVC(gamma=params.gamma, C=params.C)
    model.fit(X_train, y_train)
    return model
