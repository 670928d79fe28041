"""Enumerations that code written for the legacy API imports by name.

Why a module of its own: ZenML-era materializers say
``from framework.enums import ArtifactType`` and set
``ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA``. The values are the legacy artifact
class names (``"DataArtifact"``), so the enum, a plain string and the 0.2x marker classes
(`framework.artifacts.DataArtifact` ...) all describe the same kind, and what the
artifact record keeps (``metadata["artifact_type"]``) reads the same whichever was used.

Nothing here imports anything beyond the standard library: every part of the framework
may import it.
"""

from __future__ import annotations

import enum

__all__ = ["ArtifactType"]


class ArtifactType(str, enum.Enum):
    """What kind of thing an artifact is: informational, recorded with the artifact.

    It never changes how a value is stored (the materializer decides that); it is shown
    with the artifact and can be used to find artifacts of one kind.
    """

    DATA_ANALYSIS = "DataAnalysisArtifact"
    DATA = "DataArtifact"
    MODEL = "ModelArtifact"
    SCHEMA = "SchemaArtifact"
    SERVICE = "ServiceArtifact"
    STATISTICS = "StatisticsArtifact"
    BASE = "BaseArtifact"

    def __str__(self) -> str:
        return self.value
