"""Artifacts: values written by steps, stored atomically and content-hashed, loaded verified.

``ArtifactStore(url).save(value, artifact_id=new_id())`` returns an `ArtifactInfo` record;
``store.load(info, context=...)`` checks the bytes against it before deserializing.
Materializers (one module per family of types) decide the file format; users add their
own with `register_materializer`, or subclass `framework.materializers.BaseMaterializer`
(ZenML style: files under ``self.uri``). `DataArtifact`, `ModelArtifact` ... are the 0.2x
artifact kinds such materializers name in ``ASSOCIATED_ARTIFACT_TYPE(S)``.

Importing this package stays light: pandas, pyarrow, scikit-learn, skops and fsspec are
imported only when a value of theirs is saved or loaded, or a remote URL is used.
"""

from framework.artifacts.legacy_types import (
    BaseArtifact,
    DataAnalysisArtifact,
    DataArtifact,
    ModelArtifact,
    SchemaArtifact,
    ServiceArtifact,
    StatisticsArtifact,
)
from framework.artifacts.materializers.base import BaseMaterializer
from framework.artifacts.materializers.registry import register_materializer
from framework.artifacts.store import ArtifactStore
from framework.records import ArtifactInfo

__all__ = ["ArtifactStore", "ArtifactInfo", "BaseMaterializer", "register_materializer",
           "BaseArtifact", "DataAnalysisArtifact", "DataArtifact", "ModelArtifact", "SchemaArtifact",
           "ServiceArtifact", "StatisticsArtifact"]
