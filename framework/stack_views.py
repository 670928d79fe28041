"""``Client().active_stack``: the stack a run would use, as legacy code reads it.

ZenML-era scripts ask the client for the active stack and its components by name:
``Client().active_stack.name``, ``.orchestrator.flavor``, ``.artifact_store.path``,
``.experiment_tracker`` (``None`` when the stack has none). These views answer from the
stack's definition (``framework.stacks.Stack``); they never start anything.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class ComponentView:
    """One stack component: its ``name``, ``flavor`` (``local``, ``dask``, ``tinydb``…),
    ``type`` and configuration."""

    name: str
    flavor: str
    type: str
    config: dict = attrs.field(factory=dict)

    def __str__(self) -> str:
        return f"{self.type} `{self.name}` ({self.flavor})"


@attrs.frozen
class ArtifactStoreView(ComponentView):
    """The artifact store; ``path`` is its root (a local directory or an fsspec URL)."""

    path: str = ""


class StackView:
    """A stack and its components, read-only."""

    def __init__(self, stack: Any) -> None:
        self._stack = stack

    @property
    def name(self) -> str:
        return self._stack.name

    @property
    def id(self) -> str:
        return self._stack.name

    @property
    def orchestrator(self) -> ComponentView:
        return ComponentView(name=self._stack.orchestrator, flavor=self._stack.orchestrator, type="orchestrator",
                             config=dict(self._stack.orchestrator_options))

    @property
    def artifact_store(self) -> ArtifactStoreView:
        url = self._stack.artifact_store_url
        flavor = url.split("://", 1)[0] if "://" in url else "local"
        return ArtifactStoreView(name=f"{self.name}-artifacts", flavor=flavor, type="artifact_store",
                                 config={"path": url}, path=url)

    @property
    def metadata_store(self) -> ComponentView:
        backend = getattr(self._stack, "metadata_backend", "tinydb")
        where = {"url": self._stack.metadata_location} if backend == "postgresql" else \
            {"path": str(self._stack.metadata_root)}
        return ComponentView(name=f"{self.name}-metadata", flavor=backend, type="metadata_store", config=where)

    @property
    def experiment_tracker(self) -> Any:
        """The stack's experiment tracker (for MLflow an ``MLFlowExperimentTracker``: ``.name``,
        ``.flavor``, ``.get_tracking_uri()``), or ``None`` when it has none."""
        from framework.integrations.trackers import tracker_component

        return tracker_component(self._stack)

    @property
    def components(self) -> dict[str, Any]:
        found = {"orchestrator": self.orchestrator, "artifact_store": self.artifact_store,
                 "metadata_store": self.metadata_store}
        if self.experiment_tracker is not None:
            found["experiment_tracker"] = self.experiment_tracker
        return found

    def __repr__(self) -> str:
        return f"<stack `{self.name}`: {', '.join(str(c) for c in self.components.values())}>"
