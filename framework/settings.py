"""Runtime settings for pipelines, steps and stack components, keyed like ``"orchestrator.local"``.

Settings are typed pydantic models so a typo fails at configuration time, not
deep inside an orchestrator. Components register their key here.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class BaseSettings(BaseModel):
    """Base of every settings model: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use, not at import


class ResourceSettings(BaseSettings):
    """Resources a step asks of the orchestrator (honoured where the orchestrator can)."""

    cpu_count: float | None = None
    gpu_count: int | None = None
    memory: str | None = None


class LocalOrchestratorSettings(BaseSettings):
    """How the local orchestrator runs steps: ``max_workers=1`` keeps one step at a time."""

    max_workers: int = 1


class DaskOrchestratorSettings(BaseSettings):
    """How the Dask orchestrator submits a step (on a step: that step; on a pipeline or run
    configuration: every step, a step's own value winning key by key).

    ``resources`` are Dask worker resources, e.g. ``{"GPU": 1}``: the step runs only on a
    worker started with at least that much (``dask worker ... --resources "GPU=1"``); a step
    asking for a resource no connected worker offers fails with an error instead of
    waiting forever. ``priority``: when workers are busy, higher runs first.
    """

    resources: dict[str, float] = {}
    priority: int = 0


_REGISTRY: dict[str, type[BaseSettings]] = {
    "resources": ResourceSettings,
    "orchestrator.local": LocalOrchestratorSettings,
    "orchestrator.dask": DaskOrchestratorSettings,
}


def register_settings(key: str, settings_class: type[BaseSettings]) -> None:
    if not (isinstance(settings_class, type) and issubclass(settings_class, BaseSettings)):
        raise TypeError(f"Settings for `{key}` must be a BaseSettings subclass, got {settings_class!r}.")
    _REGISTRY[key] = settings_class


def validate_settings(settings: dict[str, Any] | None, *, owner: str) -> dict[str, Any]:
    """Check keys and values; return plain JSON-compatible dicts keyed by settings key."""
    result: dict[str, Any] = {}
    for key, value in (settings or {}).items():
        settings_class = _REGISTRY.get(key)
        if settings_class is None:
            raise ValueError(
                f"{owner}: unknown settings key `{key}`; valid keys are: {', '.join(sorted(_REGISTRY))}."
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
