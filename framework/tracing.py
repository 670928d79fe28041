"""Tracing: while a pipeline's body runs, step calls are recorded instead of executed.

A ``Tracer`` is pushed on a context variable for the duration of a pipeline
definition; steps look it up to decide whether a call runs the step (no
tracer) or records an invocation and returns placeholders (tracer active).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from typing import Any, Iterator

from framework.exceptions import StepInterfaceError
from framework.run_names import validate_name

LEGACY = "legacy"
FUNCTION = "function"

_current: contextvars.ContextVar["Tracer | None"] = contextvars.ContextVar("framework_tracer", default=None)


@dataclasses.dataclass(frozen=True)
class OutputPlaceholder:
    """Stands for one output of one invocation until the pipeline runs."""

    invocation_id: str
    output_name: str
    step_name: str

    def __repr__(self) -> str:
        return f"<output `{self.output_name}` of `{self.invocation_id}`>"

    def __bool__(self) -> bool:
        raise StepInterfaceError(
            f"The output `{self.output_name}` of step `{self.step_name}` has no value while the pipeline is "
            "being defined, so it cannot be used in `if`/`while`; branch inside a step instead."
        )


@dataclasses.dataclass
class TracedCall:
    """One recorded step call, before run configuration is applied."""

    id: str
    step: Any  # a private copy of the BaseStep instance
    inputs: dict[str, OutputPlaceholder]
    values: dict[str, Any]
    params_obj: Any
    after: list[str]
    slot: str | None = None
    group: tuple[str, ...] = ()  # the nested pipeline calls that added it, outermost first


@dataclasses.dataclass
class Tracer:
    kind: str
    calls: dict[str, TracedCall] = dataclasses.field(default_factory=dict)
    slots: dict[int, str] = dataclasses.field(default_factory=dict)  # legacy: id(step copy) -> slot name
    pending_after: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    _counts: dict[str, int] = dataclasses.field(default_factory=dict)
    _groups: list[str] = dataclasses.field(default_factory=list)
    _group_counts: dict[str, int] = dataclasses.field(default_factory=dict)

    @contextlib.contextmanager
    def group(self, pipeline_name: str) -> Iterator[None]:
        """Calls made in the block were added by a nested call of pipeline ``pipeline_name``;
        repeated calls are told apart as ``name``, ``name_2``, … (the dashboard draws each as
        a group)."""
        n = self._group_counts[pipeline_name] = self._group_counts.get(pipeline_name, 0) + 1
        self._groups.append(pipeline_name if n == 1 else f"{pipeline_name}_{n}")
        try:
            yield
        finally:
            self._groups.pop()

    def slot_of(self, step: Any) -> str:
        slot = self.slots.get(id(step))
        if slot is None:
            raise StepInterfaceError(
                f"Step `{step.name}` is called inside the pipeline but was not passed to it; pass it as "
                "one of the pipeline's step arguments and call that argument."
            )
        return slot

    def add_after(self, step: Any, other: Any) -> None:
        self.pending_after.setdefault(self.slot_of(step), []).append(self.slot_of(other))

    def new_id(self, step_name: str, explicit: str | None) -> str:
        """``name``, ``name_2``, …, or the explicit ``id=`` (which must be unique)."""
        if explicit is not None:
            if not isinstance(explicit, str) or not explicit:
                raise StepInterfaceError(f"Step `{step_name}`: `id=` must be a non-empty string, got {explicit!r}.")
            explicit = validate_name(explicit, what="step id")
            if explicit in self.calls:
                raise StepInterfaceError(
                    f"Step `{step_name}`: two invocations use `id={explicit!r}`; give each call its own id."
                )
            return explicit
        n = self._counts.get(step_name, 0)
        while True:
            n += 1
            candidate = step_name if n == 1 else f"{step_name}_{n}"
            if candidate not in self.calls:
                self._counts[step_name] = n
                return candidate

    def add(self, call: TracedCall) -> None:
        if self._groups and not call.group:
            call.group = tuple(self._groups)
        self.calls[call.id] = call


def current() -> Tracer | None:
    return _current.get()


@contextlib.contextmanager
def tracing(kind: str, tracer: Tracer | None = None) -> Iterator[Tracer]:
    tracer = tracer or Tracer(kind)
    token = _current.set(tracer)
    try:
        yield tracer
    finally:
        _current.reset(token)


def placeholders_for(step_name: str, invocation_id: str, output_names: list[str]) -> Any:
    """One placeholder for a single output, a tuple for several, None for none."""
    items = tuple(OutputPlaceholder(invocation_id, name, step_name) for name in output_names)
    if not items:
        return None
    return items[0] if len(items) == 1 else items


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Run code (e.g. creating a configured step instance) as if no pipeline were being traced."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
