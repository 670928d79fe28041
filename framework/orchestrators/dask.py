"""The Dask orchestrator: the one scheduling loop (`execute_graph`) with a ``dask.distributed``
cluster as its executor.

Nothing else changes when a pipeline moves here: the launcher in this process still
names the run, decides cache hits and alone writes metadata; each step travels to a
worker as a `StepTask` (pickled with cloudpickle), runs in the pure step runner there,
reads its inputs from and writes its outputs to the artifact store, and sends back a
`StepOutcome` (artifact records, or the error).

Where the cluster comes from (``scheduler``):

* ``None`` — a ``LocalCluster`` is started when the run submits its first step (a run
  served wholly from the cache starts none): ``max_workers`` workers, ``threads_per_worker``
  threads each, worker processes unless ``processes=False``; it is closed when the run ends;
* an address such as ``"tcp://scheduler:8786"`` — a client connects for the run (giving up
  after ``connect_timeout`` seconds with an `OrchestratorError`) and disconnects after it;
  the cluster keeps running;
* a ``distributed.Client`` or a cluster object — used as is and left open.

Dask is imported only when a run uses this orchestrator.
"""

from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import Executor, Future
from typing import Any, Callable, Iterator

from framework.exceptions import OrchestratorError, StepExecutionError
from framework.graph import PipelineGraph
from framework.orchestrators.base import RunDriver, execute_graph
from framework.settings import merge_dicts

SETTINGS_KEY = "orchestrator.dask"
_FIX_PICKLE = ("Dask sends each step to its workers with cloudpickle: pass plain data as parameters, and "
               "create locks, open files, connections or clients inside the step instead of capturing them.")


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installation
        raise OrchestratorError("The `dask` orchestrator needs dask.distributed: "
                                "pip install 'framework[dask]'.") from None
    return distributed


class DaskOrchestrator:
    name = "dask"

    def __init__(self, scheduler: Any = None, max_workers: int | None = None, threads_per_worker: int = 1,
                 processes: bool = True, connect_timeout: float = 10.0) -> None:
        self.scheduler = scheduler
        self.max_workers = max_workers
        self.threads_per_worker = threads_per_worker
        self.processes = processes
        self.connect_timeout = connect_timeout

    def run(self, graph: PipelineGraph, driver: RunDriver) -> None:
        for inv in graph.invocations.values():  # fail before any cluster starts and any step is submitted
            check_serialisable(inv.id if graph.api != "legacy" else inv.step_name, inv.step, inv.call_values)
        with contextlib.ExitStack() as cleanup:
            executor = DaskStepExecutor(self._connector(cleanup), graph)
            try:
                execute_graph(graph, driver, executor)
            finally:
                executor.shutdown(wait=False, cancel_futures=True)

    def _connector(self, cleanup: contextlib.ExitStack) -> Callable[[], Any]:
        """A function returning the run's client. A given scheduler is connected to now (an
        unreachable one fails before any step starts); a LocalCluster starts only when a
        first step is submitted, so a run served wholly from the cache starts none."""
        distributed = _distributed()
        target = self.scheduler
        if isinstance(target, distributed.Client):
            return lambda: target
        if target is None:
            def start() -> Any:
                cluster = cleanup.enter_context(self._local_cluster(distributed))
                client = distributed.Client(cluster, set_as_default=False)
                cleanup.callback(client.close)
                return client
            return start
        where = target if isinstance(target, str) else getattr(target, "scheduler_address", repr(target))
        try:
            client = distributed.Client(target, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise OrchestratorError(
                f"Could not reach the Dask scheduler at {where} within {self.connect_timeout:g} s ({exc}). "
                "Check that the scheduler runs and that the stack's address is right "
                "(`framework stack describe`), or raise `connect_timeout`.") from None
        cleanup.callback(client.close)
        return lambda: client

    @contextlib.contextmanager
    def _local_cluster(self, distributed: Any) -> Iterator[Any]:
        try:
            cluster = (_subprocess_cluster(distributed, self.max_workers, self.threads_per_worker) if self.processes
                       else distributed.LocalCluster(n_workers=self.max_workers, threads_per_worker=self.threads_per_worker,
                                                     processes=False, dashboard_address=":0"))
        except Exception as exc:
            raise OrchestratorError(f"Could not start a local Dask cluster: {type(exc).__name__}: {exc}") from exc
        try:
            yield cluster
        finally:
            cluster.close()


def _subprocess_cluster(distributed: Any, workers: int | None, threads: int) -> Any:
    """A scheduler in this process and worker processes started as fresh interpreters.

    Why not ``LocalCluster(processes=True)``: its workers are started by multiprocessing,
    which re-imports the script that started the run in every worker; most scripts call
    their pipeline at module level (no ``if __name__ == "__main__":``), so each worker would
    run the pipeline again and fail to start. Workers started as the ``dask spec`` command
    never import the script: steps reach them by value (cloudpickle), as they would a
    remote cluster.
    """
    import logging
    import os

    from distributed.deploy.subprocess import SubprocessWorker

    count = workers or max(1, min(4, os.cpu_count() or 1))
    spec = {"cls": SubprocessWorker, "options": {"worker_class": "distributed.Nanny", "worker_kwargs": {
        "nthreads": threads, "silence_logs": logging.WARNING}}}
    return distributed.SpecCluster(
        scheduler={"cls": distributed.Scheduler, "options": {"dashboard_address": ":0", "host": "127.0.0.1"}},
        workers={index: spec for index in range(count)}, worker=spec, silence_logs=logging.WARNING)


class DaskStepExecutor(Executor):
    """A ``concurrent.futures`` executor over a Dask client, for `execute_graph`.

    Like ``Client.get_executor()``, plus what one step needs: its Dask resources and
    priority from the ``orchestrator.dask`` settings (pipeline, then step), a check that
    some worker offers those resources (and can see the artifact store) — failures come
    back as a failed future naming the step, so the loop records the step failed — and
    errors of the cluster itself (a worker that died, a lost scheduler) turned into an
    `OrchestratorError` that says what happened.
    """

    def __init__(self, connect: Callable[[], Any], graph: PipelineGraph) -> None:
        self._connect = connect  # returns the client; called at the first submission
        self._connected: Any = None
        self._connect_error: OrchestratorError | None = None
        self._graph = graph
        self._pending: dict[Any, Future] = {}
        self._store_checked: set[str] = set()
        self._known_workers: dict[str, Any] | None = None

    @property
    def _client(self) -> Any:
        if self._connected is None:
            if self._connect_error is not None:  # a cluster that failed to start is not retried per step
                raise self._connect_error
            try:
                self._connected = self._connect()
            except OrchestratorError as exc:
                self._connect_error = exc
                raise
        return self._connected

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        task = args[0]
        result: Future = Future()
        result.set_running_or_notify_cancel()
        inv = self._graph.invocations.get(task.invocation_id)
        settings = merge_dicts(self._graph.settings.get(SETTINGS_KEY, {}),
                               inv.settings.get(SETTINGS_KEY, {}) if inv is not None else {})
        resources = {k: v for k, v in sorted((settings.get("resources") or {}).items()) if v}
        try:  # (the step and its parameters were checked for pickling before the run started)
            self._check_store(task.artifact_store_url)
            self._check_resources(task.step_name, resources)
            future = self._client.submit(
                _call_and_ship, fn, *args, **kwargs, key=f"{task.step_name}-{uuid.uuid4().hex[:12]}",
                pure=False, resources=resources or None, priority=int(settings.get("priority", 0)))
        except OrchestratorError as exc:
            result.set_exception(exc)
            return result
        self._pending[future] = result
        future.add_done_callback(lambda done: self._relay(done, task.step_name))
        return result

    def _relay(self, future: Any, step_name: str) -> None:
        result = self._pending.pop(future, None)
        if result is None or result.done():
            return
        try:
            value = future.result()
        except BaseException as exc:  # noqa: BLE001 - the cluster failed, not the step (run_step never raises)
            result.set_exception(_cluster_error(step_name, exc))
        else:
            result.set_result(value)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures and self._pending:
            futures = list(self._pending)
            with contextlib.suppress(Exception):
                self._client.cancel(futures)

    def _workers(self) -> dict[str, Any]:
        """Every worker the scheduler knows now: address -> info (with ``resources``)."""
        try:
            info = self._client.scheduler_info(n_workers=-1)  # newer clients return only some by default
        except TypeError:
            info = self._client.scheduler_info()
        return dict(info.get("workers") or {})

    def _check_store(self, url: str) -> None:
        """A ``memory://`` store lives in one process: only in-process workers can share it."""
        if not url.startswith("memory://") or url in self._store_checked:
            return
        outside = [w for w in self._workers() if not str(w).startswith("inproc://")]
        if outside:
            raise OrchestratorError(
                f"The artifact store {url} lives in this process's memory, which Dask workers in other "
                f"processes ({outside[0]}, ...) cannot see. Use a shared store (a local directory, "
                "s3://...) or a LocalCluster with processes=False.")
        self._store_checked.add(url)

    def _check_resources(self, step_name: str, resources: dict[str, float]) -> None:
        if not resources:
            return
        def enough(workers: dict[str, Any]) -> bool:
            return any(all((info.get("resources") or {}).get(k, 0) >= v for k, v in resources.items())
                       for info in workers.values())

        workers = self._known_workers if self._known_workers is not None else self._workers()
        if not enough(workers):
            workers = self._workers()  # workers may have joined since we last asked
        self._known_workers = workers
        if enough(workers):
            return
        offered = [dict(info.get("resources") or {}) for info in workers.values()]
        shown = sorted({f"{k}={v:g}" for have in offered for k, v in have.items()}) or ["none"]
        raise OrchestratorError(
            f"Step `{step_name}` asks for Dask resources {resources}, but no worker of the cluster offers "
            f"them (workers offer: {', '.join(shown)}). Start workers with e.g. "
            f"`dask worker <scheduler> --resources \"{','.join(f'{k}={v:g}' for k, v in resources.items())}\"`, "
            f"or change the step's `{SETTINGS_KEY}` settings.")


def check_serialisable(step_name: str, step: Any, call_values: dict[str, Any],
                       inputs: dict[str, Any] | None = None) -> None:
    """Raise `OrchestratorError` naming the step and the culprit if the step, one of its
    parameters or its input records cannot be pickled for the cluster."""
    import cloudpickle

    try:
        cloudpickle.dumps((step, call_values, inputs))
        return
    except Exception as exc:
        error = exc
    culprit = "the step function (or something it refers to)"
    for name, value in call_values.items():
        try:
            cloudpickle.dumps(value)
        except Exception as exc:
            culprit, error = f"parameter `{name}`", exc
            break
    raise OrchestratorError(f"Step `{step_name}` cannot be sent to the Dask cluster: {culprit} cannot be "
                            f"serialised ({type(error).__name__}: {error}). {_FIX_PICKLE}") from error


def _call_and_ship(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs on the worker: call the step runner and make sure its outcome can travel back.

    A step's own exception may not survive pickling (e.g. required ``__init__`` arguments);
    it is then replaced by a `StepExecutionError` carrying its text, instead of failing as a
    puzzling cluster error.
    """
    import pickle

    import cloudpickle

    outcome = fn(*args, **kwargs)
    error = getattr(outcome, "error", None)
    if error is not None:
        try:
            pickle.loads(cloudpickle.dumps(error))
        except Exception:
            outcome.error = StepExecutionError(outcome.error_text or f"{type(error).__name__}: {error}")
    return outcome


def _cluster_error(step_name: str, exc: BaseException) -> OrchestratorError:
    kind = type(exc).__name__
    if kind == "KilledWorker":
        what = "the Dask worker running it died (its process exited or was killed, e.g. out of memory)"
    elif kind in {"CancelledError", "FutureCancelledError"}:
        what = "Dask cancelled it (the connection to the scheduler was lost, or the run was stopped)"
    else:
        what = "Dask could not run it (is the module defining the step installed on every worker?)"
    error = OrchestratorError(f"Step `{step_name}` failed: {what}: {kind}: {exc}")
    error.__cause__ = exc
    return error
