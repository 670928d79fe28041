"""``BaseParameters``: a step's typed, validated parameters (pydantic v2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class BaseParameters(BaseModel):
    """Subclass this to give a step typed parameters with defaults.

    Unknown fields are rejected: silently dropping a misspelt ``gama=1`` would
    run the wrong experiment. Values are coerced and validated by pydantic.
    """

    # Deferred: importing the framework builds no validator (the first build also loads
    # pydantic's plugin machinery, a scan of every installed package's entry points).
    # Subclasses — the user's parameters — are still built when they are defined.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, arbitrary_types_allowed=True,
                              defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.model_rebuild(raise_errors=False)

    def flat(self) -> dict[str, Any]:
        """Every field, defaults included, as JSON-compatible values: how runs store parameters."""
        return self.model_dump(mode="json")
