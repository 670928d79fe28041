# %% [markdown]
# # Exploring the iris data with DataFrames
# Steps pass pandas objects around; the last cells read them back with the `Client`.

# %%
import pandas as pd
from sklearn.datasets import load_iris

from framework.client import Client
from framework.pipelines import pipeline
from framework.steps import BaseParameters, Output, step

# %%
@step
def load_frame() -> pd.DataFrame:
    iris = load_iris(as_frame=True)
    frame = iris.frame.copy()
    frame["species"] = frame["target"].map(dict(enumerate(iris.target_names)))
    return frame.drop(columns=["target"])


# %%
class FilterParams(BaseParameters):
    min_petal_length: float = 1.0
    species: list = ["setosa", "versicolor", "virginica"]


@step
def filter_rows(params: FilterParams, frame: pd.DataFrame) -> pd.DataFrame:
    keep = (frame["petal length (cm)"] >= params.min_petal_length) & frame["species"].isin(params.species)
    return frame[keep].reset_index(drop=True)


# %%
@step
def per_species(frame: pd.DataFrame) -> Output(means=pd.DataFrame, counts=pd.Series):
    return frame.groupby("species").mean(), frame["species"].value_counts().sort_index()


# %%
@pipeline
def eda_pipeline(loader, filterer, profiler):
    frame = loader()
    filtered = filterer(frame=frame)
    profiler(frame=filtered)


eda_pipeline(
    loader=load_frame(),
    filterer=filter_rows(FilterParams(min_petal_length=1.5, species=["versicolor", "virginica"])),
    profiler=per_species(),
).run()

# %%
run = Client().get_pipeline("eda_pipeline").last_run
means = run.steps["profiler"].outputs["means"].load()
counts = run.steps["profiler"].outputs["counts"].load()
means

# %%
counts.to_dict()
