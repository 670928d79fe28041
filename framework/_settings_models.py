"""The built-in settings models (see ``framework.settings``, which exposes them).

A module of their own so that importing the framework creates no pydantic model class:
the first one created loads much of pydantic (~40 ms); these are created when a setting
is first validated or one of them is first used.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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


BUILTIN: dict[str, type[BaseSettings]] = {
    "resources": ResourceSettings,
    "orchestrator.local": LocalOrchestratorSettings,
    "orchestrator.dask": DaskOrchestratorSettings,
}
