"""Running a compiled graph on the active stack, for both pipeline APIs.

The launcher takes the stack and returns the run's id; this is where the API layer picks
the stack (``framework.stacks.active_stack``, read at each run, never cached) and turns
the id into the view users get back. Steps that log to an experiment tracker are checked
against the stack here, before anything is written (``framework.integrations.trackers``).
"""

from __future__ import annotations

from typing import Any


def run_graph(graph: Any, *, run_config: Any, pipeline_parameters: dict[str, Any], unlisted: bool) -> Any:
    """Run ``graph``; return the finished run as a ``framework.views.RunView``."""
    from framework import stacks
    from framework.client import Client
    from framework.execution.launcher import launch
    from framework.integrations.trackers import run_tracking

    stack = stacks.active_stack()
    tracking = run_tracking(graph, stack)  # a step's tracker the stack lacks fails here
    run_id = launch(graph, run_config=run_config, pipeline_parameters=pipeline_parameters, stack=stack,
                    unlisted=unlisted, tracking=tracking)
    return Client(stack=stack).get_run_by_id(run_id)
