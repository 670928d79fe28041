"""Class-based steps with parameters and a class-based pipeline, plus a unit test through `entrypoint`."""

import numpy as np
from sklearn.base import ClusterMixin
from sklearn.cluster import KMeans

from framework.pipelines import BasePipeline
from framework.steps import BaseParameters, BaseStep, Output


class BlobParams(BaseParameters):
    centers: int = 3
    points_per_center: int = 30
    seed: int = 4


class BlobGenerator(BaseStep):
    """Gaussian blobs around evenly spaced centers."""

    def entrypoint(self, params: BlobParams) -> Output(points=np.ndarray, truth=np.ndarray):
        rng = np.random.default_rng(params.seed)
        centers = np.array([[3.0 * i, (-1.0) ** i] for i in range(params.centers)])
        truth = np.repeat(np.arange(params.centers), params.points_per_center)
        points = centers[truth] + rng.normal(scale=0.3, size=(len(truth), 2))
        return points, truth


class KMeansParams(BaseParameters):
    n_clusters: int = 3


class Clusterer(BaseStep):
    def entrypoint(self, params: KMeansParams, points: np.ndarray) -> ClusterMixin:
        return KMeans(n_clusters=params.n_clusters, n_init=5, random_state=0).fit(points)


class Purity(BaseStep):
    def entrypoint(self, model: ClusterMixin, points: np.ndarray, truth: np.ndarray) -> float:
        labels = model.predict(points)
        hits = sum(np.bincount(truth[labels == k]).max() for k in np.unique(labels))
        return float(hits / len(truth))


class ClusteringPipeline(BasePipeline):
    def connect(self, generator: BaseStep, clusterer: BaseStep, scorer: BaseStep) -> None:
        points, truth = generator()
        model = clusterer(points=points)
        scorer(model=model, points=points, truth=truth)


# the seed's way of unit-testing a step: call its entrypoint directly
points, truth = BlobGenerator().entrypoint(BlobParams(centers=2, points_per_center=5))
assert points.shape == (10, 2) and list(truth) == [0] * 5 + [1] * 5

ClusteringPipeline(
    generator=BlobGenerator(BlobParams(centers=4)),
    clusterer=Clusterer(KMeansParams(n_clusters=4)),
    scorer=Purity(),
).run(run_name="kmeans_{{date}}_{{time}}")
