"""``PipelineGraph``: the plain-data form both pipeline APIs compile to.

Nothing downstream of compilation knows which API built a graph; that is the
bridge that lets legacy and migrated pipelines share one engine and one store.
"""

from __future__ import annotations

import dataclasses
import graphlib
import json
from typing import Any

from framework.exceptions import PipelineInterfaceError


@dataclasses.dataclass(frozen=True)
class InputBinding:
    """An input fed by output ``output_name`` of invocation ``invocation_id``."""

    invocation_id: str
    output_name: str


@dataclasses.dataclass
class Invocation:
    """One call of one step in a pipeline, with everything needed to run and cache it."""

    id: str
    step_name: str
    step_class: str
    inputs: dict[str, InputBinding]
    parameters: dict[str, Any]
    after: tuple[str, ...]
    enable_cache: bool | None
    settings: dict[str, Any]
    extra: dict[str, Any]
    outputs: dict[str, str]  # output name -> declared type (dotted)
    output_materializers: dict[str, str]  # output name -> materializer (dotted), when chosen explicitly
    code_fingerprint: str
    slot: str | None = None
    on_failure: str | None = None  # the hooks' dotted names (the step's own, else the pipeline's)
    on_success: str | None = None
    experiment_tracker: str | None = None  # a stack component's name, for the launcher to check
    group: tuple[str, ...] = ()  # the nested pipeline calls that added it (drawn as groups; not structure)
    # The BaseStep copy this invocation runs: its options as resolved for this run (hooks,
    # materializer classes) and its pipeline's name travel with it to the step runner.
    step: Any = dataclasses.field(default=None, compare=False, repr=False)
    call_values: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def upstream(self) -> set[str]:
        return {b.invocation_id for b in self.inputs.values()} | set(self.after)

    def to_dict(self) -> dict[str, Any]:
        extra = {"group": list(self.group)} if self.group else {}
        return {
            **extra,
            "id": self.id,
            "step_name": self.step_name,
            "step_class": self.step_class,
            "slot": self.slot,
            "inputs": {k: [b.invocation_id, b.output_name] for k, b in self.inputs.items()},
            "parameters": self.parameters,
            "after": list(self.after),
            "enable_cache": self.enable_cache,
            "settings": self.settings,
            "extra": self.extra,
            "outputs": self.outputs,
            "output_materializers": self.output_materializers,
            "code_fingerprint": self.code_fingerprint,
            "on_failure": self.on_failure,
            "on_success": self.on_success,
            "experiment_tracker": self.experiment_tracker,
        }


@dataclasses.dataclass
class PipelineGraph:
    name: str
    invocations: dict[str, Invocation]
    enable_cache: bool | None = None
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    api: str = "function"

    def validate(self) -> None:
        """Every edge points at a known invocation and there is no cycle."""
        for inv in self.invocations.values():
            for upstream in inv.upstream:
                if upstream not in self.invocations:
                    raise PipelineInterfaceError(
                        f"Step `{inv.id}` is ordered after or fed by `{upstream}`, which is not a step of "
                        f"pipeline `{self.name}`; known steps: {', '.join(self.invocations)}."
                    )
        self.topological_order()

    def dependencies(self) -> dict[str, set[str]]:
        return {inv_id: inv.upstream for inv_id, inv in self.invocations.items()}

    def topological_order(self) -> list[str]:
        try:
            return list(graphlib.TopologicalSorter(self.dependencies()).static_order())
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1]) if len(exc.args) > 1 else "?"
            raise PipelineInterfaceError(f"Pipeline `{self.name}` has a cycle: {cycle}.") from None

    def structure(self) -> dict[str, Any]:
        """What defines a pipeline version: shape and step code, never parameter values."""
        return {
            "name": self.name,
            "invocations": [
                {
                    "id": inv.id,
                    "step_class": inv.step_class,
                    "inputs": sorted((k, b.invocation_id, b.output_name) for k, b in inv.inputs.items()),
                    "after": sorted(inv.after),
                    "outputs": inv.outputs,
                    "code": inv.code_fingerprint,
                }
                for inv in self.invocations.values()
            ],
        }

    def version_hash(self) -> str:
        from framework.hashing import hash_bytes

        return hash_bytes(json.dumps(self.structure(), sort_keys=True).encode())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "api": self.api,
            "enable_cache": self.enable_cache,
            "settings": self.settings,
            "extra": self.extra,
            "invocations": [inv.to_dict() for inv in self.invocations.values()],
        }
