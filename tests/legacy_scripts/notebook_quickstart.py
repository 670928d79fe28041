# %% [markdown]
# # Quickstart
# A notebook exported as a script: each cell is a `# %%` block, everything runs at module
# level, the pipeline cell is run twice and the last cells look at the results.

# %%
# !pip install "framework[sklearn]"
# !framework init

# %%
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step

# %% [markdown]
# ## Steps

# %%
@step
def importer() -> Output(X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray):
    """Load the digits and flatten the images."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
    return X_train, X_test, y_train, y_test


# %%
class SVCTrainerParams(BaseParameters):
    gamma: float = 0.001


@step
def svc_trainer(params: SVCTrainerParams, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    model = SVC(gamma=params.gamma)
    model.fit(X_train, y_train)
    return model


# %%
@step
def evaluator(X_test: np.ndarray, y_test: np.ndarray, model: ClassifierMixin) -> float:
    test_acc = model.score(X_test, y_test)
    print(f"Test accuracy: {test_acc}")
    return float(test_acc)


# %% [markdown]
# ## The pipeline

# %%
@pipeline
def digits_pipeline(importer, trainer, evaluator):
    X_train, X_test, y_train, y_test = importer()
    model = trainer(X_train=X_train, y_train=y_train)
    evaluator(X_test=X_test, y_test=y_test, model=model)


# %%
digits_svc_pipeline = digits_pipeline(
    importer=importer(),
    trainer=svc_trainer(SVCTrainerParams(gamma=0.002)),
    evaluator=evaluator(),
)
digits_svc_pipeline.run()

# %% [markdown]
# Running the cell again takes every step from the cache.

# %%
digits_svc_pipeline.run()

# %% [markdown]
# ## Looking at the results

# %%
from framework.post_execution import get_pipeline

pipe = get_pipeline("digits_pipeline")
print(f"{pipe.num_runs} runs of `{pipe.name}`")
last_run = pipe.runs[0]
for step_view in last_run.steps:
    print(step_view.name, step_view.status)

# %%
accuracy = last_run.get_step(step="evaluator").output.read()
model = last_run.get_step(step="trainer").output.read()
X_test = last_run.get_step(step="importer").outputs["X_test"].read()
model.predict(X_test[:5]), accuracy
