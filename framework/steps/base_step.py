"""``BaseStep``: the one step type both pipeline APIs use.

``@step`` builds a subclass of it from a function; users may also subclass it
and define ``entrypoint(self, ...)``. A step *class* describes what the step
takes and returns; a step *instance* adds configuration (name, caching,
parameters, settings). Calling an instance outside a pipeline runs it; inside
a pipeline definition it records an invocation (see ``framework.tracing``).
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any, ClassVar

from framework import tracing
from framework.exceptions import StepInterfaceError
from framework.run_names import validate_name
from framework.settings import merge_dicts, validate_settings
from framework.steps.signature import StepSignature, analyse_entrypoint, is_parameters_object

if typing.TYPE_CHECKING:
    from framework.steps.base_parameters import BaseParameters
from framework.steps.validation import validate_input, validate_outputs



class _Entrypoint:
    """Descriptor giving ``Step.entrypoint`` the raw function, on the class or an instance."""

    def __init__(self, func, is_method: bool) -> None:
        self.func, self.is_method = func, is_method

    def __get__(self, obj, owner):
        if not self.is_method:
            return self.func
        return types.MethodType(self.func, obj if obj is not None else object.__new__(owner))


class _ClassOrInstanceMethod:
    """``Step.with_options(...)`` works on the class (configures a new instance) and on instances."""

    def __init__(self, func) -> None:
        self.func = func

    def __get__(self, obj, owner):
        return types.MethodType(self.func, obj if obj is not None else owner)


def _empty_config() -> dict[str, Any]:
    return {"name": None, "enable_cache": None, "parameters": {}, "settings": {}, "extra": {},
            "output_materializers": {}}


class BaseStep:
    """A pipeline step. Subclass and define ``entrypoint(self, ...)``, or use ``@step``."""

    _signature: ClassVar[StepSignature]
    _entrypoint_fn: ClassVar[Any]
    _entrypoint_is_method: ClassVar[bool]
    _class_config: ClassVar[dict[str, Any]] = _empty_config()

    # ------------------------------------------------------------------ definition
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        raw = cls.__dict__.get("entrypoint")
        if raw is None:  # a shared base for concrete steps, or cloudpickle rebuilding a class
            return
        is_method = not isinstance(raw, staticmethod)
        func = raw.__func__ if isinstance(raw, staticmethod) else raw
        name = cls.__dict__.get("_class_config", {}).get("name") or cls.__name__
        cls._signature = analyse_entrypoint(func, name, is_method=is_method)
        cls._entrypoint_fn = func
        cls._entrypoint_is_method = is_method
        cls.entrypoint = _Entrypoint(func, is_method)
        if "_class_config" not in cls.__dict__:
            cls._class_config = copy.deepcopy(cls._class_config)

    # ------------------------------------------------------------------ instantiation
    def __new__(cls, *args: Any, **kwargs: Any):
        if not hasattr(cls, "_signature"):
            raise StepInterfaceError(
                f"Step class `{cls.__name__}` has no `entrypoint(self, ...)` method; define one "
                "(a class without one can only serve as a base for steps that do)."
            )
        tracer = tracing.current()
        instance = super().__new__(cls)
        if tracer is not None and tracer.kind == tracing.FUNCTION:
            instance._config = copy.deepcopy(cls._class_config)
            instance._params_obj = None
            return instance._record(tracer, args, kwargs)
        return instance

    def __init__(
        self,
        *args: Any,
        name: str | None = None,
        enable_cache: bool | None = None,
        settings: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        output_materializers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        cls = type(self)
        step = name or cls._class_config.get("name") or cls.__name__
        sig = cls._signature
        params_obj = None
        for value in args:
            if not is_parameters_object(value):
                raise StepInterfaceError(
                    f"Step `{step}`: positional argument {value!r} is not a BaseParameters object; "
                    "step instances take only a parameters object and keyword options "
                    "(name=, enable_cache=, settings=, extra=, output_materializers=)."
                )
            if params_obj is not None:
                raise StepInterfaceError(f"Step `{step}` got two parameters objects; pass exactly one.")
            params_obj = value
        for key, value in kwargs.items():
            if key == "params" or key == sig.params_arg:
                if params_obj is not None:
                    raise StepInterfaceError(f"Step `{step}` got two parameters objects; pass exactly one.")
                params_obj = value
            else:
                raise StepInterfaceError(
                    f"Step `{step}` got an unexpected keyword argument `{key}`; valid keywords are params, "
                    "name, enable_cache, settings, extra and output_materializers. "
                    "Inputs are connected inside the pipeline, not when creating the step."
                )
        if params_obj is not None:
            self._check_params_object(params_obj, step)
        self._config = copy.deepcopy(cls._class_config)
        self._params_obj = params_obj
        self.configure(name=name, enable_cache=enable_cache, settings=settings, extra=extra,
                       output_materializers=output_materializers)

    def _check_params_object(self, params_obj: Any, step: str) -> None:
        sig = type(self)._signature
        if sig.params_class is None:
            raise StepInterfaceError(
                f"Step `{step}` has no parameters argument but got {type(params_obj).__name__}; "
                "add an argument annotated with that class to the step function, or drop the object."
            )
        if not isinstance(params_obj, sig.params_class):
            raise StepInterfaceError(
                f"Step `{step}` expects parameters of class {sig.params_class.__name__} for argument "
                f"`{sig.params_arg}`, got {type(params_obj).__name__}; pass {sig.params_class.__name__}(...)."
            )

    # ------------------------------------------------------------------ configuration
    @property
    def name(self) -> str:
        return self._config.get("name") or type(self).__name__

    @property
    def enable_cache(self) -> bool | None:
        return self._config.get("enable_cache")

    @property
    def configuration(self) -> dict[str, Any]:
        """A copy of this instance's configuration (name, enable_cache, parameters, settings, …)."""
        return copy.deepcopy(self._config)

    @property
    def params_object(self) -> BaseParameters | None:
        return self._params_obj

    def configure(
        self,
        name: str | None = None,
        enable_cache: bool | None = None,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        output_materializers: dict[str, Any] | None = None,
        merge: bool = True,
    ) -> "BaseStep":
        """Change this instance's configuration in place and return it; dicts merge unless ``merge=False``."""
        if name is not None:
            if not isinstance(name, str) or not name:
                raise StepInterfaceError(f"Step `{self.name}`: `name=` must be a non-empty string.")
            self._config["name"] = validate_name(name, what="step name")
        if enable_cache is not None:
            if not isinstance(enable_cache, bool):
                raise StepInterfaceError(f"Step `{self.name}`: `enable_cache=` must be True or False.")
            self._config["enable_cache"] = enable_cache
        if output_materializers is not None:
            unknown = set(output_materializers) - set(type(self)._signature.outputs)
            if unknown:
                raise StepInterfaceError(
                    f"Step `{self.name}`: output_materializers names unknown output(s) {sorted(unknown)}; "
                    f"outputs are {list(type(self)._signature.outputs)}."
                )
        updates = {
            "parameters": parameters,
            "settings": validate_settings(settings, owner=f"Step `{self.name}`") if settings is not None else None,
            "extra": extra,
            "output_materializers": output_materializers,
        }
        for key, value in updates.items():
            if value is None:
                continue
            self._config[key] = merge_dicts(self._config[key], value) if merge else copy.deepcopy(dict(value))
        return self

    def _with_options(self_or_cls, **options: Any) -> "BaseStep":
        """A configured copy (``configure`` arguments); on the class, a new configured instance."""
        if isinstance(self_or_cls, type):
            with tracing.suspended():
                instance = self_or_cls()
        else:
            instance = self_or_cls._clone()
        return instance.configure(**options)

    with_options = _ClassOrInstanceMethod(_with_options)

    def _clone(self) -> "BaseStep":
        clone = object.__new__(type(self))
        clone.__dict__.update(copy.deepcopy(self.__dict__))
        return clone

    def __copy__(self) -> "BaseStep":
        return self._clone()

    def __deepcopy__(self, memo: dict) -> "BaseStep":
        return self._clone()

    def after(self, other: "BaseStep") -> None:
        """Order this step after ``other`` inside a legacy pipeline's ``connect``."""
        tracer = tracing.current()
        if tracer is None or tracer.kind != tracing.LEGACY:
            raise StepInterfaceError(
                f"Step `{self.name}`: `.after()` only works inside a legacy pipeline definition; "
                "in a function pipeline pass `after=` to the call instead."
            )
        tracer.add_after(self, other)

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = tracing.current()
        if tracer is not None:
            return self._record(tracer, args, kwargs)
        return self._run_directly(args, kwargs)

    def _record(self, tracer: "tracing.Tracer", args: tuple, kwargs: dict) -> Any:
        from framework.steps.binding import record_call

        return record_call(self, tracer, args, kwargs)

    def _run_directly(self, args: tuple, kwargs: dict) -> Any:
        """Run outside any pipeline: bind, validate inputs and parameters, call, validate outputs."""
        from framework.steps.binding import bind_arguments
        from framework.steps.parameters import resolve_parameters

        sig = type(self)._signature
        bound = bind_arguments(self, args, kwargs, allow_values=True, allow_special=False)
        values = dict(bound.values)
        inputs = {}
        for name, spec in sig.inputs.items():
            if name in values and not spec.has_default:
                inputs[name] = values.pop(name)
                validate_input(self.name, name, inputs[name], spec.annotation)
        _, call_values = resolve_parameters(
            sig, self.name, bound_inputs=set(inputs), values=values,
            params_obj=bound.params_obj or self._params_obj, overrides=self._config["parameters"],
        )
        returned = self.call_entrypoint({**inputs, **call_values})
        validate_outputs(sig, returned, step_name=self.name)
        return returned

    def call_entrypoint(self, arguments: dict[str, Any]) -> Any:
        """Call the user's function with fully resolved arguments."""
        cls = type(self)
        if cls._entrypoint_is_method:
            return cls._entrypoint_fn(self, **arguments)
        return cls._entrypoint_fn(**arguments)

    def __repr__(self) -> str:
        return f"<step `{self.name}` ({type(self).__module__}.{type(self).__qualname__})>"
