"""The dashboard web app: read-only pages and ``/api`` JSON over one store.

Only ``GET`` (and ``HEAD``) are answered; any other method gets 405 before routing.
Static files come from a fixed list inside the package, never from a path. Names in URLs
are looked up in the store; nothing is mapped onto the file system.
"""

from __future__ import annotations

from typing import Any

from framework.client import Client
from framework.dashboard import pages as pages_mod
from framework.dashboard import views
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
COMPARE_CHOICES = 50  # runs offered as checkboxes on the compare page


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
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(ReadOnly)  # added last = outermost: nothing else sees a non-GET request
    return app


def _api_routes(app: Any, client: Client, not_found: Any) -> None:
    """``/api/...``: the dashboard's data as JSON."""
    from fastapi import Query

    @app.get("/api/pipelines")
    def api_pipelines() -> Any:
        return views.pipelines_summary(client)

    @app.get("/api/pipelines/{name:path}")  # pipeline names may contain "/"; never a file path
    def api_pipeline(name: str) -> Any:
        data = views.pipeline_detail(client, name)
        return data if data is not None else not_found("/api/", f"No pipeline named `{name}`.")

    @app.get("/api/trials")
    def api_trials(pipeline: str, x: str | None = None, y: str | None = None) -> Any:
        data = views.trials(client, pipeline, x, y)
        return data if data is not None else not_found("/api/", f"No pipeline named `{pipeline}`.")

    @app.get("/api/runs/{name}")
    def api_run(name: str) -> Any:
        data = views.run_detail(client, name)
        return data if data is not None else not_found("/api/", f"No run named `{name}`.")

    @app.get("/api/runs/{name}/steps/{step}")
    def api_step(name: str, step: str) -> Any:
        data = views.step_detail(client, name, step)
        return data if data is not None else not_found("/api/", f"No step `{step}` in run `{name}`.")

    @app.get("/api/compare")
    def api_compare(runs: list[str] = Query(default=[])) -> Any:
        data = views.compare(client, runs)
        return data if data is not None else not_found("/api/", "Unknown run among " + ", ".join(runs))


def _page_routes(app: Any, client: Client, html: pages_mod.Pages, not_found: Any) -> None:
    """The HTML pages and their static files."""
    from fastapi import Query
    from fastapi.responses import HTMLResponse, Response

    @app.get("/", response_class=HTMLResponse)
    def page_pipelines() -> Any:
        return HTMLResponse(html.pipelines(views.pipelines_summary(client)))

    @app.get("/pipelines/{name:path}", response_class=HTMLResponse)
    def page_pipeline(name: str) -> Any:
        data = views.pipeline_detail(client, name)
        if data is None:
            return not_found("/", f"No pipeline named `{name}` in this store.")
        return HTMLResponse(html.pipeline(data))

    @app.get("/runs/{name}", response_class=HTMLResponse)
    def page_run(name: str) -> Any:
        data = views.run_detail(client, name)
        if data is None:
            return not_found("/", f"No run named `{name}` in this store.")
        return HTMLResponse(html.run(data))

    @app.get("/runs/{name}/steps/{step}", response_class=HTMLResponse)
    def page_step(name: str, step: str) -> Any:
        data = views.run_detail(client, name)
        detail = views.step_detail(client, name, step) if data is not None else None
        if detail is None:
            return not_found("/", f"No step `{step}` in run `{name}`.")
        return HTMLResponse(html.run(data, detail))

    @app.get("/compare", response_class=HTMLResponse)
    def page_compare(pipeline: str | None = None, runs: list[str] = Query(default=[]),
                     x: str | None = None, y: str | None = None) -> Any:
        return compare_page(html, client, pipeline, runs, x, y)

    @app.get("/static/{name}")
    def static_file(name: str) -> Any:
        body = pages_mod.static_bytes(name)
        if body is None:
            return not_found("/", "There is no such file.")
        return Response(body, media_type=pages_mod.STATIC_FILES[name],
                        headers={"Cache-Control": "no-cache"})


def compare_page(html: pages_mod.Pages, client: Client, pipeline: str | None, runs: list[str],
                 x: str | None = None, y: str | None = None) -> Any:
    """The compare page (also used by the export): a 404 page for unknown names."""
    from fastapi.responses import HTMLResponse

    body, status = compare_html(html, client, pipeline, runs, x, y)
    return HTMLResponse(body, status_code=status)


def compare_html(html: pages_mod.Pages, client: Client, pipeline: str | None, runs: list[str],
                 x: str | None = None, y: str | None = None) -> tuple[str, int]:
    runs = list(dict.fromkeys(runs))  # keep order, drop repeats
    if pipeline is None and runs:
        try:
            pipeline = client.get_run(runs[0]).pipeline_name
        except KeyError:
            return html.not_found(f"No run named `{runs[0]}` in this store."), 404
    if pipeline is None:
        return html.not_found("Choose a pipeline to compare its runs (open it from the pipelines page)."), 404
    found = client.get_pipeline(pipeline)
    if found is None:
        return html.not_found(f"No pipeline named `{pipeline}` in this store."), 404
    names = [r.name for r in client.list_runs(pipeline_name=pipeline) if not r.unlisted]
    if len(runs) < 2:  # a lone run is compared with the newest others
        runs = runs + [n for n in names if n not in runs][: views.COMPARE_DEFAULT_RUNS - len(runs)]
    table = views.compare(client, runs) if runs else None
    if table is None and runs:
        return html.not_found("Unknown run among: " + ", ".join(runs)), 404
    choices = [{"name": r.name, "status": r.status, "checked": r.name in runs}
               for r in client.list_runs(pipeline_name=pipeline, limit=COMPARE_CHOICES) if r.name in names]
    for extra in runs:  # selected runs older than the newest 50 stay listed
        if extra not in [c["name"] for c in choices]:
            choices.append({"name": extra, "status": client.get_run(extra).status, "checked": True})
    return html.compare(table, views.trials(client, pipeline, x, y), choices), 200
