"""The dashboard web app: read-only pages and ``/api`` JSON over one store.

Only ``GET`` (and ``HEAD``) are answered; any other method gets 405 before routing.
Static files come from a fixed list inside the package, never from a path. Names in URLs
are looked up in the store; nothing is mapped onto the file system. Every list takes
``page`` (and, where the store can answer it cheaply, ``q``: a name search; a pipeline's
runs also ``status`` and ``tag``).
"""

from __future__ import annotations

from typing import Any

from framework.client import Client
from framework.dashboard import artifact_views, compare_views, views
from framework.dashboard import pages as pages_mod
from framework.dashboard.paging import page_number, search_text, tag_text
from framework.exceptions import ArtifactError
from framework.stacks import Stack

SAFE_METHODS = ("GET", "HEAD")
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


class ReadOnly:
    """ASGI middleware: 405 for every method but GET/HEAD, and safety headers on every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in _HEADERS.items()]
        head = scope["method"] == "HEAD"
        if head:  # answered as GET without the body
            scope = dict(scope, method="GET")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + extra
            elif head and message["type"] == "http.response.body":
                message = dict(message, body=b"")
            await send(message)

        if scope["method"] not in SAFE_METHODS:
            body = b'{"detail":"This dashboard is read-only: only GET is allowed."}'
            await send_with_headers({"type": "http.response.start", "status": 405, "headers": [
                (b"content-type", b"application/json"), (b"allow", b"GET, HEAD"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)


def create_app(client: Client | None = None, *, stack: Stack | None = None,
               allowed_hosts: list[str] | None = None) -> Any:
    """A FastAPI app over ``client`` (default: a ``Client`` of ``stack`` or the active stack).

    ``allowed_hosts``: Host header values to accept (the CLI passes the loopback names
    when bound to loopback, which keeps DNS-rebinding pages away); ``None`` accepts any.
    """
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    client = client or Client(stack, read_only=True)
    html = pages_mod.Pages(static=False, store=str(client.stack.home))
    app = FastAPI(title="framework dashboard", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.client = client

    def not_found(request_path: str, message: str) -> Response:
        if request_path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=404)
        return HTMLResponse(html.not_found(message), status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Any, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return not_found(request.url.path, "There is no page here.")
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    _api_routes(app, client, not_found)
    _page_routes(app, client, html, not_found)
    _file_routes(app, client, not_found)
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(ReadOnly)  # added last = outermost: nothing else sees a non-GET request
    return app


def _api_routes(app: Any, client: Client, not_found: Any) -> None:
    """``/api/...``: the dashboard's data as JSON (lists paged as on the pages)."""
    from fastapi import Query

    @app.get("/api/pipelines")
    def api_pipelines(q: str | None = None, page: str | None = None) -> Any:
        return views.pipelines_page(client, search_text(q), page_number(page))["pipelines"]

    @app.get("/api/pipelines/{name:path}")  # pipeline names may contain "/"; never a file path
    def api_pipeline(name: str, q: str | None = None, status: str | None = None, page: str | None = None,
                     tag: str | None = None) -> Any:
        data = views.pipeline_detail(client, name, search_text(q), status, page_number(page), tag=tag_text(tag))
        return data if data is not None else not_found("/api/", f"No pipeline named `{name}`.")

    @app.get("/api/trials")
    def api_trials(pipeline: str, x: str | None = None, y: str | None = None, window: str | None = None) -> Any:
        data = compare_views.trials(client, pipeline, x, y, page_number(window or compare_views.WINDOW))
        return data if data is not None else not_found("/api/", f"No pipeline named `{pipeline}`.")

    @app.get("/api/runs/{name}")
    def api_run(name: str, q: str | None = None, page: str | None = None) -> Any:
        data = views.run_detail(client, name, search_text(q), page_number(page) if page else None)
        return data if data is not None else not_found("/api/", f"No run named `{name}`.")

    @app.get("/api/runs/{name}/steps/{step}")
    def api_step(name: str, step: str) -> Any:
        data = artifact_views.step_detail(client, name, step)
        return data if data is not None else not_found("/api/", f"No step `{step}` in run `{name}`.")

    @app.get("/api/compare")
    def api_compare(runs: list[str] = Query(default=[])) -> Any:
        data = compare_views.compare(client, runs)
        return data if data is not None else not_found("/api/", "Unknown run among " + ", ".join(runs))


def _page_routes(app: Any, client: Client, html: pages_mod.Pages, not_found: Any) -> None:
    """The HTML pages and their static files."""
    from fastapi import Query
    from fastapi.responses import HTMLResponse, Response

    @app.get("/", response_class=HTMLResponse)
    def page_pipelines(q: str | None = None, page: str | None = None) -> Any:
        return HTMLResponse(html.pipelines(views.pipelines_page(client, search_text(q), page_number(page))))

    @app.get("/pipelines/{name:path}", response_class=HTMLResponse)
    def page_pipeline(name: str, q: str | None = None, status: str | None = None, page: str | None = None,
                      vpage: str | None = None, tag: str | None = None) -> Any:
        data = views.pipeline_detail(client, name, search_text(q), status, page_number(page), page_number(vpage),
                                     tag_text(tag))
        if data is None:
            return not_found("/", f"No pipeline named `{name}` in this store.")
        return HTMLResponse(html.pipeline(data))

    @app.get("/runs/{name}", response_class=HTMLResponse)
    def page_run(name: str, q: str | None = None, page: str | None = None) -> Any:
        data = views.run_detail(client, name, search_text(q), page_number(page))
        if data is None:
            return not_found("/", f"No run named `{name}` in this store.")
        return HTMLResponse(html.run(data))

    @app.get("/runs/{name}/steps/{step}", response_class=HTMLResponse)
    def page_step(name: str, step: str, q: str | None = None, page: str | None = None) -> Any:
        try:
            run = client.get_run(name)  # read once for the panel and the graph
        except KeyError:
            return not_found("/", f"No run named `{name}` in this store.")
        detail = artifact_views.step_detail(client, name, step, run)
        data = views.run_detail(client, name, search_text(q), page_number(page) if page else None,
                                selected=detail["key"] if detail else None, run=run)
        if data is None or detail is None:
            return not_found("/", f"No step `{step}` in run `{name}`.")
        return HTMLResponse(html.run(data, detail))

    @app.get("/runs/{name}/steps/{step}/outputs/{output}", response_class=HTMLResponse)
    def page_output(name: str, step: str, output: str) -> Any:
        data = artifact_views.artifact_detail(client, name, step, output)
        if data is None:
            return not_found("/", f"No output `{output}` of step `{step}` in run `{name}`.")
        return HTMLResponse(html.output(data))

    @app.get("/compare", response_class=HTMLResponse)
    def page_compare(pipeline: str | None = None, runs: list[str] = Query(default=[]), x: str | None = None,
                     y: str | None = None, q: str | None = None, page: str | None = None) -> Any:
        body, status = compare_html(html, client, pipeline, runs, x, y, search_text(q), page_number(page))
        return HTMLResponse(body, status_code=status)

    @app.get("/favicon.ico")  # browsers ask for it on pages without a <link rel=icon> (plain text)
    def favicon() -> Any:
        return Response(pages_mod.static_bytes("favicon.svg"), media_type="image/svg+xml")

    @app.get("/static/{name}")
    def static_file(name: str) -> Any:
        body = pages_mod.static_bytes(name)
        if body is None:
            return not_found("/", "There is no such file.")
        return Response(body, media_type=pages_mod.STATIC_FILES[name], headers={"Cache-Control": "no-cache"})


def _file_routes(app: Any, client: Client, not_found: Any) -> None:
    """Whole values, notes, logs and artifact files: plain text or bytes, never rendered as HTML."""
    from fastapi.responses import PlainTextResponse, Response

    @app.get("/runs/{name}/values")
    def full_value(name: str, key: str = "") -> Any:
        text = views.full_value(client, name, key)
        if text is None:
            return not_found("/", f"No value `{key}` in run `{name}`.")
        return PlainTextResponse(text)

    @app.get("/notes")  # a query parameter, not a path: pipeline names may contain "/"
    def pipeline_notes(pipeline: str = "") -> Any:
        text = views.pipeline_notes(client, pipeline)
        if text is None:
            return not_found("/", f"No notes of a pipeline named `{pipeline}`.")
        return PlainTextResponse(text)

    @app.get("/runs/{name}/steps/{step}/logs")
    def step_logs(name: str, step: str) -> Any:
        try:
            text = client.get_run(name).steps[step].logs
        except (KeyError, AttributeError):
            return not_found("/", f"No logs of step `{step}` in run `{name}`.")
        return PlainTextResponse(text or "")

    @app.get("/runs/{name}/steps/{step}/outputs/{output}/download")
    def download(name: str, step: str, output: str) -> Any:
        try:
            found = artifact_views.artifact_bytes(client, name, step, output)
        except ArtifactError as exc:  # missing or altered: say so, serve nothing
            return PlainTextResponse(str(exc), status_code=409)
        if found is None:
            return not_found("/", f"No downloadable output `{output}` of step `{step}` in run `{name}`.")
        body, file_name = found
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in file_name) or "artifact.bin"
        return Response(body, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def compare_html(html: pages_mod.Pages, client: Client, pipeline: str | None, runs: list[str],
                 x: str | None = None, y: str | None = None, query: str | None = None,
                 page: int = 1) -> tuple[str, int]:
    """The compare page (also used by the export), or a not-found page, with its status."""
    runs = list(dict.fromkeys(runs))  # keep order, drop repeats
    if pipeline is None and runs:
        try:
            pipeline = client.get_run(runs[0]).pipeline_name
        except KeyError:
            return html.not_found(f"No run named `{runs[0]}` in this store."), 404
    if pipeline is None:
        return html.not_found("Choose a pipeline to compare its runs (open it from the pipelines page)."), 404
    if client.get_pipeline(pipeline) is None:
        return html.not_found(f"No pipeline named `{pipeline}` in this store."), 404
    if len(runs) < 2:  # a lone run is compared with the newest others
        newest = [r.name for r in client.list_runs(pipeline, limit=compare_views.DEFAULT_RUNS + 1)]
        runs = runs + [n for n in newest if n not in runs][: compare_views.DEFAULT_RUNS - len(runs)]
    table = compare_views.compare(client, runs) if runs else None
    if table is None and runs:
        return html.not_found("Unknown run among: " + ", ".join(runs)), 404
    choices = None if html.static else compare_views.choices(client, pipeline, runs, query, page)
    return html.compare(table, compare_views.trials(client, pipeline, x, y), choices, pipeline), 200
