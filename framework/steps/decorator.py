"""``@step``: turn a function into a ``BaseStep`` subclass named like the function."""

from __future__ import annotations

from typing import Any, Callable, overload

from framework.exceptions import StepInterfaceError
from framework.run_names import validate_name
from framework.settings import validate_settings
from framework.steps.base_step import BaseStep, _empty_config


def _make_step_class(func: Callable, config: dict[str, Any]) -> type[BaseStep]:
    if not callable(func) or isinstance(func, type):
        raise StepInterfaceError(f"@step decorates functions; got {func!r}. Subclass BaseStep for a class-based step.")
    name = config.get("name") or func.__name__
    if config.get("name") is not None:
        validate_name(config["name"], what="step name")
    class_config = _empty_config()
    class_config.update({k: v for k, v in config.items() if v is not None})
    class_config["settings"] = validate_settings(config.get("settings"), owner=f"Step `{name}`")
    namespace = {
        "entrypoint": staticmethod(func),
        "_class_config": class_config,
        "__module__": func.__module__,
        "__qualname__": func.__qualname__,
        "__doc__": func.__doc__,
        "__wrapped__": func,
    }
    return type(func.__name__, (BaseStep,), namespace)


@overload
def step(_func: Callable) -> type[BaseStep]: ...
@overload
def step(*, name: str | None = ..., enable_cache: bool | None = ..., settings: dict | None = ...,
         extra: dict | None = ..., output_materializers: dict | None = ...) -> Callable[[Callable], type[BaseStep]]: ...


def step(
    _func: Callable | None = None,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    output_materializers: dict[str, Any] | None = None,
):
    """Make a step from a function: ``@step`` or ``@step(enable_cache=False, ...)``.

    The result is a ``BaseStep`` subclass: instantiate it for a legacy
    pipeline, or call it inside a function pipeline.
    """
    config = {"name": name, "enable_cache": enable_cache, "settings": settings, "extra": extra or {},
              "output_materializers": output_materializers or {}}

    def decorate(func: Callable) -> type[BaseStep]:
        return _make_step_class(func, config)

    if _func is not None:
        return decorate(_func)
    return decorate
