"""pydantic models as their JSON (``model_dump_json``), validated back into the same class.

Why JSON and not pickle: the file is readable, and loading goes through the model's own
validation. The class comes from the recorded ``data_type`` (``module.QualName``), so it
must be importable at module level; models defined inside functions fall back to pickle.
The round trip is as exact as the model's field types make it (a field annotated ``Any``
holding a tuple comes back as a list, as with any JSON API). pydantic is imported lazily.
"""

from __future__ import annotations

from typing import IO, Any

from framework.artifacts.dotted import import_dotted
from framework.artifacts.materializers.base import BaseMaterializer, Source

__all__ = ["PydanticMaterializer"]


class PydanticMaterializer(BaseMaterializer):
    """``pydantic.BaseModel`` subclasses as ``.json``."""

    ASSOCIATED_TYPES = ("pydantic.main.BaseModel",)
    EXTENSION = ".json"

    @classmethod
    def unsupported_reason(cls, value: Any) -> str | None:
        if "<locals>" in type(value).__qualname__:
            return "the model class is defined inside a function, so it cannot be imported on load"
        return None

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        fileobj.write(value.model_dump_json().encode("utf-8"))

    def load(self, source: Source, data_type: str) -> Any:
        model_cls = import_dotted(data_type)
        with self.open_source(source) as f:
            return model_cls.model_validate_json(f.read())

    def summary(self, value: Any) -> dict[str, Any]:
        return {"model": type(value).__qualname__}
