"""The contract between the core and experiment trackers (MLflow, …): stdlib only.

Two things live here because layers far apart both need them:

* **The stack entry of a tracker** (`tracker_entry`): the ``experiment_tracker:`` section of
  a stack in ``stacks.yaml`` — a component name, a flavor and a tracking URI. ``framework.stacks``
  checks and stores it without importing any integration.
* **The running step's tracker run** (`step_tracking`, `mirror_metrics`). The step runner
  (which may run on a Dask worker and never imports an integration) opens the tracker run
  that travels in its ``StepTask`` around the step's code, through `step_tracking`; while it
  is open it is registered in a context variable, so code that records metrics *in the
  step's process* — the runner's scalar outputs, ``log_metadata`` — mirrors them with one
  call, ``mirror_metrics({name: number})``, which does nothing in an untracked step.

Mirroring is best-effort by design: a tracker that cannot take a metric logs a warning; it
never fails the step whose result the framework has already recorded.
"""

from __future__ import annotations

import contextvars
import logging
import numbers
import re
from pathlib import Path
from typing import Any, Mapping, Protocol

#: Flavors a stack may name, and the component name a tracker gets when none is given
#: (the name ZenML's documentation and most scripts use: ``@step(experiment_tracker="mlflow_tracker")``).
TRACKER_FLAVORS = ("mlflow",)
DEFAULT_TRACKER_NAME = "mlflow_tracker"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Tracking URI schemes MLflow opens (a database, a directory, a tracking server).
_SCHEMES = ("sqlite:///", "file:", "http://", "https://", "postgresql://", "postgresql+", "mysql://", "mysql+",
            "mssql://", "mssql+", "databricks")


def default_tracking_uri(home: Path) -> str:
    """A local MLflow store in the framework home: one SQLite file, which ``mlflow ui`` opens."""
    return f"sqlite:///{Path(home) / 'mlflow.db'}"


def tracker_entry(flavor: str, *, name: str | None = None, tracking_uri: str | None = None) -> dict[str, str]:
    """The ``experiment_tracker:`` entry of a stack, checked; ``ValueError`` says what to fix.

    No ``tracking_uri`` means the home's local store (resolved when the stack is read, so a
    moved home keeps its tracker). A URI holding a password is refused: ``stacks.yaml`` is
    plain text, and MLflow reads credentials from ``MLFLOW_TRACKING_USERNAME``/``_PASSWORD``
    or ``MLFLOW_TRACKING_TOKEN``.
    """
    if flavor not in TRACKER_FLAVORS:
        raise ValueError(f"unknown experiment tracker flavor `{flavor}`; known: {', '.join(TRACKER_FLAVORS)}.")
    name = name or DEFAULT_TRACKER_NAME
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"invalid experiment tracker name {name!r}: use letters, digits, `_`, `.` and `-`.")
    entry = {"name": name, "flavor": flavor}
    if tracking_uri:
        uri = str(tracking_uri).strip()
        if not uri.startswith(_SCHEMES):
            hint = f"sqlite:///{Path(uri).expanduser().resolve()}" if uri.endswith(".db") else "sqlite:///PATH/mlflow.db"
            raise ValueError(f"tracking URI {uri!r} is not one MLflow opens: use a database ({hint}), "
                             "a tracking server (http://host:5000) or file:/PATH.")
        if re.match(r"^[a-z+]+://[^/@]*:[^/@]*@", uri):
            raise ValueError("the tracking URI holds a password, and stacks.yaml is plain text: register it "
                             "without one and set MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (or "
                             "MLFLOW_TRACKING_TOKEN) in the environment of the processes that run steps.")
        entry["tracking_uri"] = uri
    return entry


def resolved_entry(entry: Mapping[str, Any] | None, home: Path) -> dict[str, str] | None:
    """A stored entry with its defaults filled in (name, tracking URI under ``home``)."""
    if not entry:
        return None
    return {"name": str(entry.get("name") or DEFAULT_TRACKER_NAME), "flavor": str(entry.get("flavor") or "mlflow"),
            "tracking_uri": str(entry.get("tracking_uri") or default_tracking_uri(home))}


# ---------------------------------------------------------------------- the running step's tracker run
class StepTracking(Protocol):
    """A tracker run around one step, opened in the step's process.

    ``metadata`` is what the step record keeps once the step ended (the link to the
    tracker's run); ``log_metrics`` takes ``{name: float}``.
    """

    metadata: dict[str, Any]

    def __enter__(self) -> StepTracking: ...
    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool | None: ...
    def log_metrics(self, metrics: Mapping[str, float]) -> None: ...


class _NoTracking:
    """The untracked step: nothing to open, nothing to keep."""

    @property
    def metadata(self) -> dict[str, Any]:
        return {}

    def __enter__(self) -> _NoTracking:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        return None

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        return None


_ACTIVE: contextvars.ContextVar[StepTracking | None] = contextvars.ContextVar("framework_step_tracking",
                                                                            default=None)


def step_tracking(spec: Any, task: Any) -> StepTracking:
    """The tracker run for ``task`` (``spec`` is the ``StepTask.tracker`` the launcher chose,
    an integration's object that travelled by value), or a no-op when the step is untracked."""
    return spec.open(task) if spec is not None else _NoTracking()


def activate(tracking: StepTracking) -> contextvars.Token:
    """Called by an integration's tracker run when it opens: `mirror_metrics` reaches it."""
    return _ACTIVE.set(tracking)


def deactivate(token: contextvars.Token) -> None:
    _ACTIVE.reset(token)


def active_step_tracking() -> StepTracking | None:
    """The tracker run of the step running in this context, if it has one."""
    return _ACTIVE.get()


def numeric_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    """The values that are metrics: real numbers (ints, floats, numpy scalars; not booleans)."""
    found = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            continue
        found[str(name)] = float(value)  # NaN and inf included: MLflow takes them
    return found


def mirror_metrics(metrics: Mapping[str, Any]) -> None:
    """Log ``{name: number}`` on the running step's tracker run; a no-op outside a tracked
    step. Non-numeric values are ignored. Never raises: a failure is a warning."""
    tracking = _ACTIVE.get()
    if tracking is None:
        return
    numbers_only = numeric_metrics(metrics)
    if not numbers_only:
        return
    try:
        tracking.log_metrics(numbers_only)
    except Exception as exc:  # noqa: BLE001 - mirroring never fails a step
        logging.getLogger("framework").warning("Could not mirror metrics %s to the experiment tracker: %s",
                                               ", ".join(sorted(numbers_only)), exc)
