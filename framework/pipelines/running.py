"""Running a compiled graph on the active stack, for both pipeline APIs.

The launcher takes the stack and returns the run's id; this is where the API layer picks
the stack (``framework.stacks.active_stack``, read at each run, never cached) and turns
the id into the view users get back.
"""

from __future__ import annotations

from typing import Any


def run_graph(graph: Any, *, run_config: Any, pipeline_parameters: dict[str, Any], unlisted: bool) -> Any:
    """Run ``graph``; return the finished run as a ``framework.views.RunView``."""
    from framework import stacks
    from framework.client import Client
    from framework.execution.launcher import launch

    stack = stacks.active_stack()
    run_id = launch(graph, run_config=run_config, pipeline_parameters=pipeline_parameters, stack=stack,
                    unlisted=unlisted)
    return Client(stack=stack).get_run_by_id(run_id)
