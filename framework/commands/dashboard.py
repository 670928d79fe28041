"""``framework dashboard [--host H] [--port N]`` serves the read-only web dashboard;
``framework dashboard export DIR`` writes it as static HTML files.

Loopback only unless ``--host`` says otherwise (then a warning: there is no login).
FastAPI and uvicorn are imported only when the command runs.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8237
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
_EXTRA_HINT = "The dashboard needs its extra: pip install 'framework[dashboard]'"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"  # reachable locally; other machines use this host's address
    return f"http://{shown}:{port}/"


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: any free port); one-line error if taken."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise click.ClickException(f"Cannot resolve host `{host}`: {error.strerror}.") from None
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise click.ClickException(
            f"Cannot listen on {host}:{port}: {error.strerror}. Choose another port with --port."
        ) from None
    return sock


@click.group(invoke_without_command=True)
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Anything but loopback exposes the store to the network.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.pass_context
def dashboard(ctx: click.Context, host: str, port: int) -> None:
    """Serve a read-only web dashboard: pipelines, runs, each run's graph with its cached
    steps, step outputs, and runs compared as trials. Prints the URL; Ctrl+C stops it.

    `framework dashboard export DIR` writes the same pages as static files instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        import uvicorn

        from framework.dashboard.app import create_app
    except ImportError:
        raise click.ClickException(_EXTRA_HINT) from None
    from framework.client import Client

    loopback = is_loopback(host)
    if not loopback:
        click.echo(
            f"Warning: listening on {host} makes every run's names, parameters, errors and "
            "artifact previews readable by anyone who can reach this address; the dashboard "
            "has no login. Use the default --host 127.0.0.1 to keep it on this machine.",
            err=True,
        )
    client = Client(read_only=True)
    app = create_app(client, allowed_hosts=LOOPBACK_NAMES if loopback else None)
    sock = bind(host, port)
    url = url_for(host, sock.getsockname()[1])
    click.echo(f"Dashboard (read-only) for the store at {client.stack.home}")
    click.echo(f"Open {url}  (Ctrl+C to stop)")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@dashboard.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write every page as static HTML below DIRECTORY (relative links, CSS inlined), to share
    without a server. Open DIRECTORY/index.html in a browser."""
    try:
        from framework.dashboard.export import export_site
    except ImportError:
        raise click.ClickException(_EXTRA_HINT) from None
    files = export_site(directory)
    click.echo(f"Wrote {len(files)} pages to {directory}; open {directory / 'index.html'}")
