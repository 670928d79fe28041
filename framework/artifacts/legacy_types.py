"""The 0.2x artifact classes (`DataArtifact`, `ModelArtifact` ...) and how any spelling of
an artifact type becomes one `framework.enums.ArtifactType`.

Why marker classes: materializers written for ZenML 0.2x say
``ASSOCIATED_ARTIFACT_TYPES = (DataArtifact,)`` (or the singular attribute) with
``from framework.artifacts import DataArtifact``. In this framework an artifact is one
content-hashed file described by an `ArtifactInfo` record, so these classes carry only
their ``TYPE_NAME``; they are never instantiated by the store. Keeping them in this tiny
module (standard library only) keeps ``import framework.artifacts`` as light as before.
"""

from __future__ import annotations

from typing import Any, ClassVar

from framework.enums import ArtifactType

__all__ = [
    "BaseArtifact", "DataArtifact", "DataAnalysisArtifact", "ModelArtifact", "SchemaArtifact",
    "ServiceArtifact", "StatisticsArtifact", "artifact_type_of",
]


class BaseArtifact:
    """Marker for the legacy artifact kinds; ``TYPE_NAME`` is an `ArtifactType` value."""

    TYPE_NAME: ClassVar[str] = ArtifactType.BASE.value


class DataArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.DATA.value


class DataAnalysisArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.DATA_ANALYSIS.value


class ModelArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.MODEL.value


class SchemaArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.SCHEMA.value


class ServiceArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.SERVICE.value


class StatisticsArtifact(BaseArtifact):
    TYPE_NAME = ArtifactType.STATISTICS.value


def artifact_type_of(spec: Any) -> ArtifactType:
    """The `ArtifactType` that ``spec`` names; ``ValueError`` if it names none.

    Accepted: an `ArtifactType`, its value (``"DataArtifact"``) or member name
    (``"DATA"``), a marker class or instance from this module (or any class with a
    ``TYPE_NAME``), and a tuple/list of those (the 0.2x plural attribute: the first one
    counts, as the legacy store recorded one type per artifact). ``None`` or an empty
    tuple means `ArtifactType.BASE`.
    """
    if spec is None:
        return ArtifactType.BASE
    if isinstance(spec, (tuple, list)):
        return artifact_type_of(spec[0]) if spec else ArtifactType.BASE
    if isinstance(spec, ArtifactType):
        return spec
    name = getattr(spec, "TYPE_NAME", spec)
    if isinstance(name, str):
        if name in ArtifactType.__members__:
            return ArtifactType[name]
        try:
            return ArtifactType(name)
        except ValueError:
            pass
    choices = ", ".join(f"ArtifactType.{m.name}" for m in ArtifactType)
    raise ValueError(f"{spec!r} is not an artifact type; use one of {choices} "
                     "(or DataArtifact, ModelArtifact ... from framework.artifacts).")
