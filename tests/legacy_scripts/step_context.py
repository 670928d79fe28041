"""A `StepContext` argument: names of the step and run, the output's directory and materializer."""

import os

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression

from framework.pipelines import pipeline
from framework.steps import Output, StepContext, step


@step
def wine_loader() -> Output(X=np.ndarray, y=np.ndarray):
    data = load_wine()
    X = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    return X, data.target


@step
def trainer_with_notes(context: StepContext, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    """Writes a note next to the model, as real steps did with extra files."""
    print(f"Step `{context.step_name}` of pipeline `{context.pipeline_name}` in run `{context.run_name}`")
    model = LogisticRegression(max_iter=500).fit(X, y)
    output_dir = context.get_output_artifact_uri()
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "notes.txt"), "w") as notes:
        notes.write(f"trained on {len(X)} rows\n")
    materializer = context.get_output_materializer()
    print("The model is stored by", type(materializer).__name__)
    return model


@step
def run_info(context: StepContext, model: ClassifierMixin) -> Output(step_name=str, pipeline_name=str, classes=int):
    assert context.run_name.startswith("wine_")
    return context.step_name, context.pipeline_name, int(len(model.classes_))


@pipeline
def wine_pipeline(loader, trainer, info):
    X, y = loader()
    model = trainer(X=X, y=y)
    info(model=model)


instance = wine_pipeline(loader=wine_loader(), trainer=trainer_with_notes(), info=run_info())
instance.run(run_name="wine_first")
# Steps with a context are not cached: the loader is, the other two run again.
instance.run(run_name="wine_second")
