"""The run launcher: the only code that writes run metadata.

It names the run, registers the pipeline version, creates the run record,
decides for each step whether the cache serves it, records every step's
outcome as it arrives, and closes the run. Steps themselves run in the step
runner, through an orchestrator.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import signal
import socket
import sys
import threading
import time
from typing import Any, Iterator

from framework import run_names
from framework.caching import cache_key
from framework.config import RunConfig
from framework.execution.artifact_records import info_of
from framework.execution.progress import ProgressReporter
from framework.exceptions import DuplicateRunNameError, RunTerminated
from framework.execution.step_records import StepRecorder
from framework.orchestrators.step_runner import StepOutcome, StepTask
from framework.graph import Invocation, PipelineGraph
from framework.hashing import new_id
from framework.logging_setup import ensure_console_handler
from framework import stacks
from framework.stacks import Stack


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


class RunLauncher:
    """Drives one run: implements the orchestrator loop's ``prepare``/``complete``/``skip``."""

    def __init__(self, graph: PipelineGraph, run_config: RunConfig, stack: Stack) -> None:
        self.graph = graph
        self.run_config = run_config
        self.stack = stack
        self.metadata = stack.metadata_store()
        self.artifacts = stack.artifact_store()
        self.logger = ensure_console_handler()
        self.progress = ProgressReporter()  # a no-op unless stdout is a terminal
        self.run_id = new_id()
        self.records = StepRecorder(self.metadata, self.run_id)  # one transaction per executed step
        self.run_name = ""
        self.outputs: dict[str, dict[str, dict[str, Any]]] = {}  # invocation -> output -> artifact record
        self.step_run_ids: dict[str, str] = {}
        self.started: dict[str, tuple[float, str]] = {}
        self._pending_keys: dict[str, str] = {}  # invocation -> cache key, for steps now executing
        # Steps completed in this run, by cache key: their records may still be on their way to
        # the store, and a repeated invocation in the same run must hit them all the same.
        self._completed_here: dict[str, dict[str, Any]] = {}
        self.first_error: BaseException | None = None
        self.failed_step: str | None = None

    # ------------------------------------------------------------------ helpers
    def _display(self, inv: Invocation) -> str:
        return inv.step_name if self.graph.api == "legacy" else inv.id

    def _caching_enabled(self, inv: Invocation) -> bool:
        for setting in (self.run_config.enable_cache, inv.enable_cache, self.graph.enable_cache):
            if setting is not None:
                return setting
        return True

    def _key(self, inv: Invocation) -> str:
        inputs = {arg: self.outputs[b.invocation_id][b.output_name]["content_hash"] for arg, b in inv.inputs.items()}
        outputs = {name: [tp, inv.output_materializers.get(name)] for name, tp in inv.outputs.items()}
        parameters = {k: v for k, v in inv.call_values.items()}
        return cache_key(code=inv.code_fingerprint, parameters=parameters, inputs=inputs, outputs=outputs,
                         artifact_store=self.artifacts.url)

    def _step_record(self, inv: Invocation, status: str, **fields: Any) -> dict[str, Any]:
        record = {
            "id": self.step_run_ids.setdefault(inv.id, new_id()),
            "run_id": self.run_id,
            "invocation_id": inv.id,
            "slot": inv.slot,
            "step_name": inv.step_name,
            "step_class": inv.step_class,
            "status": status,
            "parameters": inv.parameters,
            "code_fingerprint": inv.code_fingerprint,
            "inputs": {arg: self.outputs.get(b.invocation_id, {}).get(b.output_name, {}).get("id")
                       for arg, b in inv.inputs.items()},
            "outputs": {},
            "start_time": self.started.get(inv.id, (0, _now()))[1],
            "end_time": None,
            "duration": None,
            "cache_key": None,
            "original_step_run_id": None,
            "original_run_id": None,
            "error": None,
        }
        record.update(fields)
        return record

    def _finish_fields(self, inv: Invocation) -> dict[str, Any]:
        start = self.started[inv.id][0]
        return {"end_time": _now(), "duration": time.perf_counter() - start}

    # ------------------------------------------------------------------ the orchestrator's callbacks
    def prepare(self, inv_id: str) -> StepTask | None:
        inv = self.graph.invocations[inv_id]
        name = self._display(inv)
        self.started[inv_id] = (time.perf_counter(), _now())
        self.logger.info("Step `%s` has started.", name)
        self.progress.step_started(name)
        key = self._key(inv)
        if self._caching_enabled(inv):
            hit = self._cache_hit(key)
            if hit is not None:
                self.logger.info("Using cached version of `%s`.", name)
                artifacts = hit["artifacts"]
                self.outputs[inv_id] = {out: artifacts[aid] for out, aid in hit["outputs"].items()}
                fields = self._finish_fields(inv)
                record = self._step_record(
                    inv, "cached", cache_key=key, outputs=dict(hit["outputs"]),
                    original_step_run_id=hit["step_run_id"], original_run_id=hit["run_id"], **fields)
                self.records.defer(record, list(self.outputs[inv_id].values()))  # no new bytes: batched
                self.logger.info("Step `%s` has finished in %.3fs.", name, fields["duration"])
                self.progress.step_finished(name, "cached")
                return None
        self._pending_keys[inv_id] = key
        self.records.executing(self._step_record(inv, "running", cache_key=key))  # shown if it runs long
        inputs = {arg: self.outputs[b.invocation_id][b.output_name] for arg, b in inv.inputs.items()}
        return StepTask(inv_id, name, self.run_name, inv.step, inv.call_values, inputs,
                        inv.output_materializers, self.artifacts.url, self.artifacts.storage_options)

    def _cache_hit(self, key: str) -> dict[str, Any] | None:
        here = self._completed_here.get(key)
        for entry in ([here] if here else []) + self.metadata.cache_candidates(key):
            artifacts = entry.get("artifacts", {})
            if all(aid in artifacts and self.artifacts.verify(info_of(artifacts[aid]), quick=True)
                   for aid in entry["outputs"].values()):
                return entry
        return None

    def complete(self, inv_id: str, outcome: StepOutcome) -> bool:
        inv = self.graph.invocations[inv_id]
        name = self._display(inv)
        fields = self._finish_fields(inv)
        # The step stays pending until its record is written: an interrupt before that
        # leaves it for `_fail_pending`, never `running` in a finished run.
        key = self._pending_keys.get(inv_id)
        outputs = {out: rec["id"] for out, rec in outcome.outputs.items()}
        artifacts = list(outcome.outputs.values())
        if outcome.error is not None:
            record = self._step_record(inv, "failed", cache_key=key, outputs=outputs, error=outcome.error_text, **fields)
            self.records.write(record, artifacts)
            self._pending_keys.pop(inv_id, None)
            self.logger.error("Step `%s` failed after %.3fs: %s", name, fields["duration"], outcome.error_text)
            self.progress.step_finished(name, "failed")
            if isinstance(outcome.error, (KeyboardInterrupt, SystemExit, RunTerminated)):
                raise outcome.error  # stop scheduling now; `launch` marks the run failed
            if self.first_error is None:
                self.first_error, self.failed_step = outcome.error, name
            return False
        self.outputs[inv_id] = dict(outcome.outputs)
        record = self._step_record(inv, "completed", cache_key=key, outputs=outputs, **fields)
        self.records.write(record, artifacts)
        if key:
            self._completed_here[key] = {"run_id": self.run_id, "step_run_id": record["id"], "outputs": outputs,
                                         "artifacts": {rec["id"]: rec for rec in artifacts}}
        self._pending_keys.pop(inv_id, None)
        self.logger.info("Step `%s` has finished in %.3fs.", name, fields["duration"])
        self.progress.step_finished(name, "completed")
        return True

    def skip(self, inv_id: str) -> None:
        inv = self.graph.invocations[inv_id]
        self.started.setdefault(inv_id, (time.perf_counter(), _now()))
        record = self._step_record(inv, "skipped", end_time=_now(), duration=0.0,
                                   error="skipped because an upstream step failed")
        self.records.defer(record, [])
        self.progress.step_finished(self._display(inv), "skipped")

    # ------------------------------------------------------------------ the run
    def launch(self, *, pipeline_parameters: dict[str, Any], unlisted: bool) -> str:
        """Run the graph; returns the run name. SIGTERM during the run (main thread, default
        handler) is turned into `RunTerminated`, so the run is recorded failed before the
        process ends by the signal as usual."""
        with _sigterm_raises():
            return self._launch(pipeline_parameters=pipeline_parameters, unlisted=unlisted)

    def _recover_crashed_runs(self) -> None:
        """Persist `crashed` for runs whose process died on this host, and remove the temp
        files those processes left (artifact temps of dead writers only, metadata temps under
        the store lock). Costs one read of pipelines.json unless something crashed."""
        try:
            crashed = self.metadata.mark_crashed_runs(remove_temp_files=True)
            if crashed:
                self.logger.debug("Marked %d run(s) whose process died as crashed: %s", len(crashed), crashed)
                if "://" not in self.artifacts.url:  # local store: writers are processes of this host
                    self.artifacts.cleanup_temp_files(dead_writers_only=True)
        except FileNotFoundError:
            pass
        except OSError as exc:  # housekeeping never fails a run; `framework gc` can finish the job
            self.logger.debug("Could not clean up after crashed runs: %s", exc)

    def _launch(self, *, pipeline_parameters: dict[str, Any], unlisted: bool) -> str:
        graph, config = self.graph, self.run_config
        run_name = run_names.render(config.run_name, pipeline=graph.name)
        start = time.perf_counter()
        registration = self.metadata.register_pipeline(graph.name, graph.version_hash(), graph.to_dict())
        if registration.new_pipeline:
            self.logger.info("Registered new pipeline with name `%s`.", graph.name)
        elif registration.new_version:
            self.logger.info("Registered new version %d of pipeline `%s`.", registration.version, graph.name)
        self._recover_crashed_runs()
        pipeline_cache = graph.enable_cache if graph.enable_cache is not None else True
        run_record = {
            "id": self.run_id,
            "name": run_name,
            "pipeline_name": graph.name,
            "pipeline_id": registration.pipeline_id,
            "version": registration.version,
            "status": "running",
            "start_time": _now(),
            "end_time": None,
            "duration": None,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "stack": self.stack.name,
            "api": graph.api,
            "enable_cache": config.enable_cache,
            "caching_enabled": pipeline_cache,
            "pipeline_parameters": pipeline_parameters,
            "config": config.model_dump(mode="json"),
            "step_order": list(graph.invocations),
            "unlisted": unlisted,
            "error": None,
        }
        for attempt in range(5):
            try:
                self.metadata.create_run(run_record)
                break
            except DuplicateRunNameError:
                # A name made from the clock ({time}, as the default is) can collide with a run
                # started in the same microsecond by another process: take the next instant.
                # A name the user fixed is theirs to change; the error says how.
                if attempt == 4 or not run_names.uses_time(config.run_name):
                    raise
                run_name = run_record["name"] = run_names.render(config.run_name, pipeline=graph.name)
        self.run_name = run_name
        self.logger.info("Creating run `%s` for pipeline `%s` (Caching %s)", run_name, graph.name,
                         "enabled" if pipeline_cache else "disabled")
        if config.enable_cache is not None:
            self.logger.info(
                "Runtime configuration overwriting the pipeline cache settings to enable_cache=%s for this "
                "pipeline run. The default caching strategy is retained for future pipeline runs.",
                config.enable_cache)
        self.logger.info("Using stack `%s` to run pipeline `%s`...", self.stack.name, graph.name)
        self.progress.run_started(run_name, len(graph.invocations))
        status, error = "completed", None
        try:
            self._orchestrator().run(graph, self)
        except BaseException as exc:  # interrupted (Ctrl-C, SIGTERM) or an engine error: never leave `running`
            self.progress.run_finished("failed")
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            self._fail_pending(error)
            self._finish_run(status, time.perf_counter() - start, error, raising=False)
            raise
        duration = time.perf_counter() - start
        self.progress.run_finished()
        if self.first_error is not None:
            status, error = "failed", f"step `{self.failed_step}` failed: {self.first_error}"
        self._finish_run(status, duration, error, raising=True)
        if self.first_error is not None:
            self.logger.error("Pipeline run `%s` failed after %.3fs.", run_name, duration)
            raise self.first_error
        self.logger.info("Pipeline run `%s` has finished in %.3fs.", run_name, duration)
        return run_name

    def _fail_pending(self, error: str) -> None:
        """Steps handed to the orchestrator whose outcome never came back are recorded
        `failed` (never left `running`) when the run itself fails."""
        for inv_id, key in list(self._pending_keys.items()):
            inv = self.graph.invocations[inv_id]
            record = self._step_record(inv, "failed", cache_key=key, error=f"the run stopped: {error}",
                                       **self._finish_fields(inv))
            self.records.defer(record, [])  # written by `_finish_run`
        self._pending_keys.clear()

    def _finish_run(self, status: str, duration: float, error: str | None, *, raising: bool) -> None:
        """The run's last transaction: the buffered step records first, then the run's status.

        If the step records cannot be written (the store itself may be what failed), the run
        record is still closed, as `failed`; the error is re-raised when ``raising``.
        """
        batch = self.records.close()  # after the committer's last transaction
        try:
            self.metadata.finish_run(self.run_id, status, _now(), duration, error, steps=batch)
        except Exception as exc:
            if not batch:
                raise
            reason = f"the step records could not be written: {type(exc).__name__}: {exc}"
            self.metadata.finish_run(self.run_id, "failed", _now(), duration, error or reason)
            if raising:
                raise

    def _orchestrator(self):
        return self.stack.orchestrator_instance()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While a run is active in the main thread, SIGTERM raises `RunTerminated` (once).

    Only when SIGTERM has its default action: a handler the program installed, or an
    ignored SIGTERM, is left alone. On the way out the default is restored and, if the
    signal came, sent again — the process then ends by SIGTERM (exit status -15 / 143),
    as it would have without a run, but after the run was recorded `failed`.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (AttributeError, ValueError):  # pragma: no cover - platforms without SIGTERM
        previous = None
    if previous is not signal.SIG_DFL:
        yield
        return
    received = []

    def handler(signum: int, frame: Any) -> None:
        if received:  # a repeated SIGTERM while the run is being recorded: the first one counts
            return
        received.append(signum)
        raise RunTerminated("The process received SIGTERM; the run was stopped and recorded as failed.")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os.kill(os.getpid(), signal.SIGTERM)


def launch(graph: PipelineGraph, *, run_config: RunConfig, pipeline_parameters: dict[str, Any],
           unlisted: bool = False, stack: Stack | None = None):
    """Run a compiled graph on a stack; returns the finished run as a client view."""
    run_names.render(run_config.run_name, pipeline=graph.name)  # bad templates fail before anything is written
    launcher = RunLauncher(graph, run_config, stack or stacks.active_stack())
    name = launcher.launch(pipeline_parameters=pipeline_parameters, unlisted=unlisted)
    from framework.client import Client

    return Client(stack=launcher.stack).get_run(name)
