"""``framework dashboard export DIR``: every page rendered to files with relative links.

The snapshot needs no server: CSS and JS are inlined, links point at sibling ``.html``
files, and file names are slugs of the names (plus a short hash), never the names.
"""

from __future__ import annotations

import os
from pathlib import Path

from framework.client import Client
from framework.dashboard import views
from framework.dashboard.app import compare_html
from framework.dashboard.pages import Links, Pages
from framework.io.atomic import atomic_write


def export_site(out_dir: str | os.PathLike[str], client: Client | None = None) -> list[Path]:
    """Write the snapshot below ``out_dir`` (created if needed); return the files written."""
    client = client or Client(read_only=True)
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    pages = Pages(static=True)
    links = Links(static=True, depth=0)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = root / relative
        atomic_write(path, text, fsync=False)  # a snapshot: whole pages, no durability needed
        written.append(path)

    summary = views.pipelines_summary(client)
    write(links.home(), pages.pipelines(summary))
    queue: list[str] = []
    for pipeline in summary:
        detail = views.pipeline_detail(client, pipeline["name"])
        if detail is None:
            continue
        write(links.pipeline(pipeline["name"]), pages.pipeline(detail))
        body, _status = compare_html(pages, client, pipeline["name"], [])
        write(links.compare(pipeline["name"]), body)
        queue.extend(run["name"] for run in detail["runs"])
    done: set[str] = set()
    while queue:  # runs, their steps, and the runs their cached steps came from
        name = queue.pop(0)
        if name in done:
            continue
        done.add(name)
        run = views.run_detail(client, name)
        if run is None:
            continue
        write(links.run(name), pages.run(run))
        for step in run["steps"]:
            detail = views.step_detail(client, name, step["key"])
            if detail is not None:
                write(links.step(name, step["key"]), pages.run(run, detail))
            origin = step.get("cached_from") or {}
            if origin.get("run"):
                queue.append(origin["run"])
    return written
