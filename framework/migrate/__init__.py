"""``framework migrate``: rewrite a legacy-API script to the function API (a libcst codemod).

Entry points: ``migrate_source(source, filename) -> MigrationResult`` and
``migrate_file(path, write=False, diff=False) -> exit code`` (0 migrated, 1 TODOs
left or the codemod failed, 2 usage error). Comments and formatting outside the
rewritten constructs are kept byte for byte, comments inside them move along with
the code they describe; running it on migrated code changes nothing.

Modules: ``surface`` runs the rewrites of the legacy surface first - ``params_v1``
(``BaseStepConfig``, un-annotated fields), ``step_context``, ``materializers``,
``post_execution`` (with ``run_views``) - each with ``import_tools``; then the
pipelines: ``analysis`` (what the file defines) · ``bindings`` (which binding a
name reads) · ``wiring`` (instantiations, slot steps, runs; ``step_options``,
``pipeline_options`` for ``configure``) · ``slot_refs`` (slots in a body,
``kwargs["slot"]``) · ``params`` (flattening) · ``grouping``
(instantiations -> pipelines, where values go) · ``config_ids`` (``id=`` for YAML
slot keys) · ``pipelines`` (new pipeline functions) · ``runs`` (``.run()``) ·
``client_refs`` · ``imports`` (imports, cleanup) · ``transform`` (applies edits) ·
``report`` · ``errors`` · ``files`` (the CLI side) · ``codemod`` (the order of it all).

What it rewrites
----------------
* Imports: ``from framework.pipelines import pipeline`` -> ``from framework.pipelines.new
  import pipeline``; ``BaseParameters``/``BasePipeline`` are dropped once the
  migration made them unused.
* Parameters: a step's ``BaseParameters`` argument is flattened into keyword
  arguments (same annotations and defaults; required fields go before defaulted
  arguments), ``params.x`` becomes ``x``, ``Step.entrypoint(P(...), ...)`` calls
  follow, and the class goes once nothing uses it. When that would not be the same
  program (the object is used as a whole, a field name is taken, the class has
  validators or non-literal defaults, its class is imported, or the step is used
  somewhere the codemod does not rewrite) the step keeps its argument and the
  object is passed through: ``trainer(P(gamma=0.01), X_train=...)`` - no TODO.
* Pipelines: slot calls become calls of the wired step with keyword inputs;
  instantiation values become keyword arguments; step options (``name=``,
  ``enable_cache=``, ``.configure(...)``) become ``step.with_options(...)(...)``;
  ``step_2.after(step_1)`` becomes ``after="<invocation id>"``; hooks
  (``on_failure=``/``on_success=``) move with the other options. A step instance
  variable that only feeds the wiring is folded into the call; one that is shared
  at module level is called as it is. ``BasePipeline`` subclasses become a function
  named like the class, so runs keep the pipeline name; under
  ``connect(self, **kwargs)`` each ``kwargs["slot"]`` is a slot. A pipeline
  instance's ``configure(...)`` before it runs moves into ``@pipeline(...)``.
* Several instantiations (the choice made here): they are grouped by wiring (which
  step, with which options, fills each slot). One wiring -> one pipeline function;
  values that differ between instantiations, or are not literals (loop variables,
  CLI arguments), become pipeline arguments (default from the first instantiation
  when it is a literal) and every run passes its own values - the seed's
  ``first_pipeline(gamma=0.0015)`` shape. Different wirings -> one function per
  wiring, ``<name>``, ``<name>_2``, …, all declared ``@pipeline(name="<name>")`` so
  their runs stay one pipeline with versions, as they were.
* Runs: ``inst.run(...)`` / ``first_pipeline(...).run(...)`` -> ``first_pipeline(...)``
  or ``first_pipeline.with_options(run_name=..., enable_cache=..., config_path=...,
  settings=..., extra=..., unlisted=...)(...)``; ``{{date}}``/``{{time}}`` stay. The
  instance assignment goes, also when the instance is named like the imported
  decorator (``pipeline = p(...)``) or the pipeline (``p = p(...)``); a module-level
  instance never run here becomes an alias of the pipeline function (with a TODO:
  other modules may import it). When a run's YAML config keys ``steps:`` by slot
  name, those invocations get ``id="<slot>"`` so the same file keeps working.
* Reading back: ``run.steps["step_2"]`` (a slot name of a migrated pipeline) ->
  ``run.steps["svc_trainer"]``; ``framework.client.get_pipeline`` and ``.read()``
  stay (the client keeps those legacy aliases). ``framework.post_execution`` reads
  and ``MyPipeline.get_runs()`` become ``Client`` reads (``run.steps[-1]`` ->
  ``list(run.steps.values())[-1]``, ``get_step(step=...)`` -> ``steps[...]``).
* The surface: ``BaseStepConfig`` -> ``BaseParameters``, un-annotated fields get the
  type pydantic v1 inferred; a ``StepContext`` argument and
  ``Environment().step_environment`` -> ``get_step_context()`` (with
  ``enable_cache=False`` unless the step sets caching); materializers'
  ``handle_input``/``handle_return`` -> ``load``/``save``.

What becomes a TODO
-------------------
A ``# TODO(migrate): <reason and fix>`` line above the statement, and
``FILE:LINE: <reason>`` on stderr (LINE is the comment's line in the migrated code;
TODOs left by an earlier run are reported again). The code stays in place, never
dropped: the ``step_configurations`` run option (kept inside ``with_options``), a
pipeline never instantiated in the file, a slot used as a value, a ``connect`` that
uses its ``**kwargs`` other than by literal keys, a pipeline instance used for more
than ``.run()``, ``configure(merge=...)`` or a settings dict given twice,
positional inputs of a step whose signature is not in the file, a parameters field
whose default's type shows only at run time, post-execution reads without a
``Client`` equivalent, and any use of the legacy pipeline API the codemod does not
recognise (the whole pipeline then stays legacy, and the new decorator is imported
as ``new_pipeline`` for the pipelines that were migrated).
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.files import migrate_file
from framework.migrate.report import MigrationResult, Todo


def migrate_source(source: str, filename: str = "<string>") -> MigrationResult:
    """Migrate one module's source text. Raises ``SyntaxError`` if it is not valid Python."""
    from framework.migrate.codemod import migrate_module

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise SyntaxError(exc.message, (filename, exc.raw_line, exc.raw_column + 1, None)) from None
    try:
        return migrate_module(module, source, filename)
    except Exception as exc:  # a bug in the codemod, never a problem of the input
        raise MigrationError(f"{type(exc).__name__}: {exc}") from exc


class MigrationError(RuntimeError):
    """The codemod failed on valid Python (a bug in the codemod); the input is left alone."""


__all__ = ["MigrationError", "MigrationResult", "Todo", "migrate_file", "migrate_source"]
