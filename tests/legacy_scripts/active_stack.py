"""Stack checks before the run and the `Client` reads after it (0.3x style)."""

import numpy as np
from sklearn.datasets import load_iris

from framework.client import Client
from framework.pipelines import pipeline
from framework.steps import Output, step

# Scripts of this era looked at the active stack first and adapted to it.
stack = Client().active_stack
print(f"Using stack `{stack.name}` with orchestrator `{stack.orchestrator.name}` "
      f"(flavor `{stack.orchestrator.flavor}`).")
print(f"Artifacts are stored in {stack.artifact_store.path}")
if stack.experiment_tracker is None:
    print("This stack has no experiment tracker; metrics are only logged.")
else:
    print(f"Tracking experiments with `{stack.experiment_tracker.name}`.")


@step
def iris_loader() -> Output(features=np.ndarray, labels=np.ndarray):
    iris = load_iris()
    return iris.data, iris.target


@step
def centroid_trainer(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One centroid per class."""
    return np.stack([features[labels == c].mean(axis=0) for c in np.unique(labels)])


@step
def centroid_evaluator(features: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> float:
    distances = ((features[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)
    return float((distances.argmin(axis=1) == labels).mean())


@pipeline
def centroid_pipeline(importer, trainer, evaluator):
    features, labels = importer()
    centroids = trainer(features=features, labels=labels)
    evaluator(features=features, labels=labels, centroids=centroids)


centroid_pipeline(
    importer=iris_loader(),
    trainer=centroid_trainer(),
    evaluator=centroid_evaluator(),
).run()

client = Client()
last_run = client.get_pipeline(pipeline="centroid_pipeline").runs[0]
same_run = client.get_run(run_name=last_run.name)
accuracy = same_run.steps["evaluator"].output.load()
print(f"Run `{same_run.name}` finished with status {same_run.status}; accuracy {accuracy:.3f}")
assert same_run.status == "completed"
assert accuracy > 0.9
