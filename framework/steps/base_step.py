"""``BaseStep``: the one step type both pipeline APIs use.

``@step`` builds a subclass of it from a function; users may also subclass it
and define ``entrypoint(self, ...)``. A step *class* describes what the step
takes and returns; a step *instance* adds its options (``framework.options.StepOptions``:
name, caching, parameters, settings, hooks, …). Calling an instance outside a pipeline
runs it; inside a pipeline definition it records an invocation (see ``framework.tracing``).

The options module (and attrs with it) is imported when the first step is defined, not
when the framework is: ``import framework.steps`` stays as cheap as it was.
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any, ClassVar

from framework import tracing
from framework.exceptions import StepInterfaceError
from framework.steps.configurable import Configurable
from framework.steps.signature import StepSignature, analyse_entrypoint, is_parameters_object
from framework.steps.validation import validate_input, validate_outputs

if typing.TYPE_CHECKING:
    from framework.options import StepOptions
    from framework.steps.base_parameters import BaseParameters


class _Entrypoint:
    """Descriptor giving ``Step.entrypoint`` the raw function, on the class or an instance."""

    def __init__(self, func, is_method: bool) -> None:
        self.func, self.is_method = func, is_method

    def __get__(self, obj, owner):
        if not self.is_method:
            return self.func
        return types.MethodType(self.func, obj if obj is not None else object.__new__(owner))


class ClassOrInstanceMethod:
    """``Step.with_options(...)`` works on the class (configures a new instance) and on instances."""

    def __init__(self, func) -> None:
        self.func = func

    def __get__(self, obj, owner):
        return types.MethodType(self.func, obj if obj is not None else owner)


def _checks(step_cls: type, label: str):
    from framework.steps.option_checks import StepChecks

    return StepChecks(step_cls._signature, label)


def _runs_the_step(cls: type, args: tuple, kwargs: dict) -> bool:
    """Are these the step's own arguments (inputs, parameters), rather than what makes an
    instance (a parameters object, step options)? Both at once is a `StepInterfaceError`."""
    sig = cls._signature
    names = cls._class_options.option_names()
    own = [repr(a) for a in args if not is_parameters_object(a)]
    own += [key for key in kwargs if key in sig.inputs]
    if not own:
        return False
    options = [key for key in kwargs if key in names]
    if options:
        raise StepInterfaceError(
            f"Step `{cls.__name__}` got step arguments ({', '.join(own)}) and step options "
            f"({', '.join(options)}) in one call. To run a configured step, configure it first: "
            f"`{cls.__name__}.with_options({options[0]}=...)(...)`; to make an instance for a legacy "
            "pipeline, pass only a parameters object and options.")
    return True


class BaseStep(Configurable):
    """A pipeline step. Subclass and define ``entrypoint(self, ...)``, or use ``@step``."""

    _signature: ClassVar[StepSignature]
    _entrypoint_fn: ClassVar[Any]
    _entrypoint_is_method: ClassVar[bool]
    _class_options: ClassVar[StepOptions | None] = None
    #: Set on the private copies a compiled graph holds: the pipeline they run in.
    _pipeline_name: str | None = None

    # ------------------------------------------------------------------ definition
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        raw = cls.__dict__.get("entrypoint")
        if raw is None:  # a shared base for concrete steps, or cloudpickle rebuilding a class
            return
        from framework.options import StepOptions, given_name

        is_method = not isinstance(raw, staticmethod)
        func = raw.__func__ if isinstance(raw, staticmethod) else raw
        given = cls.__dict__.get("_decorator_options", {})
        name = given_name(given, cls.__name__)
        cls._signature = analyse_entrypoint(func, name, is_method=is_method)
        cls._entrypoint_fn = func
        cls._entrypoint_is_method = is_method
        cls.entrypoint = _Entrypoint(func, is_method)
        inherited = cls._class_options or StepOptions()
        options = inherited.merged(given, checks=_checks(cls, f"Step `{name}`"))
        if cls._signature.context_arg is not None and options.enable_cache is None:
            # ZenML's rule: the context reaches outside the step's inputs, which the cache key
            # cannot see; caching such a step must be asked for explicitly.
            options = options.merged({"enable_cache": False}, checks=_checks(cls, f"Step `{name}`"))
        cls._class_options = options

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
            instance._options = cls._class_options
            instance._params_obj = None
            return instance._record(tracer, args, kwargs)
        if tracer is None and _runs_the_step(cls, args, kwargs):
            # `trainer(X_train=X, y_train=y)` outside a pipeline: the step's own arguments, so
            # the caller wants its result (the function API's reading), as calling an
            # instance gives; `trainer()` and `trainer(Params(...), name=...)` still make
            # the instances legacy pipelines are wired with.
            instance.__init__()
            return instance._run_directly(args, kwargs)
        return instance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """``Step()``, ``Step(Params(...))``, ``Step(params=Params(...))`` and any step option
        as a keyword (``name=``, ``enable_cache=``, … see ``framework.options.StepOptions``)."""
        from framework.options import given_name

        cls = type(self)
        names = cls._class_options.option_names()
        step = given_name(kwargs, self.name)
        sig = cls._signature
        params_obj = None
        options: dict[str, Any] = {}
        for value in args:
            if not is_parameters_object(value):
                raise StepInterfaceError(
                    f"Step `{step}`: positional argument {value!r} is not a BaseParameters object; "
                    "step instances take only a parameters object and keyword options "
                    f"({', '.join(names)})."
                )
            if params_obj is not None:
                raise StepInterfaceError(f"Step `{step}` got two parameters objects; pass exactly one.")
            params_obj = value
        for key, value in kwargs.items():
            if key == "params" or key == sig.params_arg:
                if params_obj is not None:
                    raise StepInterfaceError(f"Step `{step}` got two parameters objects; pass exactly one.")
                params_obj = value
            elif key in names:
                options[key] = value
            else:
                raise StepInterfaceError(
                    f"Step `{step}` got an unexpected keyword argument `{key}`; valid keywords are params "
                    f"and the step options: {', '.join(names)}. "
                    "Inputs are connected inside the pipeline, not when creating the step."
                )
        if params_obj is not None:
            self._check_params_object(params_obj, step)
        self._options = cls._class_options
        self._params_obj = params_obj
        self.configure(**options)

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
    def configuration(self) -> StepOptions:
        """A copy of this instance's options; ``parameters`` shows the parameters object's
        fields flat, overridden by ``configure(parameters=...)``."""
        options = copy.deepcopy(self._options)
        if self._params_obj is None:
            return options
        return options.merged({"parameters": {**self._params_obj.model_dump(), **options.parameters}},
                              checks=_checks(type(self), f"Step `{self.name}`"), merge=False)

    @property
    def params_object(self) -> BaseParameters | None:
        return self._params_obj

    def configure(self, merge: bool = True, **options: Any) -> "BaseStep":
        """Change this instance's options in place and return it (``StepOptions`` names them);
        dict options merge key by key unless ``merge=False``. Nothing changes if a value is wrong."""
        self._options = self._options.merged(options, checks=_checks(type(self), f"Step `{self.name}`"),
                                             merge=merge)
        return self

    def _with_options(self_or_cls, merge: bool = True, **options: Any) -> "BaseStep":
        """A configured copy (``configure`` arguments); on the class, a new configured instance."""
        if isinstance(self_or_cls, type):
            with tracing.suspended():
                instance = self_or_cls()
        else:
            instance = self_or_cls._clone()
        return instance.configure(merge=merge, **options)

    with_options = ClassOrInstanceMethod(_with_options)

    def _clone(self) -> "BaseStep":
        clone = object.__new__(type(self))
        clone.__dict__.update(copy.deepcopy(self.__dict__))
        return clone

    def _compiled(self, options: StepOptions, pipeline_name: str) -> "BaseStep":
        """The copy a graph runs: options as resolved for this run, and its pipeline's name.

        Called on the private copy a traced call holds, so a shallow copy is enough.
        """
        compiled = object.__new__(type(self))
        compiled.__dict__.update(self.__dict__)
        compiled._options, compiled._pipeline_name = options, pipeline_name
        return compiled

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
        from framework.steps.context import StepContext, active
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
            params_obj=bound.params_obj or self._params_obj, overrides=self._options.parameters,
        )
        context = StepContext(step_name=self.name, pipeline_name=None, run_name=None, outputs=sig.outputs,
                              materializers=self._options.output_materializers)
        if sig.context_arg is not None:
            call_values[sig.context_arg] = context
        with active(context):
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
