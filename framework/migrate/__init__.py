"""``framework migrate``: rewrite a legacy-API script to the function API (a libcst codemod).

Entry points: ``migrate_source(source, filename) -> MigrationResult`` (one file),
``migrate_project({filename: source}) -> {filename: MigrationResult}`` (a project's
modules together), and ``migrate_file(path, write=False, diff=False) -> exit code`` /
``migrate_paths(paths, ...)`` for files and directories (0 migrated, 1 TODOs left or
the codemod failed, 2 usage error). Comments and formatting outside the rewritten
constructs are kept byte for byte, comments inside them move along with the code they
describe; running it on migrated code changes nothing.

Modules: ``surface`` runs the rewrites of the legacy surface first - ``params_v1``
(``BaseStepConfig``, un-annotated fields), ``step_context``, ``materializers``,
``post_execution`` (with ``run_views``) - each with ``import_tools``; then the
pipelines: ``project`` (modules, names across them) · ``analysis`` (what a module
defines; ``pipeline_defs`` for pipelines) · ``bindings`` (which binding a name reads) ·
``wiring`` (instantiations, slot steps; ``instances`` for what is done with an
instance, ``factories`` for functions that return one, ``step_options``,
``pipeline_options`` for ``configure``) · ``slot_refs`` (slots in a body,
``kwargs["slot"]``; ``optional_slots`` for ``"slot" in kwargs``) · ``params``
(flattening; ``hook_params``) · ``grouping`` (instantiations -> pipelines, where values
go) · ``config_ids`` (``id=`` for YAML slot keys) · ``pipelines`` (new pipeline
functions) · ``carry`` (names a definition takes from another module) · ``runs``
(``.run()``) · ``client_refs`` · ``imports`` (imports, cleanup) · ``decisions`` (what
converts) · ``edits`` · ``transform`` (applies edits) · ``report`` · ``errors`` ·
``files`` (the CLI side) · ``codemod`` (the order of it all).

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
* Projects: a pipeline defined in one module and instantiated in another (``run.py``
  importing ``pipelines.training``) converts when the modules are migrated together:
  the definition calls the steps the instantiation wired, imported from the modules
  that define them (never closing an import cycle), and the instantiation becomes the
  call of the function pipeline. A function that only returns an instance
  (``def build(x): return p(...)``) is inlined where it is called.
* Several instantiations (the choice made here): they are grouped by wiring (which
  step, with which options, fills each slot; under ``connect(self, **kwargs)`` also
  which of the keys it tests with ``"slot" in kwargs`` are given, the tests being
  decided per wiring). One wiring -> one pipeline function;
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
  instance never run nor used in the file becomes an alias of the pipeline function
  (with a TODO: other modules may import it; migrated with its project, it goes when
  none does). An instance used as an object (``.configuration``, ``configure`` after a
  run or merging into what the decorator gives) stays one: ``inst = p.with_options()``.
  When a run's YAML config keys ``steps:`` by slot name, those invocations get
  ``id="<slot>"`` so the same file keeps working.
* Reading back: ``run.steps["step_2"]`` (a slot name of a migrated pipeline) ->
  ``run.steps["svc_trainer"]``; ``framework.client.get_pipeline`` and ``.read()``
  stay (the client keeps those legacy aliases). ``framework.post_execution`` reads
  and ``MyPipeline.get_runs()`` become ``Client`` reads (``run.steps[-1]`` ->
  ``list(run.steps.values())[-1]``, ``get_step(step=...)`` -> ``steps[...]``,
  ``.entrypoint_name`` -> ``.name``, ``get_unlisted_runs()`` ->
  ``Client().list_runs(unlisted=True)``).
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
pipeline never instantiated in the migrated files, a slot used as a value, a
``connect`` that uses its ``**kwargs`` other than by literal keys and membership
tests, a pipeline instance passed around, a function returning an instance that is
given computed arguments, a step or value of another module that the pipeline's module
cannot import (a cycle, a name taken), positional inputs of a step whose signature is
not in the migrated files, a parameters field whose default's type shows only at run
time, post-execution reads without a ``Client`` equivalent, and any use of the legacy
pipeline API the codemod does not recognise (the whole pipeline then stays legacy, and the new decorator is imported
as ``new_pipeline`` for the pipelines that were migrated).
"""

from __future__ import annotations

import os

import libcst as cst

from framework.migrate.files import migrate_file, migrate_paths
from framework.migrate.report import MigrationResult, Todo


def migrate_source(source: str, filename: str = "<string>") -> MigrationResult:
    """Migrate one module's source text. Raises ``SyntaxError`` if it is not valid Python."""
    return migrate_project({filename: source}, alone=True)[filename]


def migrate_project(
    sources: dict[str, str], root: str | None = None, alone: bool = False
) -> dict[str, MigrationResult]:
    """Migrate a project's modules together: file name -> source in, file name -> result out.

    Each file is the module its path under ``root`` names (default: the files' common
    directory; ``pkg/__init__.py`` is ``pkg``). Raises ``SyntaxError`` for the first file
    that is not valid Python. ``alone``: one file migrated on its own (``migrate_source``).
    """
    from framework.migrate.codemod import migrate_units
    from framework.migrate.project import Unit

    units = []
    for filename, source in sources.items():
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            raise SyntaxError(exc.message, (filename, exc.raw_line, exc.raw_column + 1, None)) from None
        units.append(Unit(filename=filename, source=source, module=module))
    if not alone:
        _name_modules(units, root)
    try:
        results = migrate_units(units)
    except Exception as exc:  # a bug in the codemod, never a problem of the input
        raise MigrationError(f"{type(exc).__name__}: {exc}") from exc
    return {unit.filename: result for unit, result in zip(units, results)}


def _name_modules(units, root: str | None) -> None:
    paths = [os.path.abspath(u.filename) for u in units]
    base = root or (os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ".")
    for unit, path in zip(units, paths):
        parts = os.path.splitext(os.path.relpath(path, os.path.abspath(base)))[0].split(os.sep)
        unit.package = parts[-1] == "__init__"
        unit.name = ".".join(parts[:-1] if unit.package else parts) or None


class MigrationError(RuntimeError):
    """The codemod failed on valid Python (a bug in the codemod); the input is left alone."""


__all__ = [
    "MigrationError", "MigrationResult", "Todo", "migrate_file", "migrate_paths", "migrate_project", "migrate_source",
]
