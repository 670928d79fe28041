"""Run configuration: the YAML file and ``.run()`` arguments, validated and merged.

Precedence, low to high: parameters-class defaults < the object given at
instantiation / ``configure`` < the YAML file < arguments in code.

``DockerSettings`` and ``ResourceSettings`` are importable from here too, as legacy
code does (``from framework.config import DockerSettings``); they are created on first
use, like every settings model (see ``framework.settings``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from framework.settings import merge_dicts

_SETTINGS_MODELS = ("BaseSettings", "DockerSettings", "ResourceSettings")


def __getattr__(name: str) -> Any:
    if name in _SETTINGS_MODELS:
        from framework import _settings_models

        return getattr(_settings_models, name)
    raise AttributeError(f"module 'framework.config' has no attribute {name!r}")


@dataclasses.dataclass
class StepRunConfig:
    enable_cache: bool | None = None
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class RunConfig:
    """A validated run configuration (plain data; validation: ``framework._config_models``)."""

    run_name: str | None = None
    enable_cache: bool | None = None
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)  # function pipelines' arguments
    steps: dict[str, StepRunConfig] = dataclasses.field(default_factory=dict)

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """A plain-dict copy; ``mode="json"`` makes every value JSON (as pydantic would)."""
        data = dataclasses.asdict(self)
        if mode == "json" and (self.settings or self.extra or self.parameters or self.steps):
            from framework._config_models import RunConfigModel

            return RunConfigModel.model_validate(data).model_dump(mode="json")
        return data

    @classmethod
    def model_validate(cls, data: Any) -> RunConfig:
        """Validate a mapping (pydantic's rules: unknown keys are refused); raises its
        ``ValidationError``."""
        from framework._config_models import RunConfigModel

        model = RunConfigModel.model_validate(data)
        return cls(run_name=model.run_name, enable_cache=model.enable_cache, settings=model.settings,
                   extra=model.extra, parameters=model.parameters,
                   steps={key: StepRunConfig(**step.model_dump()) for key, step in model.steps.items()})


def _validated(data: Any, problem: str) -> RunConfig:
    from pydantic import ValidationError

    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{problem}: {exc}") from None


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
    return _validated(data, f"Run configuration file `{path}` is invalid")


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
    if (config_path is None and not step_configurations and not settings and not extra
            and (run_name is None or type(run_name) is str)
            and (enable_cache is None or type(enable_cache) is bool)):
        return RunConfig(run_name=run_name, enable_cache=enable_cache)  # nothing else to validate
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
            defaults = StepRunConfig()
            step_config = {f.name: getattr(step_config, f.name) for f in dataclasses.fields(StepRunConfig)
                           if getattr(step_config, f.name) != getattr(defaults, f.name)}
        data["steps"][slot] = merge_dicts(data["steps"].get(slot, {}), dict(step_config))
    return _validated(data, "Invalid run configuration")
