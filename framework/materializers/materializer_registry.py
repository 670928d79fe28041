"""``materializer_registry``: the legacy object some ZenML code uses to register a
materializer for one more type. It forwards to `framework.artifacts.materializers.registry`,
which stays the one place types are matched (by MRO, user registrations first)."""

from __future__ import annotations

from typing import Any

from framework.artifacts.materializers.registry import materializer_for_type, register_materializer

__all__ = ["MaterializerRegistry", "materializer_registry"]


class MaterializerRegistry:
    """Legacy facade over the framework's registry (no state of its own)."""

    def register_materializer_type(self, key: type, type_: type) -> None:
        """Use materializer class ``type_`` for values of ``key`` (and its subclasses)."""
        register_materializer(type_, key)

    register_and_overwrite_type = register_materializer_type

    def is_registered(self, key: Any) -> bool:
        return materializer_for_type(key) is not None

    def __getitem__(self, key: Any) -> type:
        found = materializer_for_type(key)
        if found is None:
            raise KeyError(f"No materializer is registered for {key!r}.")
        return found


materializer_registry = MaterializerRegistry()
