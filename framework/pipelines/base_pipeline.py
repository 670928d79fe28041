"""``BasePipeline``: the legacy class API, where step instances are wired into slots.

``connect`` is traced with private copies of the step instances, so a run
never mutates the user's objects and the same pipeline instance runs again.
A ``connect(self, **kwargs)`` takes any slots: those the instance is given.
Options (``framework.options.PipelineOptions``) are imported when the first
pipeline is defined, not when the framework is.
"""

from __future__ import annotations

import copy
import inspect
import typing
from typing import Any, ClassVar

from framework import tracing
from framework.compiler import compile_graph
from framework.exceptions import PipelineInterfaceError
from framework.graph import PipelineGraph
from framework.steps.base_step import BaseStep, ClassOrInstanceMethod
from framework.steps.configurable import Configurable

if typing.TYPE_CHECKING:
    from framework.options import PipelineOptions


def _checks(name: str):
    from framework.steps.option_checks import PipelineChecks

    return PipelineChecks(name)


class BasePipeline(Configurable):
    """A legacy pipeline: subclass and define ``connect(self, step_1, step_2, ...)``, or use ``@pipeline``."""

    _connect_fn: ClassVar[Any]
    _connect_is_method: ClassVar[bool]
    _slots: ClassVar[list[str]]
    _any_slots: ClassVar[bool] = False  # connect(self, ..., **kwargs): extra keywords are slots too
    _class_options: ClassVar[PipelineOptions | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        raw = cls.__dict__.get("connect")
        if raw is None:
            if not hasattr(cls, "_slots"):
                raise PipelineInterfaceError(f"Pipeline class `{cls.__name__}` has no `connect(self, ...)` method.")
            return
        from framework.options import PipelineOptions, given_name

        is_method = not isinstance(raw, staticmethod)
        func = raw.__func__ if isinstance(raw, staticmethod) else raw
        params = list(inspect.signature(func).parameters.values())[1 if is_method else 0:]
        for p in params:
            if p.kind is p.VAR_POSITIONAL:
                raise PipelineInterfaceError(
                    f"Pipeline `{cls.__name__}`: `*{p.name}` is a variable positional argument; name each "
                    "step slot, or take `**kwargs` to accept any slot by keyword."
                )
        cls._connect_fn, cls._connect_is_method = func, is_method
        cls._slots = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
        cls._any_slots = any(p.kind is p.VAR_KEYWORD for p in params)
        given = cls.__dict__.get("_decorator_options", {})
        checks = _checks(given_name(given, cls.__name__))
        cls._class_options = (cls._class_options or PipelineOptions()).merged(given, checks=checks)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        self._options = cls._class_options
        slots = cls._slots
        if len(args) > len(slots):
            more = " (further steps go by keyword)" if cls._any_slots else ""
            raise PipelineInterfaceError(
                f"Pipeline `{self.name}` takes {len(slots)} step(s) ({', '.join(slots)}) by position but got "
                f"{len(args)}{more}."
            )
        wired: dict[str, Any] = dict(zip(slots, args))
        for key, value in kwargs.items():
            if key not in slots and not cls._any_slots:
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}` got an unexpected step `{key}`; its step slots are: {', '.join(slots)}."
                )
            if key in wired:
                raise PipelineInterfaceError(f"Pipeline `{self.name}` got two steps for slot `{key}`.")
            wired[key] = value
        slots = slots + [key for key in wired if key not in slots]
        missing = [s for s in slots if s not in wired]
        if missing:
            raise PipelineInterfaceError(
                f"Pipeline `{self.name}` is missing step(s) for slot(s) {', '.join(missing)}; pass e.g. "
                f"`{missing[0]}=my_step()`."
            )
        seen_objects: dict[int, str] = {}
        seen_names: dict[str, str] = {}
        for slot in slots:
            value = wired[slot]
            if isinstance(value, type) and issubclass(value, BaseStep):
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}`: slot `{slot}` got the step class `{value.__name__}`, missing brackets: "
                    f"use {slot}={value.__name__}()."
                )
            if not isinstance(value, BaseStep):
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}`: slot `{slot}` got {value!r}, which is not a step; pass a step "
                    "instance such as `my_step()`."
                )
            if id(value) in seen_objects:
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}`: the same step object is passed to slots `{seen_objects[id(value)]}` "
                    f"and `{slot}`; create a second instance for the second slot."
                )
            if value.name in seen_names:
                raise PipelineInterfaceError(
                    f"Pipeline `{self.name}`: slots `{seen_names[value.name]}` and `{slot}` hold two steps named "
                    f"`{value.name}`; give one another name, e.g. `{type(value).__name__}(name=\"{value.name}_2\")`."
                )
            seen_objects[id(value)] = slot
            seen_names[value.name] = slot
        self.steps: dict[str, BaseStep] = {slot: wired[slot] for slot in slots}

    @property
    def configuration(self) -> PipelineOptions:
        """A copy of this pipeline instance's options."""
        return copy.deepcopy(self._options)

    def configure(self, merge: bool = True, **options: Any) -> "BasePipeline":
        """Change this pipeline instance's options in place (``PipelineOptions`` names them) and
        return it; dict options merge key by key unless ``merge=False``."""
        self._options = self._options.merged(options, checks=_checks(self.name), merge=merge)
        return self

    def _get_runs(self_or_cls) -> list[Any]:
        """The runs of this pipeline, newest first, as legacy code reads them
        (``framework.post_execution`` views): on the class every version's runs, on an
        instance the runs of the version its wiring and step code make."""
        from framework.post_execution import get_pipeline

        found = get_pipeline(self_or_cls)
        if found is None:
            return []
        if isinstance(self_or_cls, type):
            return found.runs
        from framework.client import Client

        version_hash = self_or_cls.compile().version_hash()
        number = next((v.number for v in Client().list_versions(found.name) if v.hash == version_hash), None)
        return [run for run in found.runs if run.version == number] if number is not None else []

    get_runs = ClassOrInstanceMethod(_get_runs)

    def connect(self, *args: Any, **kwargs: Any) -> None:  # replaced by subclasses
        raise NotImplementedError

    def compile(self, run_config=None) -> PipelineGraph:
        """Trace ``connect`` with copies of the steps and compile the graph for one run."""
        from framework.config import build_run_config  # imports pydantic only to validate YAML or step configs
        run_config = run_config or build_run_config()
        copies = {slot: step._clone() for slot, step in self.steps.items()}
        tracer = tracing.Tracer(tracing.LEGACY)
        tracer.slots = {id(step): slot for slot, step in copies.items()}
        cls = type(self)
        with tracing.tracing(tracing.LEGACY, tracer):
            if cls._connect_is_method:
                cls._connect_fn(self, **copies)
            else:
                cls._connect_fn(**copies)
        known = set(self.steps) | {s.name for s in self.steps.values()}
        return compile_graph(
            self.name, tracer.calls, api="legacy", pipeline_options=self._options, run_config=run_config,
            after=tracer.pending_after, known_step_keys=known,
        )

    def run(
        self,
        run_name: str | None = None,
        enable_cache: bool | None = None,
        config_path: str | None = None,
        step_configurations: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        unlisted: bool = False,
    ):
        """Run the pipeline once; returns the finished run (see ``framework.client``)."""
        from framework.config import build_run_config  # imports pydantic only to validate YAML or step configs
        run_config = build_run_config(
            config_path=config_path, run_name=run_name, enable_cache=enable_cache,
            step_configurations=step_configurations, settings=settings, extra=extra,
        )
        graph = self.compile(run_config)
        from framework.pipelines.running import run_graph

        return run_graph(graph, run_config=run_config, pipeline_parameters={}, unlisted=unlisted)
