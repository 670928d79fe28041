"""The function API: a pipeline is a function that calls steps; calling it runs it.

The function body is traced (step calls record invocations and return
placeholders) into the same ``PipelineGraph`` the legacy API builds, then run
by the same launcher.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable

from framework import tracing
from framework.compiler import compile_graph
from framework.exceptions import PipelineInterfaceError
from framework.graph import PipelineGraph
from framework.steps.parameters import _coerce, check_size, to_jsonable

if TYPE_CHECKING:
    from framework.options import PipelineOptions


def _checks(name: str):
    from framework.steps.option_checks import PipelineChecks

    return PipelineChecks(name)


class Pipeline:
    """A function-API pipeline. ``p(**args)`` runs it; ``p.with_options(...)`` configures a copy."""

    def __init__(self, func: Callable, **options: Any) -> None:
        """``options``: the pipeline options of ``framework.options.PipelineOptions``."""
        from framework.options import PipelineOptions, given_name

        if not callable(func) or isinstance(func, type):
            raise PipelineInterfaceError(f"@pipeline decorates functions; got {func!r}.")
        self.func = func
        self.signature = inspect.signature(func)
        name = given_name(options, func.__name__)
        for p in self.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise PipelineInterfaceError(
                    f"Pipeline `{name}`: `{p.name}` is a variable argument; declare each argument by name."
                )
        self._options: PipelineOptions = PipelineOptions(name=func.__name__).merged(options, checks=_checks(name))
        self.run_options: dict[str, Any] = {}
        functools.update_wrapper(self, func)

    # ------------------------------------------------------------------ configuration
    @property
    def name(self) -> str:
        return self._options.name or self.func.__name__

    @property
    def enable_cache(self) -> bool | None:
        return self._options.enable_cache

    @property
    def settings(self) -> dict[str, Any]:
        return self._options.settings

    @property
    def extra(self) -> dict[str, Any]:
        return self._options.extra

    @property
    def configuration(self) -> PipelineOptions:
        """A copy of the pipeline's own options (run options are in ``run_options``)."""
        return copy.deepcopy(self._options)

    def configure(self, merge: bool = True, **options: Any) -> "Pipeline":
        """Change the pipeline's own options in place (``PipelineOptions`` names them) and return
        it; dict options merge key by key unless ``merge=False``."""
        self._options = self._options.merged(options, checks=_checks(self.name), merge=merge)
        return self

    def with_options(self, run_name: str | None = None, enable_cache: bool | None = None,
                     config_path: str | None = None, settings: dict | None = None,
                     extra: dict | None = None, unlisted: bool | None = None, **options: Any) -> "Pipeline":
        """A copy whose next calls use these run options (run-level: ``enable_cache`` overrides
        every step, ``settings``/``extra`` the pipeline's); any other keyword is a pipeline option
        of the copy (``on_failure=``, ``on_success=``, …)."""
        clone = copy.copy(self)
        clone.run_options = dict(self.run_options)
        given = {"run_name": run_name, "enable_cache": enable_cache, "config_path": config_path,
                 "settings": settings, "extra": extra, "unlisted": unlisted}
        clone.run_options.update({k: v for k, v in given.items() if v is not None})
        if options:
            clone._options = self._options.merged(options, checks=_checks(self.name))
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
        for name, value in parameters.items():
            check_size(value, step=f"pipeline {self.name}", argument=name)
        tracer = self._trace(arguments)
        graph = compile_graph(self.name, tracer.calls, api="function", pipeline_options=self._options,
                              run_config=run_config)
        return graph, parameters

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = tracing.current()
        if tracer is not None:
            if tracer.kind != tracing.FUNCTION:
                raise PipelineInterfaceError(f"Pipeline `{self.name}` cannot be called inside a legacy pipeline.")
            with tracer.group(self.name):  # a pipeline inside a pipeline adds its steps, as a group
                return self.func(**self._bind(args, kwargs, {}))
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


def pipeline(_func: Callable | None = None, **options: Any):
    """``@pipeline`` for the function API: ``@pipeline def p(gamma: float = 0.002): ...``.

    ``options`` are the pipeline options of ``framework.options.PipelineOptions`` (``name``,
    ``enable_cache``, ``settings``, ``extra``, ``on_failure``, ``on_success``), checked here.
    """

    def decorate(func: Callable) -> Pipeline:
        return Pipeline(func, **options)

    if _func is not None:
        return decorate(_func)
    return decorate


__all__ = ["Pipeline", "pipeline"]
