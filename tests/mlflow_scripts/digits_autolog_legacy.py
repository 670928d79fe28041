"""A ZenML 0.3x MLflow example, as its users wrote it, with only `zenml` -> `framework` in the imports.

The active stack must have an MLflow experiment tracker: the steps name it as the stack
does, the trainer autologs an SVC on the digits data, the evaluator logs a metric itself.
"""

import mlflow
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from framework.client import Client
from framework.integrations.mlflow.experiment_trackers import MLFlowExperimentTracker
from framework.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import MLFlowExperimentTrackerSettings
from framework.integrations.mlflow.mlflow_utils import get_tracking_uri
from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step

experiment_tracker = Client().active_stack.experiment_tracker

if not experiment_tracker or not isinstance(experiment_tracker, MLFlowExperimentTracker):
    raise RuntimeError("Your active stack needs to contain a MLFlow experiment tracker for this example to work.")

mlflow_settings = MLFlowExperimentTrackerSettings(nested=True, tags={"project": "digits"})


@step
def importer() -> Output(X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray):
    """Loads the digits dataset and splits it into train and test data."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
    return X_train, X_test, y_train, y_test


class TrainerParameters(BaseParameters):
    gamma: float = 0.001


@step(experiment_tracker=experiment_tracker.name, settings={"experiment_tracker.mlflow": mlflow_settings})
def trainer(params: TrainerParameters, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Train a sklearn SVC classifier, logged to MLflow by autologging."""
    mlflow.sklearn.autolog()
    model = SVC(gamma=params.gamma)
    model.fit(X_train, y_train)
    return model


@step(experiment_tracker=experiment_tracker.name)
def evaluator(X_test: np.ndarray, y_test: np.ndarray, model: ClassifierMixin) -> float:
    """Calculate the accuracy on the test set and log it to MLflow."""
    test_acc = model.score(X_test, y_test)
    mlflow.log_metric("test_accuracy", test_acc)
    return test_acc


@pipeline(enable_cache=False)
def mlflow_example_pipeline(importer, trainer, evaluator):
    X_train, X_test, y_train, y_test = importer()
    model = trainer(X_train=X_train, y_train=y_train)
    evaluator(X_test=X_test, y_test=y_test, model=model)


if __name__ == "__main__":
    mlflow_example_pipeline(
        importer=importer(),
        trainer=trainer(params=TrainerParameters(gamma=0.001)),
        evaluator=evaluator(),
    ).run()

    print(
        "Now run \n "
        f"    mlflow ui --backend-store-uri '{get_tracking_uri()}'\n"
        "To inspect your experiment runs within the mlflow UI.\n"
        "You can find your runs tracked within the `mlflow_example_pipeline` experiment."
    )
