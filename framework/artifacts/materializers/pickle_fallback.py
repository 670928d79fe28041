"""Pickle: the last resort for values no other materializer can store exactly.

Why it is still safe enough here: unpickling runs code, so a pickle is loaded only when
its bytes match the record (size and content hash: a swapped or altered file is rejected
before ``pickle.load`` sees it) *and* the record carries this home's keyed hash, or the
caller said ``allow_pickle=True`` (``framework.artifacts.trust``): a crafted pickle with a
matching record written into a shared store never runs.
Why a warning whenever it is chosen (see the registry): pickles break across library
versions and cannot be read by other tools, so users should know and register a proper
materializer.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.artifacts.trust import NO_TRUST, Trust
from framework.exceptions import ArtifactTrustError

__all__ = ["PickleMaterializer"]


class PickleMaterializer(BaseMaterializer):
    """Any picklable value, as ``.pkl`` (highest pickle protocol)."""

    ASSOCIATED_TYPES = ()  # never matched by type; only the fallback
    EXTENSION = ".pkl"
    LOADS_CODE = True  # the store unpickles only the exact bytes it verified
    NEEDS_TRUST = True

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        pickle.dump(value, fileobj, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, source: Source, data_type: str, trust: Trust = NO_TRUST) -> Any:
        if not trust.code:
            raise ArtifactTrustError(trust.refusal(f"This {data_type} artifact", "is a pickle"))
        with self.open_source(source) as f:
            return pickle.load(f)

    def summary(self, value: Any) -> dict[str, Any]:
        try:
            return {"len": len(value)}
        except Exception:
            return {}
