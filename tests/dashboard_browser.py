"""Fixtures of the browser tests: a real uvicorn server, headless Chromium driven by Playwright.

Outside CI the tests skip (saying why) when Chromium or Playwright is missing. In CI
(``CI`` set) as root with apt-get, ``.ci/run`` installs Chromium, so there they must run
and a missing browser fails them. Screenshots go to ``$DASHBOARD_SCREENSHOTS`` if set,
else to the test's temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from framework import Client, stacks

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-breakpad"]


def _missing() -> str | None:
    for module in ("playwright", "fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            return f"the `{module}` package is not installed (pip install -e '.[dev]')"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (install the `chromium` system package)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CI") and os.geteuid() == 0 and shutil.which("apt-get"):
            pytest.fail(f"browser tests must run in CI (.ci/run installs Chromium), but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    own_home = tmp_path_factory.mktemp("chromium-home")  # Chromium writes its profile and caches there
    env = {**os.environ, "HOME": str(own_home), "XDG_CONFIG_HOME": str(own_home / "config"),
           "XDG_CACHE_HOME": str(own_home / "cache")}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env=env)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # two cores shared with other work: be patient, not flaky
    errors: list[str] = []  # script errors and Content-Security-Policy violations
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def serving(home: Path) -> Iterator[str]:
    """The dashboard of the store in ``home`` on a free loopback port, in a thread."""
    import uvicorn

    from framework.dashboard import create_app

    app = create_app(Client(stacks.default_stack(home)), allowed_hosts=["127.0.0.1", "localhost"])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
