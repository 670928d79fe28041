"""``StepContext``: what a running step may know about itself and its run.

Two ways in, one object: a step argument annotated ``StepContext`` receives it (the legacy
way), and ``framework.get_step_context()`` returns the same object anywhere inside the
running step (the function API's way) — hooks receive it too. The step runner sets it
around the step (``active``); it lives in a context variable, so steps running at once in
threads or Dask workers each see their own.

A step that asks for the context is not cached unless it says so: the context reaches
outside the step's inputs (files, the run), which its cache key cannot see.

Metadata a step logs (``framework.log_metadata``, ``add_output_metadata``) is kept here and
travels back to the launcher in the step's outcome: the step may run on a Dask worker,
which never opens the metadata store. Values are checked (strict JSON) when logged, so a
bad value fails at the line that logged it, naming the key.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Callable, Iterator, Mapping

from framework.exceptions import StepContextError

_CURRENT: contextvars.ContextVar["StepContext | None"] = contextvars.ContextVar("framework_step_context",
                                                                               default=None)


class StepContext:
    """The running step's names, its outputs' materializers and directories for extra files.

    ``step_name`` is the name the run records the step under (the invocation id in the
    function API, e.g. ``trainer_2``); ``pipeline_name`` and ``run_name`` are ``None`` when
    the step is called directly, outside any pipeline.
    """

    def __init__(self, *, step_name: str, pipeline_name: str | None, run_name: str | None,
                 outputs: Mapping[str, Any], materializers: Mapping[str, type] | None = None,
                 output_dir: Callable[[str], str] | None = None, run_id: str | None = None) -> None:
        self.step_name = step_name
        self.pipeline_name = pipeline_name
        self.run_name = run_name
        self.run_id = run_id
        self._outputs = dict(outputs)  # output name -> declared type
        self._materializers = dict(materializers or {})  # output name -> explicitly chosen class
        self._output_dir = output_dir
        self._metadata: dict[str, Any] = {}  # logged on the step run
        self._output_metadata: dict[str, dict[str, Any]] = {}  # output name -> logged on that output
        self._run_metadata: dict[str, Any] = {}  # logged on the run (log_metadata(run=<this run>))

    def _output(self, name: str | None) -> str:
        if name is None:
            if len(self._outputs) != 1:
                raise StepContextError(
                    f"Step `{self.step_name}` has {len(self._outputs)} outputs "
                    f"({', '.join(self._outputs) or 'none'}); name the one you mean, e.g. "
                    f"`get_output_artifact_uri({next(iter(self._outputs), 'output')!r})`."
                )
            return next(iter(self._outputs))
        if name not in self._outputs:
            raise StepContextError(
                f"Step `{self.step_name}` has no output `{name}`; its outputs are: "
                f"{', '.join(self._outputs) or '(none)'}."
            )
        return name

    def get_output_materializer(self, name: str | None = None) -> type | None:
        """The materializer class for output ``name`` (may be omitted for a single output).

        The one chosen with ``output_materializers=``, else the one registered for the
        declared type; ``None`` when the type alone does not decide (``Any``, unions): the
        returned value's type chooses when it is saved.
        """
        output = self._output(name)
        if output in self._materializers:
            return self._materializers[output]
        from framework.artifacts.materializers.registry import materializer_for_type

        return materializer_for_type(self._outputs[output])

    def get_output_artifact_uri(self, name: str | None = None) -> str:
        """A local directory for extra files of output ``name``, kept with the run.

        The step may write anything there (plots, reports, a model's native format). See
        ``framework.orchestrators.output_dirs`` for where it lives: inside a local artifact
        store directly; for a remote store, a local temporary directory uploaded to the
        store when the step ends.
        """
        output = self._output(name)
        if self._output_dir is None:
            raise StepContextError(
                f"Step `{self.step_name}` runs outside a pipeline run, so its files would be kept "
                "nowhere; run it inside a pipeline to get an output directory."
            )
        return self._output_dir(output)

    # ------------------------------------------------------------------ metadata
    def log_metadata(self, metadata: Mapping[str, Any], *, artifact: str | None = None,
                     run: bool = False) -> None:
        """Log ``metadata`` on this step run, on its output ``artifact``, or (``run=True``) on
        the run; merged key by key with what was logged before. Numbers become metrics."""
        from framework.experiment_tracking import mirror_metrics
        from framework.json_values import check_metadata, merge_metadata

        if artifact is not None and run:
            raise StepContextError("log_metadata: give artifact= or run=, not both.")
        where = "run" if run else f"output `{artifact}`" if artifact is not None else f"step `{self.step_name}`"
        try:
            values = check_metadata(dict(metadata) if isinstance(metadata, Mapping) else metadata, "metadata")
        except ValueError as exc:
            raise ValueError(f"Step `{self.step_name}`: metadata logged on the {where} must be strict JSON "
                             f"(str keys; str, int, finite float, bool, None, lists and dicts): {exc}") from None
        if artifact is None:
            mirror_metrics(values)  # a tracked step's numbers also reach its tracker run (else a no-op)
        if run:
            self._run_metadata = merge_metadata(self._run_metadata, values)
        elif artifact is not None:
            output = self._output(artifact)
            self._output_metadata[output] = merge_metadata(self._output_metadata.get(output, {}), values)
        else:
            self._metadata = merge_metadata(self._metadata, values)

    def add_output_metadata(self, metadata: Mapping[str, Any], output_name: str | None = None) -> None:
        """Metadata on output ``output_name`` (may be omitted for a single output): the legacy
        spelling of ``log_metadata(metadata, artifact=output_name)``."""
        self.log_metadata(metadata, artifact=self._output(output_name))

    def logged_metadata(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
        """What the step logged: (on the step run, per output, on the run)."""
        return dict(self._metadata), {k: dict(v) for k, v in self._output_metadata.items()}, dict(self._run_metadata)

    def is_this_run(self, run: Any) -> bool:
        """Does ``run`` (a name, an id or a run view) name the run this step runs in?"""
        if self.run_name is None:
            return False
        name = getattr(run, "name", run)
        ident = getattr(run, "id", run)
        return name == self.run_name or (self.run_id is not None and ident == self.run_id)

    @property
    def pipeline_run(self) -> Any:
        """This run as ``framework.client.Client().get_run`` shows it (read when asked)."""
        if self.run_name is None:
            raise StepContextError(f"Step `{self.step_name}` runs outside a pipeline run; it has no run to show.")
        from framework.client import Client

        return Client().get_run(self.run_name)

    @property
    def step_run(self) -> Any:
        """This step's record in ``pipeline_run``, read when asked.

        The launcher writes a running step's record only once the step has run for a while
        (short steps are recorded when they finish), so early in a step there may be none
        yet: that is a ``StepContextError`` saying so, not a ``KeyError``.
        """
        run = self.pipeline_run
        try:
            return run.steps[self.step_name]
        except KeyError:
            raise StepContextError(
                f"Run `{self.run_name}` has no record of step `{self.step_name}` yet: a running step is recorded "
                "once it has run for a while, and every step when it finishes. Read `step_run` later in the "
                "step, in an on_success/on_failure hook of a later step, or from the client after the run."
            ) from None

    def __repr__(self) -> str:
        return (f"StepContext(step_name={self.step_name!r}, pipeline_name={self.pipeline_name!r}, "
                f"run_name={self.run_name!r})")


@contextlib.contextmanager
def active(context: StepContext) -> Iterator[StepContext]:
    """Make ``context`` the one ``get_step_context()`` returns, for the duration of the block."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current_context() -> StepContext | None:
    """The context of the step running now, or None (no error: for code that works both
    inside and outside steps, such as ``framework.log_metadata``)."""
    return _CURRENT.get()


def get_step_context() -> StepContext:
    """The context of the step running now; ``StepContextError`` anywhere else."""
    context = _CURRENT.get()
    if context is None:
        raise StepContextError(
            "get_step_context() was called outside a running step; call it inside a step function "
            "(or a hook) while a pipeline runs."
        )
    return context
