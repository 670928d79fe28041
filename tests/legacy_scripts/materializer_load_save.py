"""A 0.3x materializer: `load`/`save`, `ArtifactType.DATA`, registered by its ASSOCIATED_TYPES."""

import os
from typing import Type

import numpy as np

from framework.enums import ArtifactType
from framework.io import fileio
from framework.materializers import BaseMaterializer
from framework.pipelines import pipeline
from framework.steps import step


class Histogram:
    def __init__(self, edges: np.ndarray, counts: np.ndarray):
        self.edges = edges
        self.counts = counts

    @property
    def total(self) -> int:
        return int(self.counts.sum())


class HistogramMaterializer(BaseMaterializer):
    """Two .npy files in the artifact's directory."""

    ASSOCIATED_TYPES = (Histogram,)
    ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA

    def load(self, data_type: Type[Histogram]) -> Histogram:
        with fileio.open(os.path.join(self.uri, "edges.npy"), "rb") as f:
            edges = np.load(f)
        with fileio.open(os.path.join(self.uri, "counts.npy"), "rb") as f:
            counts = np.load(f)
        return Histogram(edges, counts)

    def save(self, histogram: Histogram) -> None:
        if not fileio.exists(self.uri):
            fileio.makedirs(self.uri)
        with fileio.open(os.path.join(self.uri, "edges.npy"), "wb") as f:
            np.save(f, histogram.edges)
        with fileio.open(os.path.join(self.uri, "counts.npy"), "wb") as f:
            np.save(f, histogram.counts)


@step
def measurements() -> np.ndarray:
    return np.random.default_rng(5).normal(size=500)


@step
def binned(values: np.ndarray) -> Histogram:
    counts, edges = np.histogram(values, bins=8)
    return Histogram(edges, counts)


@step
def densest_bin(histogram: Histogram) -> float:
    i = int(histogram.counts.argmax())
    return float((histogram.edges[i] + histogram.edges[i + 1]) / 2)


@pipeline
def histogram_pipeline(source, binner, mode):
    values = source()
    histogram = binner(values=values)
    mode(histogram=histogram)


histogram_pipeline(source=measurements(), binner=binned(), mode=densest_bin()).run()
