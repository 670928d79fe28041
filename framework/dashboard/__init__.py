"""A read-only web dashboard over the store: pipelines, runs, their graphs, runs compared.

``create_app(client)`` builds the ASGI app (FastAPI, imported only then);
``export_site(dir)`` writes a static snapshot. ``framework dashboard`` serves it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "export_site"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    from framework.dashboard.app import create_app as _create_app

    return _create_app(*args, **kwargs)


def export_site(*args: Any, **kwargs: Any) -> Any:
    from framework.dashboard.export import export_site as _export_site

    return _export_site(*args, **kwargs)
