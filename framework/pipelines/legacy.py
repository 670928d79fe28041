"""``@pipeline`` for the legacy class API: a function of step slots becomes a ``BasePipeline`` subclass."""

from __future__ import annotations

from typing import Any, Callable

from framework.exceptions import PipelineInterfaceError
from framework.pipelines.base_pipeline import BasePipeline


def pipeline(_func: Callable | None = None, **options: Any):
    """``@pipeline def first_pipeline(step_1, step_2): ...`` → a ``BasePipeline`` subclass.

    ``options`` are the pipeline options of ``framework.options.PipelineOptions`` (``name``,
    ``enable_cache``, ``settings``, ``extra``, ``on_failure``, ``on_success``), checked here.
    """

    def decorate(func: Callable) -> type[BasePipeline]:
        if not callable(func) or isinstance(func, type):
            raise PipelineInterfaceError(f"@pipeline decorates functions; got {func!r}.")
        namespace = {
            "connect": staticmethod(func),
            "_decorator_options": {"name": func.__name__, **options},  # checked by __init_subclass__
            "__module__": func.__module__,
            "__qualname__": func.__qualname__,
            "__doc__": func.__doc__,
        }
        return type(func.__name__, (BasePipeline,), namespace)

    if _func is not None:
        return decorate(_func)
    return decorate
