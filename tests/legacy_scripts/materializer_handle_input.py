"""A materializer written for 0.2x: `handle_input`/`handle_return`, `DataArtifact`, files under `self.uri`."""

import json
import os
from typing import Any, Type

import numpy as np

from framework.artifacts import DataArtifact
from framework.io import fileio
from framework.materializers.base_materializer import BaseMaterializer
from framework.pipelines import pipeline
from framework.steps import step

CORPUS = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog",
]


class Vocabulary:
    """Token -> index, in order of first appearance."""

    def __init__(self, tokens):
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def encode(self, sentence: str) -> list:
        return [self.index[token] for token in sentence.split()]


class VocabularyMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Vocabulary,)
    ASSOCIATED_ARTIFACT_TYPE = DataArtifact

    def handle_input(self, data_type: Type[Any]) -> Vocabulary:
        super().handle_input(data_type)
        with fileio.open(os.path.join(self.uri, "vocabulary.json"), "r") as f:
            return Vocabulary(json.load(f))

    def handle_return(self, vocabulary: Vocabulary) -> None:
        super().handle_return(vocabulary)
        with fileio.open(os.path.join(self.uri, "vocabulary.json"), "w") as f:
            json.dump(vocabulary.tokens, f)


@step
def build_vocabulary() -> Vocabulary:
    tokens = []
    for sentence in CORPUS:
        tokens += [t for t in sentence.split() if t not in tokens]
    return Vocabulary(tokens)


@step
def encode_corpus(vocabulary: Vocabulary) -> np.ndarray:
    width = max(len(s.split()) for s in CORPUS)
    rows = [vocabulary.encode(s) + [-1] * (width - len(s.split())) for s in CORPUS]
    return np.array(rows, dtype=np.int64)


@pipeline
def vocabulary_pipeline(builder, encoder):
    encoder(vocabulary=builder())


vocabulary_pipeline(
    builder=build_vocabulary().configure(output_materializers=VocabularyMaterializer),
    encoder=encode_corpus(),
).run()
