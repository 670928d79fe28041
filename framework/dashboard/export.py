"""``framework dashboard export DIR``: every page rendered to files with relative links.

The snapshot needs no server: the CSS and the dashboard's script are inlined, the charting
library is one shared file under ``static/``, links point at sibling ``.html`` files, and
file names are slugs of the names (plus a short hash), never the names. Lists are split
into the same pages as on the server (``<slug>.p2.html``, …); searching and filtering by
tag need the server (tags are shown, not linked). What pages link to beyond pages — whole
values and notes, logs, artifact files — is written as the pages ask for it (``Links``
records each such link), so no link of the snapshot is dead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from framework.client import Client
from framework.dashboard import artifact_views, views
from framework.dashboard.app import compare_html
from framework.dashboard.pages import SHARED_FILES, Links, Pages, static_bytes
from framework.io.atomic import atomic_write

COPY_MAX_BYTES = 10_000_000  # artifact files copied into the snapshot; larger ones get a note


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []

    def __call__(self, relative: str, data: str | bytes) -> None:
        path = self.root / relative
        atomic_write(path, data, fsync=False)  # a snapshot: whole files, no durability needed
        self.written.append(path)


def export_site(out_dir: str | os.PathLike[str], client: Client | None = None) -> list[Path]:
    """Write the snapshot below ``out_dir`` (created if needed); return the files written."""
    client = client or Client(read_only=True)
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    pages = Pages(static=True)
    links = Links(static=True, depth=0)
    write = _Writer(root)
    for name in SHARED_FILES:
        write(f"static/{name}", static_bytes(name))
    queue: list[str] = []
    number, more = 1, True
    while more:
        listing = views.pipelines_page(client, page=number)
        write(links.home(number), pages.pipelines(listing))
        for pipeline in listing["pipelines"]:
            queue.extend(_pipeline(client, pages, write, pipeline["name"]))
        more, number = listing["page"]["has_next"], number + 1
    done: set[str] = set()
    while queue:  # runs, their steps, and the runs their cached steps came from
        name = queue.pop()
        if name not in done:
            done.add(name)
            queue.extend(_run(client, pages, write, name))
    _linked_files(client, pages.wanted, write)
    return write.written


def _pipeline(client: Client, pages: Pages, write: _Writer, name: str) -> list[str]:
    """Every page of one pipeline's runs, and its compare page; the runs listed."""
    links = Links(static=True, depth=0)
    runs: list[str] = []
    number, more = 1, True
    while more:
        detail = views.pipeline_detail(client, name, page=number)
        if detail is None:
            return runs
        write(links.pipeline(name, number), pages.pipeline(detail))
        runs.extend(r["name"] for r in detail["runs"])
        more, number = detail["page"]["has_next"], number + 1
    body, _status = compare_html(pages, client, name, [])
    write(links.compare(name), body)
    return runs


def _run(client: Client, pages: Pages, write: _Writer, name: str) -> list[str]:
    """A run's pages (one per page of its steps), its steps' pages and its outputs' pages;
    the runs its cached steps came from."""
    links = Links(static=True, depth=0)
    run = views.run_detail(client, name, page=1)
    if run is None:
        return []
    last = run["steps_page"]["last"] or 1
    write(links.run(name), pages.run(run))
    for number in range(2, last + 1):
        write(links.run(name, number), pages.run(views.run_detail(client, name, page=number)))
    origins = []
    view = client.get_run(name)
    for key in view.steps:
        detail = artifact_views.step_detail(client, name, key, view)
        if detail is None:
            continue
        write(links.step(name, key), pages.run(views.run_detail(client, name, selected=key, run=view), detail))
        for output in detail["outputs"]:
            if not output.get("missing"):
                page = artifact_views.artifact_detail(client, name, key, output["name"])
                write(links.output(name, key, output["name"]), pages.output(page))
        if (detail.get("cached_from") or {}).get("run"):
            origins.append(detail["cached_from"]["run"])
    return origins


def _linked_files(client: Client, wanted: dict[str, set], write: _Writer) -> None:
    """The whole values, pipeline notes, logs and artifact files the pages link to."""
    links = Links(static=True, depth=0)
    for run, key in sorted(wanted["values"]):
        text = views.full_value(client, run, key)
        write(links.value(run, key), text if text is not None else "(this value is no longer in the store)")
    for pipeline in sorted(wanted["notes"]):
        text = views.pipeline_notes(client, pipeline)
        write(links.pipeline_notes(pipeline), text if text is not None else "(these notes are no longer in the store)")
    for run, step in sorted(wanted["logs"]):
        try:
            text = client.get_run(run).steps[step].logs or ""
        except Exception as exc:  # noqa: BLE001 - a missing log is noted, not fatal
            text = f"(logs unavailable: {type(exc).__name__}: {exc})"
        write(links.logs(run, step), text)
    for run, step, output, file_name in sorted(wanted["files"]):
        write(links.download(run, step, output, file_name), _file(client, run, step, output))


def _file(client: Client, run: str, step: str, output: str) -> Any:
    try:
        artifact = client.get_run(run).steps[step].outputs[output]
        if isinstance(artifact.size, int) and artifact.size <= COPY_MAX_BYTES:
            return artifact.read_bytes()
        return (f"This artifact ({artifact.size} bytes) was not copied into the snapshot; download it from "
                f"the live dashboard or with `framework artifacts export`.\n")
    except Exception as exc:  # noqa: BLE001 - a damaged artifact is noted, not fatal
        return f"(artifact unavailable: {type(exc).__name__}: {exc})\n"
