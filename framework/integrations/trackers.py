"""Experiment trackers as stack components, and the check a run passes before it starts.

A stack's ``experiment_tracker`` entry (``framework.experiment_tracking``) names a flavor;
`tracker_component` turns it into that flavor's component object — what
``Client().active_stack.experiment_tracker`` returns (for MLflow, the legacy
``MLFlowExperimentTracker``). Flavors are imported only when a stack has one, so a stack
without a tracker, and ``import framework``, never import MLflow.

`run_tracking` is called by the pipeline layer after compiling and before launching: every
step that names a tracker must name the active stack's, and the flavor's library must be
installed. Otherwise the run fails *before anything is written*, with an error that says
which stack has that tracker, or how to register one.
"""

from __future__ import annotations

import importlib
from typing import Any

from framework.stacks import StackError, list_stacks

#: flavor -> (module, class) of its component; the class implements the legacy surface and
#: ``run_tracking(graph)``, ``missing_requirement()``.
FLAVORS: dict[str, tuple[str, str]] = {
    "mlflow": ("framework.integrations.mlflow.experiment_trackers.mlflow_experiment_tracker",
               "MLFlowExperimentTracker"),
}


class ExperimentTrackerError(StackError):
    """A step names an experiment tracker the stack does not have, or its library is missing."""


def tracker_component(stack: Any) -> Any | None:
    """The component object of ``stack``'s experiment tracker, or None when it has none."""
    entry = getattr(stack, "experiment_tracker", None)
    if not entry:
        return None
    if entry["flavor"] not in FLAVORS:
        raise ExperimentTrackerError(f"Stack `{stack.name}`: unknown experiment tracker flavor `{entry['flavor']}` "
                                     f"in its stacks.yaml entry; known: {', '.join(FLAVORS)}.")
    module, name = FLAVORS[entry["flavor"]]
    component = getattr(importlib.import_module(module), name)
    return component(name=entry["name"], tracking_uri=entry["tracking_uri"], stack_name=stack.name)


def run_tracking(graph: Any, stack: Any) -> Any | None:
    """What the launcher uses to track ``graph``'s run on ``stack`` (None: no step is tracked).

    Raises `ExperimentTrackerError` when a step's ``experiment_tracker=`` is not the stack's
    tracker or the tracker's library is not installed; nothing has been written then.
    """
    tracked = {(inv.step_name if graph.api == "legacy" else inv.id): inv.experiment_tracker
               for inv in graph.invocations.values() if inv.experiment_tracker}
    if not tracked:
        return None
    component = tracker_component(stack)
    for step, wanted in tracked.items():
        if component is None or component.name != wanted:
            raise ExperimentTrackerError(_missing(step, wanted, stack, component))
    missing = component.missing_requirement()
    if missing:
        raise ExperimentTrackerError(f"Stack `{stack.name}`: experiment tracker `{component.name}` {missing}")
    return component.run_tracking(graph)


def _missing(step: str, wanted: str, stack: Any, component: Any | None) -> str:
    """The error for a step whose tracker the stack lacks: what the stack has, which other
    stack has the wanted tracker, or the commands that register one."""
    has = (f"has the tracker `{component.name}` ({component.flavor}) instead" if component is not None
           else "has no experiment tracker")
    message = f"Step `{step}` logs to experiment tracker `{wanted}`, but the active stack `{stack.name}` {has}."
    try:
        others = [s.name for s in list_stacks(getattr(stack, "home", None))
                  if s.name != stack.name and (s.experiment_tracker or {}).get("name") == wanted]
    except StackError:
        others = []
    if others:
        return message + f" Stack `{others[0]}` has it: `framework stack set {others[0]}` (or FRAMEWORK_STACK={others[0]})."
    if component is not None:
        message += f" Pass experiment_tracker=\"{component.name}\" to the step, or register a stack with that tracker:"
    else:
        message += " Register a stack with one and make it active:"
    option = "" if wanted == "mlflow_tracker" else f" --tracker-name {wanted}"
    return message + (f" `framework stack register ml --experiment-tracker mlflow{option}` then "
                      "`framework stack set ml` (pip install 'framework[mlflow]' for MLflow itself).")
