"""The run launcher: one run's lifecycle, and the only code that writes run metadata.

It names the run, registers the pipeline version, creates the run record, resolves each
step through the cache or hands it to the orchestrator, records every outcome as it
arrives and closes the run. What a record holds lives in ``step_runs``, the caching rules
in ``cache_policy``, how records reach the store in ``step_recorder``, SIGTERM handling in
``signals``. Steps themselves run in the step runner (``framework.orchestrators``).

`launch` takes the stack to run on and returns the run's id; the API layer (both pipeline
APIs) chooses the stack and turns the id into a view.

Each executed step gets a log in the artifact store (``log_targets``); its record's
``logs`` says what was kept (``framework.orchestrators.step_logs``). A hook's error is appended to the step's ``error`` text (a step whose
``on_success`` hook raised stays `completed`, with that text); the directories handed out
for extra files are kept in ``extra_files``.

The API layer also hands over the run's experiment tracking (``tracking``: the
integration's object, checked against the stack before the run; None when no step is
tracked): ``begin(run)`` once the run record exists, ``for_step(invocation)`` for each
tracked step handed to the orchestrator (what travels in its task), ``finish(status)``
when the run ends.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import attrs

from framework import run_names
from framework.config import RunConfig
from framework.exceptions import ArtifactVerificationError, DuplicateRunNameError, RunTerminated
from framework.execution import references
from framework.execution.cache_policy import CachePolicy
from framework.execution.log_targets import LogTargets
from framework.execution.progress import ProgressReporter
from framework.execution.signals import sigterm_raises
from framework.execution.step_recorder import StepRecorder
from framework.execution.step_runs import StepRuns, new_run, now
from framework.graph import Invocation, PipelineGraph
from framework.hashing import new_id
from framework.logging_setup import ensure_console_handler
from framework.orchestrators.step_runner import StepOutcome, StepTask
from framework.records import Artifact, CacheEntry, Run, RunDetail, StepRun
from framework.summaries import run_summary


class RunStack(Protocol):
    """What a run needs of a stack (``framework.stacks.Stack`` is one)."""

    name: str

    def metadata_store(self) -> Any: ...
    def artifact_store(self) -> Any: ...
    def orchestrator_instance(self) -> Any: ...


class RunLauncher:
    """Drives one run: implements the orchestrator loop's ``prepare``/``complete``/``skip``."""

    def __init__(self, graph: PipelineGraph, run_config: RunConfig, stack: RunStack, tracking: Any = None) -> None:
        self.graph = graph
        self.tracking = tracking
        self.run_config = run_config
        self.stack = stack
        self.metadata = stack.metadata_store()
        self.artifacts = stack.artifact_store()
        self.logger = ensure_console_handler()
        self.progress = ProgressReporter()  # a no-op unless stdout is a terminal
        self.run_id = new_id()
        self.run_name = ""
        self.steps = StepRuns(self.run_id)
        self.cache = CachePolicy(graph, run_config.enable_cache, self.metadata, self.artifacts)
        self.records = StepRecorder(self.metadata, self.run_id)  # one transaction per executed step
        self.outputs: dict[str, dict[str, Artifact]] = {}  # invocation -> output -> artifact
        self._pending: dict[str, str] = {}  # invocation -> cache key, for steps now executing
        self._keys: dict[str, str] = {}  # invocation -> its cache key (cached or executed)
        self.first_error: BaseException | None = None
        self.failed_step: str | None = None
        self.run_record: Run | None = None
        self.run_metadata: dict[str, Any] = {}  # logged on the run from inside its steps
        self.lease: str | None = None  # the kind of lease this run holds (``MetadataStore.run_lease``)
        self._final: dict[str, tuple[StepRun, list[Artifact]]] = {}  # invocation -> last record, for the summary
        self.logs = LogTargets(graph, self.run_id, self.artifacts)

    # ------------------------------------------------------------------ helpers
    def _display(self, inv: Invocation) -> str:
        return inv.step_name if self.graph.api == "legacy" else inv.id

    def _inputs(self, inv: Invocation) -> dict[str, Artifact]:
        """The artifacts bound to ``inv``'s inputs (those produced so far)."""
        return {arg: self.outputs[b.invocation_id][b.output_name] for arg, b in inv.inputs.items()
                if b.output_name in self.outputs.get(b.invocation_id, {})}

    # ------------------------------------------------------------------ the orchestrator's callbacks
    def prepare(self, inv_id: str) -> StepTask | None:
        inv = self.graph.invocations[inv_id]
        name = self._display(inv)
        self.steps.start(inv_id)
        self.logger.info("Step `%s` has started.", name)
        self.progress.step_started(name)
        inputs = self._inputs(inv)
        key = self._keys[inv_id] = self.cache.key(inv, inputs)
        hit = self.cache.lookup(key) if self.cache.enabled(inv) else None
        if hit is not None:
            self.logger.info("Using cached version of `%s`.", name)
            self.outputs[inv_id] = {out: hit.artifacts[aid] for out, aid in hit.outputs.items()}
            record = self.steps.record(inv, "cached", inputs, cache_key=key, outputs=dict(hit.outputs),
                                       original_step_run_id=hit.step_run_id, original_run_id=hit.run_id)
            self._defer(inv_id, record, list(self.outputs[inv_id].values()))  # no new bytes: batched
            self.logger.info("Step `%s` has finished in %.3fs.", name, record.duration)
            self.progress.step_finished(name, "cached")
            return None
        self._pending[inv_id] = key
        target, logs = self.logs.open(inv_id, self.steps.id_of(inv_id))
        self.records.executing(self.steps.record(inv, "running", inputs, finished=False, cache_key=key, logs=logs))
        return StepTask(inv_id, name, self.run_name, inv.step, inv.call_values, inputs,
                        inv.output_materializers, self.artifacts.url, self.artifacts.storage_options,
                        pipeline_name=self.graph.name, tracker=self._tracker(inv),
                        trusted_inputs=frozenset(arg for arg, a in inputs.items() if self.artifacts.trusts(a)),
                        run_id=self.run_id, logs=target)

    def complete(self, inv_id: str, outcome: StepOutcome) -> bool:
        inv = self.graph.invocations[inv_id]
        name = self._display(inv)
        # The step stays pending until its record is written: an interrupt before that
        # leaves it for `_fail_pending`, never `running` in a finished run.
        key = self._pending.get(inv_id)
        signed = {out: self.artifacts.sign(artifact) for out, artifact in outcome.outputs.items()}
        outputs = {out: artifact.id for out, artifact in signed.items()}
        artifacts = list(signed.values())
        status = "failed" if outcome.error is not None else "completed"
        error = "; ".join(text for text in (outcome.error_text, outcome.hook_error) if text) or None
        logs = outcome.logs if outcome.logs is not None else self.logs.unfinished(inv_id)
        record = self.steps.record(inv, status, self._inputs(inv), cache_key=key, outputs=outputs,
                                   error=error, logs=logs, extra_files=dict(outcome.extra_files),
                                   metadata=outcome.metadata, output_metadata=outcome.output_metadata)
        self.run_metadata.update(outcome.run_metadata)
        self._final[inv_id] = (record, artifacts)
        self.records.write(record, artifacts)
        self._pending.pop(inv_id, None)
        if outcome.error is not None:
            self._evict_damaged_input(inv, outcome.error)
            self.logger.error("Step `%s` failed after %.3fs: %s", name, record.duration, outcome.error_text)
            self.progress.step_finished(name, "failed")
            if isinstance(outcome.error, (KeyboardInterrupt, SystemExit, RunTerminated)):
                raise outcome.error  # stop scheduling now; `launch` marks the run failed
            if self.first_error is None:
                self.first_error, self.failed_step = outcome.error, name
            return False
        self.outputs[inv_id] = signed
        if key:
            self.cache.completed(CacheEntry(cache_key=key, run_id=self.run_id, step_run_id=record.id,
                                            outputs=outputs, artifacts={a.id: a for a in artifacts}))
        self.logger.info("Step `%s` has finished in %.3fs.", name, record.duration)
        self.progress.step_finished(name, "completed")
        return True

    def _evict_damaged_input(self, inv: Invocation, error: BaseException) -> None:
        """An input failed verification (bit rot, an altered file): drop the cache entries that
        would serve it again, so the next run recomputes the step that produced it."""
        damaged = getattr(error, "artifact_id", None)
        if not isinstance(error, ArtifactVerificationError) or damaged is None:
            return
        for binding in inv.inputs.values():
            produced = self.outputs.get(binding.invocation_id, {}).get(binding.output_name)
            key = self._keys.get(binding.invocation_id)
            if produced is not None and produced.id == damaged and key:
                self.metadata.evict_cache_entries(key, damaged)

    def skip(self, inv_id: str) -> None:
        inv = self.graph.invocations[inv_id]
        record = self.steps.record(inv, "skipped", self._inputs(inv), duration=0.0,
                                   error="skipped because an upstream step failed")
        self._defer(inv_id, record, [])
        self.progress.step_finished(self._display(inv), "skipped")

    def _defer(self, inv_id: str, record: StepRun, artifacts: list[Artifact]) -> None:
        self._final[inv_id] = (record, artifacts)
        self.records.defer(record, artifacts)

    def _summary(self) -> dict[str, Any] | None:
        """``Run.summary`` (flat parameters and metrics, ``framework.summaries``) from the
        step records of this run, so listings never read its steps; None if it cannot be
        made (the run still closes)."""
        if self.run_record is None:
            return None
        try:
            steps = [self._final[inv_id] for inv_id in self.graph.invocations if inv_id in self._final]
            run = attrs.evolve(self.run_record, metadata={**self.run_record.metadata, **self.run_metadata})
            detail = RunDetail(run=run, steps=tuple(record for record, _ in steps),
                               artifacts={a.id: a for _, artifacts in steps for a in artifacts})
            return run_summary(detail)
        except Exception as exc:  # noqa: BLE001 - a summary never fails a run
            self.logger.debug("Could not summarise run `%s`: %s", self.run_name, exc)
            return None

    # ------------------------------------------------------------------ the run
    def launch(self, *, pipeline_parameters: dict[str, Any], unlisted: bool) -> str:
        """Run the graph; returns the run's id. SIGTERM during the run (main thread, default
        handler) is turned into `RunTerminated`, so the run is recorded failed before the
        process ends by the signal as usual."""
        # The lease is held for the run's whole life, from before its record exists to after
        # its last write: while it is held, no process anywhere reads the run as crashed.
        with sigterm_raises(), self.metadata.run_lease(self.run_id) as lease:
            self.lease = lease
            self._launch(pipeline_parameters=pipeline_parameters, unlisted=unlisted)
        return self.run_id

    def _recover_crashed_runs(self) -> None:
        """Persist `crashed` for runs whose process died on this host, and remove the temp
        files those processes left (artifact temps of dead writers only, metadata temps under
        the store lock). Costs one read of pipelines.json unless something crashed."""
        try:
            crashed = self.metadata.mark_crashed_runs()
            if crashed:
                self.logger.debug("Marked %d run(s) whose process died as crashed: %s", len(crashed), crashed)
                for run_id in crashed:
                    detail = self.metadata.get_run_by_id(run_id)
                    if detail is not None:
                        references.publish(self.metadata, self.artifacts, detail.run, detail.run.status,
                                           references.referenced_ids(detail))
                if "://" not in self.artifacts.url:  # local store: writers are processes of this host
                    # ... but a pid in a temp name says nothing across pid namespaces: keep
                    # every temp file newer than the oldest run still live (its lease held)
                    self.artifacts.cleanup_temp_files(dead_writers_only=True,
                                                      before=references.live_since(self.metadata, self.artifacts))
        except FileNotFoundError:
            pass
        except OSError as exc:  # housekeeping never fails a run; `framework gc` can finish the job
            self.logger.debug("Could not clean up after crashed runs: %s", exc)

    def _create_run(self, pipeline_parameters: dict[str, Any], unlisted: bool) -> None:
        graph, config = self.graph, self.run_config
        registration = self.metadata.register_pipeline(graph.name, graph.version_hash(), graph.to_dict())
        if registration.new_pipeline:
            self.logger.info("Registered new pipeline with name `%s`.", graph.name)
        elif registration.new_version:
            self.logger.info("Registered new version %d of pipeline `%s`.", registration.version, graph.name)
        self._recover_crashed_runs()
        for attempt in range(5):
            run = new_run(self.run_id, run_names.render(config.run_name, pipeline=graph.name), graph, registration,
                          stack=self.stack.name, run_config=config, pipeline_parameters=pipeline_parameters,
                          unlisted=unlisted, lease=self.lease)
            try:
                self.run_record = self.metadata.create_run(run)
                break
            except DuplicateRunNameError:
                # A name made from the clock ({time}, as the default is) can collide with a run
                # started in the same microsecond by another process: take the next instant.
                # A name the user fixed is theirs to change; the error says how.
                if attempt == 4 or not run_names.uses_time(config.run_name):
                    raise
        self.run_name = run.name
        references.announce(self.metadata, self.artifacts, self.run_record)
        if self.tracking is not None:
            self.tracking.begin(run)

    def _tracker(self, inv: Invocation) -> Any:
        """What a tracked step's task carries to log to the run's experiment tracker."""
        if self.tracking is None or not inv.experiment_tracker:
            return None
        return self.tracking.for_step(inv)

    def _launch(self, *, pipeline_parameters: dict[str, Any], unlisted: bool) -> None:
        graph, config = self.graph, self.run_config
        start = time.perf_counter()
        self._create_run(pipeline_parameters, unlisted)
        self.logger.info("Creating run `%s` for pipeline `%s` (Caching %s)", self.run_name, graph.name,
                         "enabled" if graph.enable_cache is not False else "disabled")
        if config.enable_cache is not None:
            self.logger.info(
                "Runtime configuration overwriting the pipeline cache settings to enable_cache=%s for this "
                "pipeline run. The default caching strategy is retained for future pipeline runs.",
                config.enable_cache)
        self.logger.info("Using stack `%s` to run pipeline `%s`...", self.stack.name, graph.name)
        self.progress.run_started(self.run_name, len(graph.invocations))
        try:
            self.stack.orchestrator_instance().run(graph, self)
        except BaseException as exc:  # interrupted (Ctrl-C, SIGTERM) or an engine error: never leave `running`
            self.progress.run_finished("failed")
            error = f"{type(exc).__name__}: {exc}"
            self._fail_pending(error)
            self._finish_run("failed", time.perf_counter() - start, error, raising=False)
            raise
        duration = time.perf_counter() - start
        self.progress.run_finished()
        if self.first_error is not None:
            self._finish_run("failed", duration, f"step `{self.failed_step}` failed: {self.first_error}",
                             raising=True)
            self.logger.error("Pipeline run `%s` failed after %.3fs.", self.run_name, duration)
            raise self.first_error
        self._finish_run("completed", duration, None, raising=True)
        self.logger.info("Pipeline run `%s` has finished in %.3fs.", self.run_name, duration)

    def _fail_pending(self, error: str) -> None:
        """Steps handed to the orchestrator whose outcome never came back are recorded
        `failed` (never left `running`) when the run itself fails."""
        for inv_id, key in list(self._pending.items()):
            inv = self.graph.invocations[inv_id]
            record = self.steps.record(inv, "failed", self._inputs(inv), cache_key=key,
                                       error=f"the run stopped: {error}", logs=self.logs.unfinished(inv_id))
            self._defer(inv_id, record, [])  # written by `_finish_run`
        self._pending.clear()

    def _finish_run(self, status: str, duration: float, error: str | None, *, raising: bool) -> None:
        """The run's last transaction: the buffered step records first, then the run's status.

        If the step records cannot be written (the store itself may be what failed), the run
        record is still closed, as `failed`; the error is re-raised when ``raising``.
        """
        batch = self.records.close()  # after the committer's last transaction
        self._finish_tracking(status)
        extras = {"metadata": self.run_metadata or None, "summary": self._summary()}
        try:
            self.metadata.finish_run(self.run_id, status=status, end_time=now(), duration=duration,
                                     error=error, steps=batch, **extras)
        except Exception as exc:
            if not batch:
                raise
            reason = f"the step records could not be written: {type(exc).__name__}: {exc}"
            self.metadata.finish_run(self.run_id, status="failed", end_time=now(), duration=duration,
                                     error=error or reason, **extras)
            status = "failed"
            if raising:
                raise
        finally:
            if self.run_record is not None:
                ids = {a.id for _record, artifacts in self._final.values() for a in artifacts}
                references.publish(self.metadata, self.artifacts, self.run_record, status, ids)

    def _finish_tracking(self, status: str) -> None:
        """End the run's experiment-tracker runs; a tracker that fails here never fails the run."""
        if self.tracking is None:
            return
        try:
            self.tracking.finish(status)
        except Exception as exc:  # noqa: BLE001 - the run's own outcome stands
            self.logger.warning("Could not close the run's experiment tracker runs: %s", exc)


def launch(graph: PipelineGraph, *, run_config: RunConfig, pipeline_parameters: dict[str, Any],
           stack: RunStack, unlisted: bool = False, tracking: Any = None) -> str:
    """Run a compiled graph on ``stack``; returns the run's id."""
    run_names.render(run_config.run_name, pipeline=graph.name)  # bad templates fail before anything is written
    return RunLauncher(graph, run_config, stack, tracking).launch(pipeline_parameters=pipeline_parameters,
                                                                  unlisted=unlisted)
