"""What a script does with a pipeline instance it keeps in a variable: runs it, configures it, reads it.

``inst = first_pipeline(...)`` is usually only run (``inst.run(...)``), perhaps configured
first (``inst.configure(on_failure=...)``): the instance then disappears, its runs become
calls of the function pipeline and its ``configure`` moves into ``@pipeline(...)``
(``pipeline_options``).

Some scripts use the instance as an object: they read ``inst.configuration`` (or ``.name``,
``.enable_cache``), configure it after a run, or configure what cannot move into the
decorator (``settings`` that the decorator gives too and ``configure`` deep-merges). A
function-API pipeline is an object with the same ``configure(...)`` and
``.configuration``, so such an instance is *kept*: ``inst = first_pipeline.with_options()``
(a copy, as the instance was: configuring it leaves the pipeline alone), its
``configure`` calls and reads stay as they are, and each ``inst.run(...)`` becomes
``inst.with_options(...)(...)``. Any other use (passing the instance around) has no
function-API counterpart the codemod can check, and stays a TODO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from framework.migrate.bindings import assignment_of, binding_of
from framework.migrate.errors import Unsupported
from framework.migrate.pipeline_options import ConfigureProblem, check, configure_call, decorator_args

#: attributes a legacy instance and a function-API pipeline both answer, with the same meaning
READS = ("configuration", "name", "enable_cache")


@dataclass
class InstanceUses:
    runs: list[cst.Call] = field(default_factory=list)
    configures: list[cst.Call] = field(default_factory=list)  # before the first run: into the decorator
    kept: bool = False  # the instance stays an object (configures and reads stay where they are)


def instance_uses(legacy, pipe, target: cst.Name) -> InstanceUses:
    """Classify every use of the instance bound by ``target``; raise ``Unsupported`` for the others."""
    found = InstanceUses()
    reads = False
    for access in assignment_of(legacy, target).references:
        ref = access.node
        if binding_of(legacy, ref) is not target:
            continue
        attr = legacy.parent(ref)
        call = legacy.parent(attr) if attr is not None else None
        method = attr.attr.value if isinstance(attr, cst.Attribute) and attr.value is ref else None
        if method == "run" and isinstance(call, cst.Call) and call.func is attr:
            found.runs.append(call)
        elif configure_call(legacy, ref) is not None:
            found.configures.append(configure_call(legacy, ref))
        elif method in READS:
            reads = True
        else:
            raise Unsupported(
                legacy.statement_of(ref),
                f"the pipeline instance `{target.value}` is used for more than `.run()`, `.configure()` and "
                f"`.configuration`; function-API pipelines have no instances: call `{pipe.name}(...)` where it "
                "is run",
            )
    found.runs.sort(key=legacy.pos)
    found.configures.sort(key=legacy.pos)
    found.kept = reads or not _movable(legacy, pipe, target, found)
    if found.kept:
        found.configures = []
    return found


def _movable(legacy, pipe, target: cst.Name, found: InstanceUses) -> bool:
    """Whether the ``configure`` calls can move into the decorator: before any run, in the instance's
    scope, with options the decorator takes, and not merging into a dict the decorator gives too."""
    for call in found.configures:
        if found.runs and legacy.pos(call) > legacy.pos(found.runs[0]):
            return False
        if legacy.scope(call) is not legacy.scope(target):
            return False
        try:
            check(call, target.value)
        except ConfigureProblem:
            return False
    try:
        decorator_args(list(pipe.decorator_args), found.configures, pipe.name)
    except ConfigureProblem:
        return False
    return True
