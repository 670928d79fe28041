"""framework: ML pipelines as plain Python, with cached runs and artifacts you can read back.

The short form of the function API: ``from framework import step, pipeline, Client``.
Importing this package is cheap and has no side effects: names load on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "step": ("framework.steps", "step"),
    "BaseStep": ("framework.steps", "BaseStep"),
    "BaseParameters": ("framework.steps", "BaseParameters"),
    "Output": ("framework.steps", "Output"),
    "pipeline": ("framework.pipelines.new", "pipeline"),
    "Client": ("framework.client", "Client"),
    "log_metadata": ("framework.client", "log_metadata"),
    "get_step_context": ("framework.steps.context", "get_step_context"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'framework' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
