"""The report type and how it is stored: one JSON file and one .npy file."""

import json
import os
from typing import Type

import numpy as np

from framework.enums import ArtifactType
from framework.io import fileio
from framework.materializers.base_materializer import BaseMaterializer


class EvaluationReport:
    def __init__(self, model_name: str, accuracy: float, confusion: np.ndarray):
        self.model_name = model_name
        self.accuracy = accuracy
        self.confusion = confusion

    def __repr__(self) -> str:
        return f"EvaluationReport({self.model_name!r}, accuracy={self.accuracy:.3f})"


class ReportMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (EvaluationReport,)
    ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA

    def load(self, data_type: Type[EvaluationReport]) -> EvaluationReport:
        super().load(data_type)
        with fileio.open(os.path.join(self.uri, "report.json"), "r") as f:
            summary = json.load(f)
        with fileio.open(os.path.join(self.uri, "confusion.npy"), "rb") as f:
            confusion = np.load(f)
        return EvaluationReport(summary["model_name"], summary["accuracy"], confusion)

    def save(self, report: EvaluationReport) -> None:
        super().save(report)
        with fileio.open(os.path.join(self.uri, "report.json"), "w") as f:
            json.dump({"model_name": report.model_name, "accuracy": report.accuracy}, f)
        with fileio.open(os.path.join(self.uri, "confusion.npy"), "wb") as f:
            np.save(f, report.confusion)
