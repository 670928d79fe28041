"""``BaseParameters``: a step's typed, validated parameters (pydantic v2).

Legacy code was written for pydantic v1, and runs unchanged: a field without an annotation
takes its type from its default (``test_size = 0.2`` is a float field), ``class Config:``
with v1 keys (``extra``, ``allow_mutation``, …) is translated to v2's ``model_config``, and
``.dict()`` / ``.json()`` work without deprecation warnings. The translation happens in a
small metaclass because pydantic reads the class body before any hook a subclass could
define; it touches nothing but un-annotated public values and ``Config``.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

# v1 ``Config`` keys that v2 renamed (``allow_mutation`` is inverted: see ``_translate_config``).
_RENAMED_CONFIG_KEYS = {
    "allow_population_by_field_name": "populate_by_name",
    "anystr_lower": "str_to_lower",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_upper": "str_to_upper",
    "keep_untouched": "ignored_types",
    "max_anystr_length": "str_max_length",
    "min_anystr_length": "str_min_length",
    "orm_mode": "from_attributes",
    "schema_extra": "json_schema_extra",
    "validate_all": "validate_default",
}
_DROPPED_CONFIG_KEYS = {"underscore_attrs_are_private", "smart_union", "copy_on_model_validation",
                        "fields", "error_msg_templates", "getter_dict", "json_loads", "json_dumps"}


def _is_field_value(name: str, value: Any) -> bool:
    """An un-annotated class attribute pydantic v1 made a field: public data, not code."""
    if name.startswith("_") or isinstance(value, (type, property, classmethod, staticmethod)):
        return False
    return isinstance(value, FieldInfo) or not (callable(value) or hasattr(value, "__get__"))


def _infer_annotations(namespace: dict[str, Any]) -> None:
    annotations = namespace.get("__annotations__")
    if annotations is None and "__annotate__" in namespace:  # Python 3.14+: annotations are lazy
        import annotationlib

        annotations = annotationlib.call_annotate_function(namespace["__annotate__"],
                                                           annotationlib.Format.FORWARDREF)
    annotations = dict(annotations or {})
    inferred = {}
    for name, value in namespace.items():
        if name in annotations or name == "model_config" or not _is_field_value(name, value):
            continue
        if isinstance(value, FieldInfo):
            value = None if value.is_required() else value.get_default(call_default_factory=True)
        inferred[name] = Any if value is None else type(value)
    if inferred:  # classes written for pydantic v2 are left exactly as they are
        namespace.pop("__annotate__", None)
        namespace["__annotations__"] = {**annotations, **inferred}


def _translate_config(namespace: dict[str, Any]) -> None:
    config_class = namespace.pop("Config", None)
    if config_class is None:
        return
    config: dict[str, Any] = dict(namespace.get("model_config") or {})
    for key, value in vars(config_class).items():
        if key.startswith("__") or key in _DROPPED_CONFIG_KEYS:
            continue
        if key == "allow_mutation":
            config["frozen"] = not value
        elif key == "extra":
            config["extra"] = value.value if isinstance(value, enum.Enum) else value
        else:
            config[_RENAMED_CONFIG_KEYS.get(key, key)] = value
    namespace["model_config"] = ConfigDict(**config)


class _ParametersMeta(type(BaseModel)):  # type: ignore[misc]
    def __new__(mcs, name: str, bases: tuple, namespace: dict[str, Any], **kwargs: Any):
        if any(isinstance(base, _ParametersMeta) for base in bases):  # BaseParameters itself is left alone
            _translate_config(namespace)
            _infer_annotations(namespace)
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class BaseParameters(BaseModel, metaclass=_ParametersMeta):
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

    # pydantic v1 spellings, kept for legacy code (v2 deprecates them with a warning)
    def dict(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """``model_dump`` under its pydantic v1 name (same keyword arguments)."""
        return self.model_dump(**kwargs)

    def json(self, **kwargs: Any) -> str:  # type: ignore[override]
        """``model_dump_json`` under its pydantic v1 name (same keyword arguments)."""
        return self.model_dump_json(**kwargs)


#: The legacy name of ``BaseParameters`` (ZenML before 0.20 called step parameters a step config).
BaseStepConfig = BaseParameters
