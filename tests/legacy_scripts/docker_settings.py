"""Settings for remote stacks in a local run: `DockerSettings`, `ResourceSettings`, dict forms."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.svm import LinearSVC

from framework.config import DockerSettings, ResourceSettings
from framework.integrations.constants import SKLEARN
from framework.pipelines import pipeline
from framework.steps import Output, step

docker_settings = DockerSettings(
    required_integrations=[SKLEARN],
    requirements=["scikit-learn"],
    apt_packages=["libgomp1"],
    environment={"OMP_NUM_THREADS": "1"},
)


@step
def digits_importer() -> Output(X=np.ndarray, y=np.ndarray):
    digits = load_digits()
    return digits.data[:300] / 16.0, digits.target[:300]


@step(settings={"resources": ResourceSettings(cpu_count=2, memory="1GB")})
def linear_svc_trainer(X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    return LinearSVC(C=0.5, max_iter=2000, dual=True, random_state=0).fit(X, y)


@step(settings={"resources": {"cpu_count": 1}})
def train_score(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


@pipeline(enable_cache=False, settings={"docker": docker_settings})
def docker_pipeline(importer, trainer, evaluator):
    X, y = importer()
    model = trainer(X=X, y=y)
    evaluator(model=model, X=X, y=y)


docker_pipeline(
    importer=digits_importer().configure(settings={"docker": {"parent_image": "python:3.10-slim"}}),
    trainer=linear_svc_trainer(),
    evaluator=train_score(),
).run()
