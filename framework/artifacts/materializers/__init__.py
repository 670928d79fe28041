"""Materializers: one module per family of types, plus the contract and the registry.

Importing this package imports none of the libraries the families serve (numpy, pandas,
pyarrow, scikit-learn, skops, pydantic); each family imports its library inside its
methods, and the registry matches their types by dotted name.

`DirectoryMaterializer` is the base of materializers written for ZenML (files under
``self.uri``); users reach it as `framework.materializers.BaseMaterializer`.
"""

from framework.artifacts.materializers.base import BaseMaterializer
from framework.artifacts.materializers.builtin_types import BuiltinsMaterializer
from framework.artifacts.materializers.directory import DirectoryMaterializer
from framework.artifacts.materializers.numpy_arrays import NumpyMaterializer
from framework.artifacts.materializers.pandas_frames import PandasMaterializer
from framework.artifacts.materializers.pickle_fallback import PickleMaterializer
from framework.artifacts.materializers.pydantic_models import PydanticMaterializer
from framework.artifacts.materializers.registry import (
    materializer_by_name,
    materializer_for_type,
    materializer_for_value,
    register_materializer,
    unregister_materializer,
)
from framework.artifacts.materializers.sklearn_estimators import SklearnMaterializer

__all__ = [
    "BaseMaterializer", "BuiltinsMaterializer", "DirectoryMaterializer", "NumpyMaterializer", "PandasMaterializer",
    "PickleMaterializer", "PydanticMaterializer", "SklearnMaterializer",
    "materializer_by_name", "materializer_for_type", "materializer_for_value",
    "register_materializer", "unregister_materializer",
]
