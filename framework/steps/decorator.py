"""``@step``: turn a function into a ``BaseStep`` subclass named like the function."""

from __future__ import annotations

from typing import Any, Callable

from framework.exceptions import StepInterfaceError
from framework.steps.base_step import BaseStep


def _make_step_class(func: Callable, options: dict[str, Any]) -> type[BaseStep]:
    if not callable(func) or isinstance(func, type):
        raise StepInterfaceError(f"@step decorates functions; got {func!r}. Subclass BaseStep for a class-based step.")
    namespace = {
        "entrypoint": staticmethod(func),
        "_decorator_options": options,  # checked and merged by BaseStep.__init_subclass__
        "__module__": func.__module__,
        "__qualname__": func.__qualname__,
        "__doc__": func.__doc__,
        "__wrapped__": func,
    }
    return type(func.__name__, (BaseStep,), namespace)


def step(_func: Callable | None = None, **options: Any):
    """Make a step from a function: ``@step`` or ``@step(enable_cache=False, ...)``.

    ``options`` are the step options of ``framework.options.StepOptions`` (``name``,
    ``enable_cache``, ``parameters``, ``settings``, ``extra``, ``output_materializers``,
    ``on_failure``, ``on_success``, ``experiment_tracker``), checked here. The result is a
    ``BaseStep`` subclass: instantiate it for a legacy pipeline, or call it inside a
    function pipeline.
    """

    def decorate(func: Callable) -> type[BaseStep]:
        return _make_step_class(func, options)

    if _func is not None:
        return decorate(_func)
    return decorate
