"""The built-in settings models (see ``framework.settings``, which exposes them).

A module of their own so that importing the framework creates no pydantic model class:
the first one created loads much of pydantic (~40 ms); these are created when a setting
is first validated or one of them is first used.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict


class BaseSettings(BaseModel):
    """Base of every settings model: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use, not at import


class ResourceSettings(BaseSettings):
    """Resources a step asks of the orchestrator (key ``"resources"``, ZenML's fields).

    Recorded with the run; no orchestrator here reserves them (on Dask, ask for worker
    resources with ``orchestrator.dask`` settings).
    """

    cpu_count: float | None = None
    gpu_count: int | None = None
    memory: str | None = None


class DockerSettings(BaseSettings):
    """How ZenML would build a container image for the pipeline (key ``"docker"``).

    The fields are ZenML's (0.2x-0.4x, deprecated ones included) so that legacy code
    configures the same; unknown fields are still refused. They are recorded with the run:
    no stack here builds images, so they change nothing (a debug line says so).
    """

    parent_image: str | None = None
    dockerfile: str | None = None
    build_context_root: str | None = None
    build_options: dict[str, Any] = {}
    parent_image_build_config: dict[str, Any] | None = None
    build_config: dict[str, Any] | None = None
    skip_build: bool = False
    prevent_build_reuse: bool = False
    target_repository: str | None = None
    python_package_installer: str = "pip"
    python_package_installer_args: dict[str, Any] = {}
    replicate_local_python_environment: Union[list[str], Literal["pip_freeze", "poetry_export"], None] = None
    requirements: Union[str, list[str], None] = None
    required_integrations: list[str] = []
    required_hub_plugins: list[str] = []
    install_stack_requirements: bool = True
    apt_packages: list[str] = []
    environment: dict[str, Any] = {}
    dockerignore: str | None = None
    copy_files: bool = True
    copy_global_config: bool = True
    user: str | None = None
    source_files: str | None = None
    allow_including_files_in_images: bool = True
    allow_download_from_code_repository: bool = True
    allow_download_from_artifact_store: bool = True


class LocalOrchestratorSettings(BaseSettings):
    """How the local orchestrator runs steps: ``max_workers=1`` keeps one step at a time."""

    max_workers: int = 1


class DaskOrchestratorSettings(BaseSettings):
    """How the Dask orchestrator submits a step (on a step: that step; on a pipeline or run
    configuration: every step, a step's own value winning key by key).

    ``resources`` are Dask worker resources, e.g. ``{"GPU": 1}``: the step runs only on a
    worker started with at least that much (``dask worker ... --resources "GPU=1"``); a step
    asking for a resource no connected worker offers fails with an error instead of
    waiting forever. ``priority``: when workers are busy, higher runs first.
    """

    resources: dict[str, float] = {}
    priority: int = 0


class MLFlowExperimentTrackerSettings(BaseSettings):
    """How a step logs to the stack's MLflow tracker (key ``"experiment_tracker.mlflow"``,
    ZenML's fields; on a pipeline: every tracked step, a step's own value winning key by key).

    ``experiment_name``: the MLflow experiment (default: the pipeline's name). ``nested``:
    the step gets an MLflow run of its own, nested under the run's (the default here, unlike
    ZenML's: two steps that autolog the same parameter names never collide); ``False`` logs
    into the run's MLflow run itself. ``tags``: added to the step's MLflow run (and, on the
    pipeline, to the run's).
    """

    experiment_name: str | None = None
    nested: bool = True
    tags: dict[str, Any] = {}


BUILTIN: dict[str, type[BaseSettings]] = {
    "docker": DockerSettings,
    "resources": ResourceSettings,
    "orchestrator.local": LocalOrchestratorSettings,
    "orchestrator.dask": DaskOrchestratorSettings,
    "experiment_tracker.mlflow": MLFlowExperimentTrackerSettings,
}
