"""Runtime settings for pipelines, steps and stack components, keyed like ``"orchestrator.local"``.

Settings are typed pydantic models so a typo fails at configuration time, not
deep inside an orchestrator. Components register their key here.
"""

from __future__ import annotations

import copy
from typing import Any

_MODELS = ("BaseSettings", "DockerSettings", "ResourceSettings", "LocalOrchestratorSettings",
           "DaskOrchestratorSettings", "MLFlowExperimentTrackerSettings")
_REGISTRY: dict[str, Any] = {}  # key -> settings class; the built-ins join on first use


def __getattr__(name: str) -> Any:
    """The built-in models (``BaseSettings``, ``DockerSettings``, ``ResourceSettings``, …),
    created on first use."""
    if name in _MODELS:
        from framework import _settings_models

        return getattr(_settings_models, name)
    raise AttributeError(f"module 'framework.settings' has no attribute {name!r}")


def _registry() -> dict[str, Any]:
    from framework._settings_models import BUILTIN

    for key, model in BUILTIN.items():
        _REGISTRY.setdefault(key, model)
    return _REGISTRY


def register_settings(key: str, settings_class: Any) -> None:
    from framework._settings_models import BaseSettings

    if not (isinstance(settings_class, type) and issubclass(settings_class, BaseSettings)):
        raise TypeError(f"Settings for `{key}` must be a BaseSettings subclass, got {settings_class!r}.")
    _registry()[key] = settings_class


def validate_settings(settings: dict[str, Any] | None, *, owner: str) -> dict[str, Any]:
    """Check keys and values; return plain JSON-compatible dicts keyed by settings key."""
    result: dict[str, Any] = {}
    if not settings:
        return result
    from pydantic import ValidationError

    registry = _registry()
    for key, value in settings.items():
        settings_class = registry.get(key)
        if settings_class is None:
            raise ValueError(
                f"{owner}: unknown settings key `{key}`; valid keys are: {', '.join(sorted(registry))}."
            )
        try:
            model = value if isinstance(value, settings_class) else settings_class.model_validate(value)
        except ValidationError as exc:
            raise ValueError(f"{owner}: invalid settings `{key}`: {exc}") from None
        result[key] = model.model_dump(mode="json", exclude_unset=True)
    return result


def merge_dicts(base: dict[str, Any], update: dict[str, Any], *, deep: bool = True) -> dict[str, Any]:
    """Return ``base`` updated by ``update``; nested dicts merged key by key when ``deep``."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if deep and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
