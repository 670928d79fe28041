"""Class-based steps (BaseStep with entrypoint) wired by a BasePipeline subclass."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from framework.pipelines import BasePipeline
from framework.steps import BaseParameters, BaseStep, Output


class LoaderParams(BaseParameters):
    n: int = 40
    seed: int = 1


class Loader(BaseStep):
    """Makes a small, reproducible classification problem."""

    def entrypoint(self, params: LoaderParams) -> Output(X=np.ndarray, y=np.ndarray):
        rng = np.random.default_rng(params.seed)
        X = rng.uniform(size=(params.n, 2))
        y = (X[:, 0] > X[:, 1]).astype(int)
        return X, y


class Scaler(BaseStep):
    def entrypoint(self, X: np.ndarray) -> np.ndarray:
        return (X - X.mean(axis=0)) / X.std(axis=0)


class Trainer(BaseStep):
    def entrypoint(self, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
        model = DecisionTreeClassifier(max_depth=3, random_state=0)
        model.fit(X, y)
        return model


class TrainingPipeline(BasePipeline):
    """Loads, scales and trains."""

    def connect(self, loader, scaler, trainer):
        X, y = loader()
        X_scaled = scaler(X)
        trainer(X_scaled, y)


pipeline_instance = TrainingPipeline(
    loader=Loader(LoaderParams(n=50)),
    scaler=Scaler(),
    trainer=Trainer(),
)
pipeline_instance.run(run_name="class_based_{{date}}_{{time}}")
