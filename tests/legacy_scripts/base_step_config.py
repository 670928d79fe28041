"""The pre-0.20 name of step parameters: `BaseStepConfig`, and a config argument called `config`."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso

from framework.pipelines import pipeline
from framework.steps import BaseStepConfig, Output, step


class ImporterConfig(BaseStepConfig):
    n_rows: int = 300


class TrainerConfig(BaseStepConfig):
    """Lasso regression hyper-parameters."""

    alpha: float = 0.5
    max_iter: int = 500


@step
def importer(config: ImporterConfig) -> Output(X=np.ndarray, y=np.ndarray):
    data = load_diabetes()
    return data.data[: config.n_rows], data.target[: config.n_rows]


@step
def lasso_trainer(config: TrainerConfig, X: np.ndarray, y: np.ndarray) -> RegressorMixin:
    model = Lasso(alpha=config.alpha, max_iter=config.max_iter)
    model.fit(X, y)
    return model


@step
def nonzero_coefficients(model: RegressorMixin) -> int:
    return int(np.count_nonzero(model.coef_))


@pipeline(enable_cache=False)
def lasso_pipeline(importer, trainer, inspector):
    X, y = importer()
    model = trainer(X=X, y=y)
    inspector(model=model)


lasso_pipeline(
    importer=importer(ImporterConfig(n_rows=250)),
    trainer=lasso_trainer(config=TrainerConfig(alpha=0.1)),
    inspector=nonzero_coefficients(),
).run()
