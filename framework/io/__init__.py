"""File helpers every layer may use: ``atomic`` (the one atomic replace and temp-file sweep)
and ``fileio`` (the legacy file functions: ``from framework.io import fileio``).

Kept tiny on purpose: every part of the framework may import this package, so it
imports nothing; submodules load on first use (``framework.io.fileio`` also as an
attribute, for code that writes ``import framework.io`` then ``framework.io.fileio``).
"""

from typing import Any

__all__ = ["fileio"]


def __getattr__(name: str) -> Any:
    if name == "fileio":
        import importlib

        return importlib.import_module("framework.io.fileio")
    raise AttributeError(f"module 'framework.io' has no attribute {name!r}")
