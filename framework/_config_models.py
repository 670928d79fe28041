"""The pydantic models that validate a run configuration (see ``framework.config``).

A module of their own, imported only when there is something to validate (a YAML file,
step configurations, settings or extra given in code): a run configured with a name and
a caching switch alone imports no pydantic at all.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StepRunConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enable_cache: bool | None = None
    parameters: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    extra: dict[str, Any] = {}


class RunConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_name: str | None = None
    enable_cache: bool | None = None
    settings: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    parameters: dict[str, Any] = {}  # function pipelines: the pipeline function's arguments
    steps: dict[str, StepRunConfigModel] = {}
