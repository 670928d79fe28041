"""The legacy module path ``framework.materializers.base_materializer.BaseMaterializer``."""

from framework.artifacts.materializers.directory import DirectoryMaterializer as BaseMaterializer

__all__ = ["BaseMaterializer"]
