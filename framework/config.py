"""Run configuration: the YAML file and ``.run()`` arguments, validated and merged.

Precedence, low to high: parameters-class defaults < the object given at
instantiation / ``configure`` < the YAML file < arguments in code.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from framework.settings import merge_dicts


class StepRunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use, not at import

    enable_cache: bool | None = None
    parameters: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    extra: dict[str, Any] = {}


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use, not at import

    run_name: str | None = None
    enable_cache: bool | None = None
    settings: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    parameters: dict[str, Any] = {}  # function pipelines: the pipeline function's arguments
    steps: dict[str, StepRunConfig] = {}


def load_run_config(path: str | os.PathLike) -> RunConfig:
    """Read and validate a YAML run configuration; errors name the file."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"Run configuration file `{path}` does not exist.") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"Run configuration file `{path}` is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"Run configuration file `{path}` must hold a mapping at the top level.")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"Run configuration file `{path}` is invalid: {exc}") from None


def build_run_config(
    *,
    config_path: str | os.PathLike | None = None,
    run_name: str | None = None,
    enable_cache: bool | None = None,
    step_configurations: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> RunConfig:
    """The YAML (if any) overridden by the arguments given in code."""
    config = load_run_config(config_path) if config_path is not None else RunConfig()
    data = config.model_dump()
    if run_name is not None:
        data["run_name"] = run_name
    if enable_cache is not None:
        data["enable_cache"] = enable_cache
    if settings:
        data["settings"] = merge_dicts(data["settings"], settings)
    if extra:
        data["extra"] = merge_dicts(data["extra"], extra)
    for slot, step_config in (step_configurations or {}).items():
        if isinstance(step_config, StepRunConfig):
            step_config = step_config.model_dump(exclude_unset=True)
        data["steps"][slot] = merge_dicts(data["steps"].get(slot, {}), dict(step_config))
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"Invalid run configuration: {exc}") from None
