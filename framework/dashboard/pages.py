"""HTML pages: Jinja2 templates (autoescaped) over the dicts of the view modules, plus the SVGs.

One renderer serves the live app (absolute links, assets under ``/static/``) and the static
export (relative links to ``.html`` files; the CSS and the small script inlined, the
charting library one shared file beside the pages).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from importlib import resources
from typing import Any, Iterable
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from framework.dashboard import dag, plot

STATIC_FILES = {
    "dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml", "echarts.min.js": "text/javascript; charset=utf-8",
    "echarts.LICENSE.txt": "text/plain; charset=utf-8", "echarts.NOTICE.txt": "text/plain; charset=utf-8",
    "echarts.LICENSE-d3.txt": "text/plain; charset=utf-8",
}
SHARED_FILES = ("echarts.min.js", "echarts.LICENSE.txt", "echarts.NOTICE.txt", "echarts.LICENSE-d3.txt")
_PACKAGE = resources.files("framework.dashboard")


def static_bytes(name: str) -> bytes | None:
    """One of the package's own static files by its exact name, else ``None`` (never a path)."""
    if name not in STATIC_FILES:
        return None
    return _PACKAGE.joinpath("static", name).read_bytes()


def slug(*parts: str) -> str:
    """A file-name-safe, collision-free stand-in for user-given names (export file names)."""
    readable = "--".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p).strip("._")[:48] for p in parts)
    digest = hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()[:8]
    return f"{readable or 'x'}-{digest}"


class Links:
    """Where each page lives: ``/runs/<name>`` on the server, ``runs/<slug>.html`` in an export.

    Pages of a list are ``?page=N`` on the server and ``<slug>.pN.html`` in an export (which
    has no search: there is no server to ask)."""

    def __init__(self, static: bool = False, depth: int = 0, wanted: dict[str, set] | None = None) -> None:
        self.static = static
        self.up = "../" * depth
        self.wanted = wanted  # an export's record of the files its pages link to

    def _page(self, folder: str, key: str, page: int = 1, **query: Any) -> str:
        if self.static:
            return f"{self.up}{folder}/{slug(key)}{f'.p{page}' if page > 1 else ''}.html"
        params = [(k, v) for k, v in query.items() if v] + ([("page", page)] if page > 1 else [])
        return f"/{folder}/{quote(key, safe='')}" + (f"?{urlencode(params)}" if params else "")

    def home(self, page: int = 1, q: str | None = None) -> str:
        if self.static:
            return f"{self.up}index{f'.p{page}' if page > 1 else ''}.html"
        params = [(k, v) for k, v in (("q", q), ("page", page if page > 1 else None)) if v]
        return "/" + (f"?{urlencode(params)}" if params else "")

    def pipeline(self, name: str, page: int = 1, q: str | None = None, status: str | None = None,
                 tag: str | None = None) -> str:
        return self._page("pipelines", name, page, q=q, status=status, tag=tag)

    def tagged(self, pipeline: str, tag: str, q: str | None = None, status: str | None = None) -> str | None:
        """The pipeline's runs with ``tag`` (other filters kept, first page); None in an
        export, which has no server to filter."""
        return None if self.static else self.pipeline(pipeline, 1, q, status, tag)

    def pipeline_notes(self, name: str) -> str:
        """All of a pipeline's notes (plain text)."""
        if self.static and self.wanted is not None:
            self.wanted["notes"].add(name)
        if self.static:
            return f"{self.up}notes/{slug(name)}.txt"
        return "/notes?" + urlencode([("pipeline", name)])

    def run(self, name: str, page: int = 1, q: str | None = None) -> str:
        return self._page("runs", name, page, q=q)

    def step(self, run: str, key: str) -> str:
        if self.static:
            return f"{self.up}steps/{slug(run, key)}.html"
        return f"/runs/{quote(run, safe='')}/steps/{quote(key, safe='')}"

    def output(self, run: str, step: str, output: str) -> str:
        if self.static:
            return f"{self.up}outputs/{slug(run, step, output)}.html"
        return f"/runs/{quote(run, safe='')}/steps/{quote(step, safe='')}/outputs/{quote(output, safe='')}"

    def download(self, run: str, step: str, output: str, file_name: str = "") -> str:
        if self.static and self.wanted is not None:
            self.wanted["files"].add((run, step, output, file_name))
        if self.static:
            return f"{self.up}files/{slug(run, step, output)}{re.sub(r'^[^.]*', '', file_name)}"
        return self.output(run, step, output) + "/download"

    def value(self, run: str, key: str) -> str:
        """The whole of a value a cell clipped (plain text)."""
        if self.static and self.wanted is not None:
            self.wanted["values"].add((run, key))
        if self.static:
            return f"{self.up}values/{slug(run, key)}.txt"
        return f"/runs/{quote(run, safe='')}/values?{urlencode([('key', key)])}"

    def logs(self, run: str, step: str) -> str:
        if self.static and self.wanted is not None:
            self.wanted["logs"].add((run, step))
        if self.static:
            return f"{self.up}logs/{slug(run, step)}.txt"
        return f"/runs/{quote(run, safe='')}/steps/{quote(step, safe='')}/logs"

    def compare(self, pipeline: str, runs: Iterable[str] = (), x: str | None = None, y: str | None = None,
                page: int = 1, q: str | None = None) -> str:
        if self.static:
            return self._page("compare", pipeline)
        query = [("pipeline", pipeline)] + [("runs", r) for r in runs]
        query += [(k, v) for k, v in (("x", x), ("y", y), ("q", q)) if v]
        query += [("page", page)] if page > 1 else []
        return "/compare?" + urlencode(query)

    def page_of(self, target: dict[str, Any], number: int) -> str:
        """Page ``number`` of the list ``target`` names (``kind``: home, pipeline, run,
        versions, compare; with its ``name`` and search)."""
        kind, name, q = target["kind"], target.get("name", ""), target.get("q")
        if kind == "home":
            return self.home(number, q)
        if kind == "pipeline":
            return self.pipeline(name, number, q, target.get("status"), target.get("tag"))
        if kind == "versions":
            return self._page("pipelines", name, 1, vpage=number if number > 1 else None)
        if kind == "compare":
            return self.compare(name, target.get("runs", ()), target.get("x"), target.get("y"), number, q)
        return self.run(name, number, q)

    def api_run(self, name: str) -> str:
        return f"/api/runs/{quote(name, safe='')}"

    def asset(self, name: str) -> str:
        return f"{self.up}static/{name}" if self.static else f"/static/{name}"


# ---------------------------------------------------------------- filters
def fmt_duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {sec:02d}s"


def fmt_time(value: Any) -> str:
    if not isinstance(value, str):
        return "—"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return value


def fmt_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "…"


def fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


_ENV: Environment | None = None


def environment() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=FileSystemLoader(str(_PACKAGE.joinpath("templates"))),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True, lstrip_blocks=True,
        )
        env.filters.update(duration=fmt_duration, when=fmt_time, value=fmt_value, number=fmt_number)
        _ENV = env
    return _ENV


# ---------------------------------------------------------------- SVGs
def dag_svg(run: dict[str, Any], links: Links, selected: str | None = None) -> Markup:
    nodes = []
    for node in run["graph"]["nodes"]:
        origin = node.get("cached_from") or {}
        origin_href = None
        if origin.get("run"):
            origin_href = links.step(origin["run"], origin["step"]) if origin.get("step") else links.run(origin["run"])
        nodes.append(dag.DagNode(
            id=node["id"], label=node["label"], status=node["status"],
            href=links.step(run["name"], node["step"]) if node.get("step") else None,
            cached_from_href=origin_href, cached_from_label=origin.get("run"),
            selected=bool(selected) and node.get("step") == selected, group=tuple(node.get("group") or ()),
        ))
    return Markup(dag.render_dag(nodes, [tuple(e) for e in run["graph"]["edges"]]))  # escaped in dag.py


def trials_svg(data: dict[str, Any], links: Links) -> Markup:
    points = [plot.Point(p["x"], p["y"], p["run"], links.run(p["run"]), p["status"]) for p in data["points"]]
    return Markup(plot.scatter_svg(points, data["x"] or "", data["y"] or ""))  # escaped in plot.py


# ---------------------------------------------------------------- pages
class Pages:
    """Renders every page; ``static=True`` for the export (relative links, inlined assets)."""

    def __init__(self, static: bool = False, store: str | None = None) -> None:
        self.static = static
        self.store = store
        self.wanted: dict[str, set] = {"values": set(), "logs": set(), "files": set(), "notes": set()}
        self._assets = None
        if static:
            self._assets = {name: static_bytes(name).decode("utf-8") for name in ("dashboard.css", "dashboard.js")}

    def render(self, template: str, depth: int = 0, **context: Any) -> str:
        links = Links(self.static, depth, self.wanted)
        return environment().get_template(template).render(
            links=links, static=self.static, assets=self._assets, store=self.store, **context
        )

    def pipelines(self, data: dict[str, Any]) -> str:
        return self.render("pipelines.html", 0, pipelines=data["pipelines"], page=data["page"])

    def pipeline(self, data: dict[str, Any]) -> str:
        return self.render("pipeline.html", 1, pipeline=data)

    def run(self, data: dict[str, Any], step: dict[str, Any] | None = None) -> str:
        links = Links(self.static, 1, self.wanted)
        svg = dag_svg(data, links, step["key"] if step else None)
        return self.render("run.html", 1, run=data, step=step, dag=svg)

    def output(self, data: dict[str, Any]) -> str:
        return self.render("output.html", 1, out=data)

    def compare(self, table: dict[str, Any] | None, trial_data: dict[str, Any] | None,
                choices: dict[str, Any] | None, pipeline: str | None = None) -> str:
        links = Links(self.static, 1)
        svg = trials_svg(trial_data, links) if trial_data else None
        return self.render("compare.html", 1, table=table, trials=trial_data, plot=svg,
                           choices=choices, pipeline=pipeline or (trial_data or {}).get("pipeline", ""))

    def not_found(self, message: str) -> str:
        return self.render("not_found.html", 0, message=message)
