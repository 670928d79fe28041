"""The function API: a pipeline is a function that calls steps; calling it runs it.

The function body is traced (step calls record invocations and return
placeholders) into the same ``PipelineGraph`` the legacy API builds, then run
by the same launcher.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any, Callable

from framework import tracing
from framework.compiler import compile_graph
from framework.exceptions import PipelineInterfaceError
from framework.graph import PipelineGraph
from framework.run_names import validate_name
from framework.settings import merge_dicts, validate_settings
from framework.steps.parameters import _coerce, to_jsonable



class Pipeline:
    """A function-API pipeline. ``p(**args)`` runs it; ``p.with_options(...)`` configures a copy."""

    def __init__(self, func: Callable, *, name: str | None = None, enable_cache: bool | None = None,
                 settings: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> None:
        if not callable(func) or isinstance(func, type):
            raise PipelineInterfaceError(f"@pipeline decorates functions; got {func!r}.")
        self.func = func
        self.name = validate_name(name, what="pipeline name") if name is not None else func.__name__
        self.signature = inspect.signature(func)
        for p in self.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}`: `{p.name}` is a variable argument; declare each argument by name."
                )
        self.enable_cache = enable_cache
        self.settings = validate_settings(settings, owner=f"Pipeline `{self.name}`")
        self.extra = dict(extra or {})
        self.run_options: dict[str, Any] = {}
        functools.update_wrapper(self, func)

    # ------------------------------------------------------------------ configuration
    def configure(self, enable_cache: bool | None = None, settings: dict | None = None,
                  extra: dict | None = None) -> "Pipeline":
        """Change the pipeline's own caching, settings or extra in place."""
        if enable_cache is not None:
            self.enable_cache = enable_cache
        if settings is not None:
            self.settings = merge_dicts(self.settings, validate_settings(settings, owner=f"Pipeline `{self.name}`"))
        if extra is not None:
            self.extra = merge_dicts(self.extra, extra)
        return self

    def with_options(self, run_name: str | None = None, enable_cache: bool | None = None,
                     config_path: str | None = None, settings: dict | None = None,
                     extra: dict | None = None, unlisted: bool | None = None) -> "Pipeline":
        """A copy whose next calls use these run options (``enable_cache`` overrides every step)."""
        clone = copy.copy(self)
        clone.run_options = dict(self.run_options)
        given = {"run_name": run_name, "enable_cache": enable_cache, "config_path": config_path,
                 "settings": settings, "extra": extra, "unlisted": unlisted}
        clone.run_options.update({k: v for k, v in given.items() if v is not None})
        return clone

    # ------------------------------------------------------------------ arguments
    def _bind(self, args: tuple, kwargs: dict, defaults: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise ValueError(f"Pipeline `{self.name}`: {exc}.") from None
        values = dict(defaults)
        unknown = set(values) - set(self.signature.parameters)
        if unknown:
            raise ValueError(
                f"Pipeline `{self.name}`: the run configuration sets unknown argument(s) {sorted(unknown)}; "
                f"the pipeline takes: {', '.join(self.signature.parameters) or '(none)'}."
            )
        values.update(bound.arguments)
        result = {}
        for name, p in self.signature.parameters.items():
            if name in values:
                value = values[name]
                if p.annotation is not inspect.Parameter.empty:
                    value = _coerce(value, p.annotation, step=f"pipeline {self.name}", argument=name)
                result[name] = value
            elif p.default is not inspect.Parameter.empty:
                result[name] = p.default
            else:
                raise ValueError(
                    f"Pipeline `{self.name}` is missing argument `{name}`; call it as `{self.name}({name}=...)`."
                )
        return result

    # ------------------------------------------------------------------ tracing and running
    def _trace(self, arguments: dict[str, Any]) -> tracing.Tracer:
        with tracing.tracing(tracing.FUNCTION) as tracer:
            self.func(**arguments)
        if not tracer.calls:
            raise PipelineInterfaceError(f"Pipeline `{self.name}` calls no step; call at least one step in its body.")
        return tracer

    def compile(self, *args: Any, run_config=None, **kwargs: Any) -> tuple[PipelineGraph, dict[str, Any]]:
        """The graph one call with these arguments would run, and the recorded pipeline parameters."""
        from framework.config import build_run_config  # imports pydantic only to validate YAML or step configs
        run_config = run_config or build_run_config()
        arguments = self._bind(args, kwargs, run_config.parameters)
        parameters = {k: to_jsonable(v, step=f"pipeline {self.name}", argument=k) for k, v in arguments.items()}
        tracer = self._trace(arguments)
        graph = compile_graph(
            self.name, tracer.calls, api="function",
            pipeline_config={"enable_cache": self.enable_cache, "settings": self.settings, "extra": self.extra},
            run_config=run_config,
        )
        return graph, parameters

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = tracing.current()
        if tracer is not None:
            if tracer.kind != tracing.FUNCTION:
                raise PipelineInterfaceError(f"Pipeline `{self.name}` cannot be called inside a legacy pipeline.")
            return self.func(**self._bind(args, kwargs, {}))  # a pipeline inside a pipeline adds its steps
        from framework.pipelines.running import run_graph

        options = self.run_options
        from framework.config import build_run_config  # imports pydantic only to validate YAML or step configs
        run_config = build_run_config(
            config_path=options.get("config_path"), run_name=options.get("run_name"),
            enable_cache=options.get("enable_cache"), settings=options.get("settings"), extra=options.get("extra"),
        )
        graph, parameters = self.compile(*args, run_config=run_config, **kwargs)
        return run_graph(graph, run_config=run_config, pipeline_parameters=parameters,
                         unlisted=bool(options.get("unlisted", False)))

    def __repr__(self) -> str:
        return f"<pipeline `{self.name}`>"


def pipeline(
    _func: Callable | None = None,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    settings: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
):
    """``@pipeline`` for the function API: ``@pipeline def p(gamma: float = 0.002): ...``."""

    def decorate(func: Callable) -> Pipeline:
        return Pipeline(func, name=name, enable_cache=enable_cache, settings=settings, extra=extra)

    if _func is not None:
        return decorate(_func)
    return decorate


__all__ = ["Pipeline", "pipeline"]
