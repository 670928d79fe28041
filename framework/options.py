"""``StepOptions`` and ``PipelineOptions``: every option of a step or a pipeline, declared once.

Why one module: a step's options arrive from ``@step(...)``, ``Step(...)``,
``.configure(...)``, ``.with_options(...)`` and the run configuration; a pipeline's from
both ``@pipeline`` decorators, ``configure`` and ``with_options``. Every one of those passes
its keywords to ``merged``, the one rule that combines them:

* ``None`` means "not given" and changes nothing;
* dict options (``parameters``, ``settings``, ``extra``, ``output_materializers``) are
  deep-merged key by key, or replaced when ``merge=False``;
* every value is checked before anything changes, and errors name the step or pipeline
  and say what to write instead.

The objects are frozen: a change makes a new object, so a configured copy never shares
state with its original, and ``step.configuration`` can hand out a copy safely.

Why a leaf (stdlib and attrs only at import): the codemod imports the option names from
here without importing the framework. The deep merge is ``framework.settings.merge_dicts``
(a stdlib-only module), imported when first needed. Checks that need more — the
step's outputs and parameters class, the pydantic settings models, hook signatures — are
supplied by the owner as an ``OptionChecks`` object (``framework.steps.option_checks``).
"""

from __future__ import annotations

import copy
from typing import Any, Callable, ClassVar, Mapping, Protocol, TypeVar

import attrs

#: Dict options: deep-merged by ``configure``/``with_options`` unless ``merge=False``.
MERGED_OPTION_NAMES = ("parameters", "settings", "extra", "output_materializers")
#: Options holding a hook: a function, or the dotted path of one.
HOOK_OPTION_NAMES = ("on_failure", "on_success")


class OptionChecks(Protocol):
    """What an owner (a step class, a pipeline) checks that options cannot check alone.

    Each method gets the value as given and returns it normalised, or raises an error
    that starts with ``label`` and says how to fix it.
    """

    label: str  # "Step `trainer`" / "Pipeline `training`"
    error: type[Exception]  # StepInterfaceError / PipelineInterfaceError

    def name(self, value: Any) -> str: ...
    def parameters(self, value: dict[str, Any]) -> dict[str, Any]: ...
    def settings(self, value: dict[str, Any]) -> dict[str, Any]: ...
    def output_materializers(self, value: Any) -> dict[str, Any]: ...
    def hook(self, option: str, value: Any) -> Callable[..., Any]: ...


_Self = TypeVar("_Self", bound="_Options")


class _Options:
    """The merge and the per-field checks both option classes share."""

    __slots__ = ()
    KIND: ClassVar[str]

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in attrs.fields(cls))

    def merged(self: _Self, changes: Mapping[str, Any], *, checks: OptionChecks, merge: bool = True) -> _Self:
        """A copy with ``changes`` applied (see the module docstring for the rules)."""
        names = self.option_names()
        updates: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in names:
                raise checks.error(
                    f"{checks.label} got an unexpected keyword argument `{key}`; valid {self.KIND} options "
                    f"are: {', '.join(names)}."
                )
            if value is None:
                continue
            value = _CHECKS[key](value, key, checks)
            if key in MERGED_OPTION_NAMES and merge:
                from framework.settings import merge_dicts  # stdlib-only module: the one deep merge

                value = merge_dicts(getattr(self, key), value)
            updates[key] = value
        return attrs.evolve(self, **updates) if updates else self

    def __deepcopy__(self: _Self, memo: dict) -> _Self:
        # Classes and functions deep-copy to themselves; dicts are the only state to copy.
        return attrs.evolve(self, **{k: copy.deepcopy(v, memo) for k, v in attrs.asdict(self, recurse=False).items()
                                     if isinstance(v, dict)})


@attrs.frozen(kw_only=True)
class StepOptions(_Options):
    """A step's options. ``parameters`` override the parameters object field by field;
    ``output_materializers`` maps output names to materializer classes; hooks are functions."""

    KIND: ClassVar[str] = "step"

    name: str | None = None
    enable_cache: bool | None = None
    parameters: dict[str, Any] = attrs.field(factory=dict)
    settings: dict[str, Any] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)
    output_materializers: dict[str, Any] = attrs.field(factory=dict)
    on_failure: Callable[..., Any] | None = None
    on_success: Callable[..., Any] | None = None
    experiment_tracker: str | None = None  # a stack component's name; checked when the run starts

    def with_hooks_from(self, pipeline: PipelineOptions) -> StepOptions:
        """A pipeline's hooks apply to its steps that set none (each kind on its own)."""
        return attrs.evolve(
            self,
            on_failure=self.on_failure if self.on_failure is not None else pipeline.on_failure,
            on_success=self.on_success if self.on_success is not None else pipeline.on_success,
        )


@attrs.frozen(kw_only=True)
class PipelineOptions(_Options):
    """A pipeline's own options (run options such as ``run_name`` are not among them)."""

    KIND: ClassVar[str] = "pipeline"

    name: str | None = None
    enable_cache: bool | None = None
    settings: dict[str, Any] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)
    on_failure: Callable[..., Any] | None = None
    on_success: Callable[..., Any] | None = None


def given_name(changes: Mapping[str, Any], default: str) -> str:
    """The name to show in errors about an owner being configured with ``changes``: the
    ``name`` option if it is a usable string (a bad one is reported by the check), else ``default``."""
    name = changes.get("name")
    return name if isinstance(name, str) and name else default


#: Option names, for code that must know them without the classes (the codemod).
STEP_OPTION_NAMES = StepOptions.option_names()
PIPELINE_OPTION_NAMES = PipelineOptions.option_names()


# ---------------------------------------------------------------------- the checks
def _check_bool(value: Any, key: str, checks: OptionChecks) -> bool:
    if not isinstance(value, bool):
        raise checks.error(f"{checks.label}: `{key}=` must be True or False, got {value!r}.")
    return value


def _mapping(value: Any, key: str, checks: OptionChecks) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise checks.error(
            f"{checks.label}: `{key}=` must be a dict with string keys, got {type(value).__name__}."
        )
    return copy.deepcopy(dict(value))


def _check_tracker(value: Any, key: str, checks: OptionChecks) -> str:
    if not isinstance(value, str) or not value:
        raise checks.error(
            f"{checks.label}: `experiment_tracker=` takes the name of an experiment tracker of the stack "
            f"(a non-empty string), got {value!r}."
        )
    return value


_CHECKS: dict[str, Callable[[Any, str, OptionChecks], Any]] = {
    "name": lambda v, k, c: c.name(v),  # a name is a key: ValueError, like run names
    "enable_cache": _check_bool,
    "parameters": lambda v, k, c: c.parameters(_mapping(v, k, c)),
    "settings": lambda v, k, c: c.settings(_mapping(v, k, c)),
    "extra": _mapping,
    "output_materializers": lambda v, k, c: c.output_materializers(v),
    "on_failure": lambda v, k, c: c.hook(k, v),
    "on_success": lambda v, k, c: c.hook(k, v),
    "experiment_tracker": _check_tracker,
}

