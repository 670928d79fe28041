"""``BaseParameters``: a step's typed, validated parameters (pydantic v2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class BaseParameters(BaseModel):
    """Subclass this to give a step typed parameters with defaults.

    Unknown fields are rejected: silently dropping a misspelt ``gama=1`` would
    run the wrong experiment. Values are coerced and validated by pydantic.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, arbitrary_types_allowed=True)

    def flat(self) -> dict[str, Any]:
        """Every field, defaults included, as JSON-compatible values: how runs store parameters."""
        return self.model_dump(mode="json")
