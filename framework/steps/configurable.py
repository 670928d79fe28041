"""What steps and pipelines (classes and instances) both answer from their options.

A stdlib-only leaf, so importing steps and pipelines does not import the options module
(attrs) before a step is configured.
"""

from __future__ import annotations


class Configurable:
    """Its name (the ``name`` option, else the class name) and its cache switch. Owners keep
    their options in ``_options`` per instance and ``_class_options`` per class."""

    @property
    def name(self) -> str:
        options = self.__dict__.get("_options") or type(self)._class_options
        return (options.name if options is not None else None) or type(self).__name__

    @property
    def enable_cache(self) -> bool | None:
        return self._options.enable_cache
