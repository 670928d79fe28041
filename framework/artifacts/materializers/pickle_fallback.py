"""Pickle: the last resort for values no other materializer can store exactly.

Why it is still safe enough here: unpickling runs code, so the artifact store unpickles
only bytes whose size and content hash match the record written when the framework
pickled them — a swapped or altered file is rejected before ``pickle.load`` sees it.
Why a warning whenever it is chosen (see the registry): pickles break across library
versions and cannot be read by other tools, so users should know and register a proper
materializer.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

from framework.artifacts.materializers.base import BaseMaterializer, Source

__all__ = ["PickleMaterializer"]


class PickleMaterializer(BaseMaterializer):
    """Any picklable value, as ``.pkl`` (highest pickle protocol)."""

    ASSOCIATED_TYPES = ()  # never matched by type; only the fallback
    EXTENSION = ".pkl"
    LOADS_CODE = True  # the store unpickles only the exact bytes it verified

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        pickle.dump(value, fileobj, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, source: Source, data_type: str) -> Any:
        with self.open_source(source) as f:
            return pickle.load(f)

    def summary(self, value: Any) -> dict[str, Any]:
        try:
            return {"len": len(value)}
        except Exception:
            return {}
