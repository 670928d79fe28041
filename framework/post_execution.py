"""Reading runs back the legacy way (``framework.post_execution``, the 0.39 surface).

Scripts written for the legacy API read their results like this::

    pipe = get_pipeline(pipeline="first_pipeline")   # or the pipeline class, or an instance
    run = pipe.runs[0]                               # newest first
    for step in run.steps:                           # a list, in execution order
        print(step.name, step.entrypoint_name, step.status, step.parameters)
    model = run.get_step(step="step_2").output.read()

These views wrap the `Client`'s (``framework.views``): both read the same store, and the
function API's ``Client().get_pipeline(...).runs[0].steps["svc_trainer"]`` stays as it is.
The differences are the legacy ones: a run's ``steps`` is a list, a step's ``name`` is the
pipeline's slot for it (``step_2``) and ``entrypoint_name`` the step's own name, steps
are looked up with ``get_step(step=...)``.
"""

from __future__ import annotations

from typing import Any

from framework.client import Client, pipeline_name
from framework.views import ArtifactView, RunView
from framework.views import PipelineView as ClientPipelineView
from framework.views import StepView as ClientStepView

__all__ = ["PipelineRunView", "PipelineView", "StepView", "get_pipeline", "get_pipelines", "get_run",
           "get_unlisted_runs"]


class StepView:
    """One step of a run, as legacy code reads it."""

    def __init__(self, step: ClientStepView) -> None:
        self._step = step

    @property
    def id(self) -> str:
        return self._step.id

    @property
    def name(self) -> str:
        """The step's name in its pipeline: the slot of a legacy pipeline (``step_2``), the
        invocation id in a function pipeline."""
        return self._step.slot or self._step.invocation_id

    @property
    def entrypoint_name(self) -> str:
        """The step's own name (the decorated function's, unless renamed with ``name=``)."""
        return self._step.name

    parameters = property(lambda self: self._step.parameters)
    status = property(lambda self: self._step.status)
    is_cached = property(lambda self: self._step.is_cached)
    is_completed = property(lambda self: self._step.status in ("completed", "cached"))
    inputs = property(lambda self: self._step.inputs)
    outputs = property(lambda self: self._step.outputs)

    @property
    def input(self) -> ArtifactView:
        inputs = self.inputs
        if len(inputs) != 1:
            raise ValueError(f"Step `{self.name}` has {len(inputs)} inputs ({', '.join(inputs) or 'none'}); "
                             "use `.inputs[name]`.")
        return next(iter(inputs.values()))

    @property
    def output(self) -> ArtifactView:
        return self._step.output

    def read(self) -> Any:
        """The value of the step's single output."""
        return self.output.read()

    def __repr__(self) -> str:
        return f"<StepView `{self.name}` ({self.entrypoint_name}) {self.status}>"


class PipelineRunView:
    """One run: ``steps`` is a list in execution order; ``get_step(step=...)`` finds one."""

    def __init__(self, run: RunView) -> None:
        self._run = run

    id = property(lambda self: self._run.id)
    name = property(lambda self: self._run.name)
    status = property(lambda self: self._run.status)
    pipeline_name = property(lambda self: self._run.pipeline_name)
    version = property(lambda self: self._run.version)

    @property
    def steps(self) -> list[StepView]:
        return [StepView(step) for step in self._run.steps.values()]

    def get_step_names(self) -> list[str]:
        return [step.name for step in self.steps]

    def get_step(self, step: str) -> StepView:
        """The step called ``step`` in the pipeline (its slot, e.g. ``step_1``); its own
        name and invocation id work too. ``KeyError`` names the steps there are."""
        for view in self.steps:
            if step == view.name:
                return view
        try:
            return StepView(self._run.steps[step])
        except KeyError:
            raise KeyError(f"Run `{self.name}` has no step `{step}`; its steps: "
                           f"{', '.join(self.get_step_names()) or '(none)'}.") from None

    def __repr__(self) -> str:
        return f"<PipelineRunView `{self.name}` {self.status}>"


class PipelineView:
    """A pipeline (or one of its versions): its runs newest first, ``num_runs``, ``versions``."""

    def __init__(self, pipeline: ClientPipelineView, version: int | None = None) -> None:
        self._pipeline = pipeline
        self._version = version

    id = property(lambda self: self._pipeline.id)
    name = property(lambda self: self._pipeline.name)

    @property
    def version(self) -> int:
        """The version this view shows (the latest, unless one was asked for)."""
        return self._version if self._version is not None else self._pipeline.latest_version

    @property
    def runs(self) -> list[PipelineRunView]:
        """Runs newest first: every version's, or only the asked-for version's."""
        return [PipelineRunView(run) for run in self._pipeline.runs
                if self._version is None or run.version == self._version]

    @property
    def num_runs(self) -> int:
        return len(self.runs)

    @property
    def versions(self) -> list[PipelineView]:
        return [PipelineView(self._pipeline, version["number"]) for version in self._pipeline.versions]

    def get_run(self, name: str) -> PipelineRunView:
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(f"Pipeline `{self.name}` has no run `{name}`.")

    def get_runs(self) -> list[PipelineRunView]:
        return self.runs

    def __repr__(self) -> str:
        return f"<PipelineView `{self.name}`>"


def get_pipeline(pipeline: Any = None, version: int | str | None = None, **kwargs: Any) -> PipelineView | None:
    """The pipeline called ``pipeline`` (a name, a pipeline class or instance), or ``None``
    if it never ran; ``version`` narrows it to one version's runs."""
    if pipeline is None and "pipeline_name" in kwargs:
        pipeline = kwargs.pop("pipeline_name")
    if kwargs:
        raise TypeError(f"get_pipeline() got unexpected keyword argument(s) {', '.join(sorted(kwargs))}.")
    try:
        name = pipeline_name(pipeline)
    except TypeError:
        raise RuntimeError(f"get_pipeline() expects a pipeline name, a pipeline class or a pipeline instance, "
                           f"got {pipeline!r}.") from None
    found = Client().get_pipeline(name)
    if found is None:
        return None
    return PipelineView(found, int(version) if version is not None else None)


def get_pipelines() -> list[PipelineView]:
    """Every pipeline in the store, by name."""
    return [PipelineView(pipeline) for pipeline in Client().list_pipelines()]


def get_run(name: str | None = None, *, run_name: str | None = None) -> PipelineRunView:
    """The run called ``name`` (or with this id); ``KeyError`` if there is none."""
    return PipelineRunView(Client().get_run(name, run_name=run_name))


def get_unlisted_runs() -> list[PipelineRunView]:
    """Runs made with ``unlisted=True``, newest first."""
    return [PipelineRunView(run) for run in Client().list_runs(unlisted=True)]
