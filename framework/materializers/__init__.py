"""Materializers written for ZenML: ``from framework.materializers import BaseMaterializer``.

`BaseMaterializer` here is the directory-based base (files under ``self.uri``,
``load(data_type)`` / ``save(data)``); subclasses with ``ASSOCIATED_TYPES`` register
themselves for those types when defined. It is
`framework.artifacts.materializers.DirectoryMaterializer`; the module docstring there says
how it maps onto the store's one-file-per-artifact rule. Stream-based materializers
(``save(value, fileobj)``) subclass `framework.artifacts.BaseMaterializer` instead.
"""

from framework.artifacts.materializers.directory import DirectoryMaterializer as BaseMaterializer

__all__ = ["BaseMaterializer"]
