"""`output_materializers=` as one class for every output and as a dict by output name."""

import json
import os
from typing import Type

import numpy as np

from framework.enums import ArtifactType
from framework.io import fileio
from framework.materializers.base_materializer import BaseMaterializer
from framework.pipelines import pipeline
from framework.steps import Output, step


class Split:
    """Rows of a dataset and where they came from."""

    def __init__(self, rows: np.ndarray, source: str):
        self.rows = rows
        self.source = source


class SplitMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Split,)
    ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA

    def load(self, data_type: Type[Split]) -> Split:
        with fileio.open(os.path.join(self.uri, "rows.npy"), "rb") as f:
            rows = np.load(f)
        with fileio.open(os.path.join(self.uri, "source.txt"), "r") as f:
            return Split(rows, f.read())

    def save(self, split: Split) -> None:
        with fileio.open(os.path.join(self.uri, "rows.npy"), "wb") as f:
            np.save(f, split.rows)
        with fileio.open(os.path.join(self.uri, "source.txt"), "w") as f:
            f.write(split.source)


class SplitStats:
    def __init__(self, counts: dict, sources: list):
        self.counts = counts
        self.sources = sources


class StatsMaterializer(BaseMaterializer):
    """Stores the statistics as one JSON file with sorted keys."""

    ASSOCIATED_TYPES = (SplitStats,)
    ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA

    def load(self, data_type: Type[SplitStats]) -> SplitStats:
        with fileio.open(os.path.join(self.uri, "stats.json"), "r") as f:
            content = json.load(f)
        return SplitStats(content["counts"], content["sources"])

    def save(self, stats: SplitStats) -> None:
        with fileio.open(os.path.join(self.uri, "stats.json"), "w") as f:
            json.dump({"counts": stats.counts, "sources": stats.sources}, f, sort_keys=True)


@step(output_materializers=SplitMaterializer)
def splitter() -> Output(train=Split, test=Split):
    rows = np.arange(40, dtype=np.int64).reshape(20, 2)
    return Split(rows[:15], "synthetic:train"), Split(rows[15:], "synthetic:test")


@step(output_materializers={"stats": StatsMaterializer})
def describe(train: Split, test: Split) -> Output(stats=SplitStats, total=int):
    stats = SplitStats({"train": len(train.rows), "test": len(test.rows)}, [train.source, test.source])
    return stats, int(train.rows.sum() + test.rows.sum())


@pipeline
def split_pipeline(split_step, describe_step):
    train, test = split_step()
    describe_step(train=train, test=test)


split_pipeline(split_step=splitter(), describe_step=describe()).run()
