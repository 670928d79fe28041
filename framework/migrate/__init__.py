"""``framework migrate``: rewrite a legacy-API script to the function API (a libcst codemod).

Entry points: ``migrate_source(source, filename) -> MigrationResult`` and
``migrate_file(path, write=False, diff=False) -> exit code`` (0 migrated, 1 TODOs
left or the codemod failed, 2 usage error). Comments and formatting outside the
rewritten constructs are kept byte for byte; running it on migrated code changes
nothing.

What it rewrites
----------------
* Imports: ``from framework.pipelines import pipeline`` -> ``from framework.pipelines.new
  import pipeline``; ``BaseParameters``/``BasePipeline`` are dropped once unused.
* Parameters (``params.py``): a step's ``BaseParameters`` argument is flattened into
  keyword arguments (same annotations and defaults; required fields placed before
  defaulted arguments) and ``params.x`` becomes ``x``; the class goes when nothing
  uses it. When that would not be the same program (the object is used as a whole,
  a field name is taken, the class has validators/non-literal defaults, or the step
  is used somewhere the codemod does not rewrite) the step keeps its argument and
  the object is passed through: ``trainer(P(gamma=0.01), X_train=...)``.
* Pipelines (``pipelines.py``): slot calls become calls of the wired step with
  keyword inputs; instantiation values become keyword arguments; step options
  (``name=``, ``enable_cache=``, ``.configure(...)``) become
  ``step.with_options(...)(...)``; ``step_2.after(step_1)`` becomes
  ``after="<invocation id>"``. Class-based ``BasePipeline`` subclasses become a
  function named like the class (so runs keep the pipeline name).
* Several instantiations: grouped by wiring (which step/options fill each slot).
  One wiring -> one pipeline; values that differ between instantiations, or are not
  literals, become pipeline arguments (default from the first instantiation when it
  is a literal) and each run passes its own values. Different wirings -> one
  function per wiring, ``<name>``, ``<name>_2``, … all declared with the original
  pipeline name (``@pipeline(name="<name>")``) so their runs stay one pipeline with
  versions, as they were.
* Runs (``runs.py``): ``inst.run(...)`` / ``first_pipeline(...).run(...)`` ->
  ``first_pipeline(...)`` or ``first_pipeline.with_options(run_name=...,
  enable_cache=..., config_path=..., settings=...)(...)``; ``{{date}}`` stays.
  The instance assignment disappears; an instance that is never run becomes an
  alias of the pipeline function (with a TODO).

What becomes a TODO (``# TODO(migrate): ...`` above the statement, and
``FILE:LINE: reason`` on stderr, LINE being the comment's line in the migrated code)
-------------------------------------------------------------------------------------
``unlisted``/``extra``/``step_configurations`` run options (kept in ``with_options``),
a ``config_path`` YAML that keys ``steps:`` by slot name, a pipeline never
instantiated in the file, a slot used as a value, a pipeline instance used for more
than ``.run()``, ``configure(merge=...)``, positional inputs of a step defined in
another file, and any use of the legacy pipeline API the codemod does not recognise.
Such code is left in place, never dropped.

Client reads (``framework.client.get_pipeline``, ``.read()``) stay as they are: the
client keeps those legacy aliases.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.files import migrate_file
from framework.migrate.report import MigrationResult, Todo


def migrate_source(source: str, filename: str = "<string>") -> MigrationResult:
    """Migrate one module's source text. Raises ``SyntaxError`` if it is not valid Python."""
    from framework.migrate.codemod import migrate_module

    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise SyntaxError(exc.message, (filename, exc.raw_line, exc.raw_column + 1, None)) from None
    try:
        return migrate_module(source, filename)
    except Exception as exc:  # a bug in the codemod, never a problem of the input
        raise MigrationError(f"{type(exc).__name__}: {exc}") from exc


class MigrationError(RuntimeError):
    """The codemod failed on valid Python (a bug in the codemod); the input is left alone."""


__all__ = ["MigrationError", "MigrationResult", "Todo", "migrate_file", "migrate_source"]
