"""``@pipeline`` for the legacy class API: a function of step slots becomes a ``BasePipeline`` subclass."""

from __future__ import annotations

from typing import Any, Callable

from framework.exceptions import PipelineInterfaceError
from framework.pipelines.base_pipeline import BasePipeline, _pipeline_config
from framework.run_names import validate_name
from framework.settings import validate_settings


def pipeline(
    _func: Callable | None = None,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
):
    """``@pipeline def first_pipeline(step_1, step_2): ...`` → a ``BasePipeline`` subclass."""

    def decorate(func: Callable) -> type[BasePipeline]:
        if not callable(func) or isinstance(func, type):
            raise PipelineInterfaceError(f"@pipeline decorates functions; got {func!r}.")
        if name is not None:
            validate_name(name, what="pipeline name")
        config = _pipeline_config(name or func.__name__, enable_cache,
                                  validate_settings(settings, owner=f"Pipeline `{name or func.__name__}`"), extra)
        namespace = {
            "connect": staticmethod(func),
            "_class_config": config,
            "__module__": func.__module__,
            "__qualname__": func.__qualname__,
            "__doc__": func.__doc__,
        }
        return type(func.__name__, (BasePipeline,), namespace)

    if _func is not None:
        return decorate(_func)
    return decorate
