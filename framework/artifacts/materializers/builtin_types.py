"""Builtins and containers (int, float, bool, str, bytes, None, list, tuple, dict, set) as JSON.

Why JSON: the commonest step outputs stay readable with any tool, and nothing is
unpickled to read them. Exactness comes from `tagged_json` (tuples stay tuples, ints stay
ints, NaN survives). Only *exact* builtin types qualify, all the way down: a list holding
an array, or an ``IntEnum`` posing as an int, is refused by `unsupported_reason`, which makes the
store fall back to pickle with a warning that names the offending element.
"""

from __future__ import annotations

import math
from typing import IO, Any

from framework.artifacts.materializers import tagged_json
from framework.artifacts.materializers.base import BaseMaterializer, Source

__all__ = ["BuiltinsMaterializer"]

_SHORT = 100  # strings/bytes up to this length are copied into the summary


class BuiltinsMaterializer(BaseMaterializer):
    """JSON for builtin scalars and containers; see `tagged_json` for the exact encoding."""

    ASSOCIATED_TYPES = (int, float, bool, str, bytes, type(None), list, tuple, dict, set, frozenset)
    EXTENSION = ".json"

    @classmethod
    def unsupported_reason(cls, value: Any) -> str | None:
        """E.g. ``"value[2] is a numpy.ndarray, which JSON cannot store"``; None if storable."""
        try:
            tagged_json.check(value)
        except tagged_json.Unsupported as exc:
            return str(exc)
        except RecursionError:
            return "the value is nested too deeply (or contains itself)"
        return None

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        fileobj.write(tagged_json.dumps(value))

    def load(self, source: Source, data_type: str) -> Any:
        with self.open_source(source) as f:
            return tagged_json.loads(f.read())

    def summary(self, value: Any) -> dict[str, Any]:
        if isinstance(value, (list, tuple, dict, set, frozenset)):
            return {"len": len(value)}
        if isinstance(value, (str, bytes)):
            if len(value) <= _SHORT and isinstance(value, str):
                return {"value": value}
            return {"len": len(value)}
        if isinstance(value, float) and not math.isfinite(value):
            return {"value": repr(value)}
        if type(value) is int and value.bit_length() > 64:
            return {"bits": value.bit_length()}  # huge ints: keep the record tiny
        return {"value": value}
