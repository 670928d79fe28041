"""Stacks: where a run executes and where its records and artifacts live.

The default stack is the local orchestrator, a local artifact store and the
TinyDB metadata store, all inside the framework home. The home is read from
``FRAMEWORK_HOME`` each time a stack is resolved (never cached at import), so
tests and users can switch homes freely.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

DEFAULT_STACK = "default"


def framework_home() -> Path:
    """``$FRAMEWORK_HOME``, else ``$XDG_DATA_HOME/framework``, else ``~/.local/share/framework``."""
    explicit = os.environ.get("FRAMEWORK_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home).resolve() / "framework"


@attrs.frozen
class Stack:
    """An orchestrator plus an artifact store plus a metadata store."""

    name: str
    home: Path
    artifact_store_url: str
    metadata_root: Path
    orchestrator: str = "local"
    orchestrator_options: dict = attrs.field(factory=dict)

    def artifact_store(self):
        from framework.artifacts import ArtifactStore

        return ArtifactStore(self.artifact_store_url)

    def metadata_store(self):
        from framework.metadata import MetadataStore

        return MetadataStore(self.metadata_root)

    def orchestrator_instance(self):
        if self.orchestrator == "local":
            from framework.orchestrators.local import LocalOrchestrator

            return LocalOrchestrator(**self.orchestrator_options)
        raise ValueError(f"Stack `{self.name}`: unknown orchestrator `{self.orchestrator}`.")

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "orchestrator": self.orchestrator, "home": str(self.home),
                "artifact_store": self.artifact_store_url, "metadata_store": str(self.metadata_root)}


def default_stack(home: Path | None = None) -> Stack:
    home = home or framework_home()
    return Stack(DEFAULT_STACK, home, str(home / "artifacts"), home / "metadata")


def active_stack() -> Stack:
    """The stack runs use now (the default stack until stacks can be registered)."""
    return default_stack()
