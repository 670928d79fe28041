"""A `run.py` of the 0.2x templates: click options with defaults, a `main()` behind the main guard."""

import click
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step


@step
def importer() -> Output(X=np.ndarray, y=np.ndarray):
    digits = load_digits()
    return digits.data[:400] / 16.0, digits.target[:400]


class TrainerParams(BaseParameters):
    C: float = 1.0
    max_iter: int = 200


@step
def trainer(params: TrainerParams, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    return LogisticRegression(C=params.C, max_iter=params.max_iter).fit(X, y)


@step
def evaluator(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


@pipeline
def training_pipeline(importer, trainer, evaluator):
    X, y = importer()
    model = trainer(X=X, y=y)
    evaluator(model=model, X=X, y=y)


@click.command()
@click.option("--c", "c_value", default=0.3, type=float, help="Inverse regularization strength.")
@click.option("--max-iter", default=300, type=int)
@click.option("--no-cache", is_flag=True, default=False, help="Disable caching for this run.")
def main(c_value: float, max_iter: int, no_cache: bool) -> None:
    """Train a logistic regression on the digits data."""
    training_pipeline(
        importer=importer(),
        trainer=trainer(TrainerParams(C=c_value, max_iter=max_iter)),
        evaluator=evaluator(),
    ).run(enable_cache=not no_cache)


if __name__ == "__main__":
    main()
