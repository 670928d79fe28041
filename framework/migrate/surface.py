"""The legacy surface around pipelines, rewritten before the pipelines themselves.

Each rewrite is one concept in its own module, takes a module and returns the
rewritten module (unchanged when it finds nothing to do), and leaves a TODO only
where no rewrite exists. They run in this order, before the pipeline migration,
because it reads what they produce: annotated parameter fields can be flattened
into step arguments, and a pipeline instance whose ``.get_runs()`` became a
``Client`` lookup is an instance that is only run.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate import materializers, params_v1, post_execution, step_context

REWRITES = (
    params_v1.rewrite,  # BaseStepConfig, un-annotated fields
    step_context.rewrite,  # StepContext argument, Environment().step_environment
    materializers.rewrite,  # handle_input/handle_return
)  # then post_execution.rewrite: framework.post_execution, .get_runs() -> Client


def rewrite_surface(module: cst.Module, imported_pipelines: dict[str, str | None] | None = None) -> cst.Module:
    """``imported_pipelines``: local names of legacy pipelines imported from the project's other modules ->
    their run names (the post-execution reads look those up by name)."""
    for rewrite in REWRITES:
        module = rewrite(module)
    return post_execution.rewrite(module, imported_pipelines or {})
