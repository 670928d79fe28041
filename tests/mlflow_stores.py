"""Real MLflow stores for the tests: an empty local store to copy, and a tracking server.

A new MLflow SQLite store runs the whole schema migration (~10 s), so it is made once per
test session (shared by the xdist workers through a file lock) and copied into each test's
framework home as ``mlflow.db`` — where a stack's default tracker looks.

``mlflow_server`` is a real ``mlflow server`` on 127.0.0.1 and a free port, started by the
session that first needs it, bounded in time, and stopped (its process group) at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

SERVER_START_TIMEOUT = 150  # seconds; a loaded two-core machine takes ~30 s to import the server


def template_store(shared_dir: Path) -> Path:
    """An empty, migrated MLflow SQLite store under ``shared_dir`` (made once, then reused)."""
    from filelock import FileLock

    shared_dir.mkdir(parents=True, exist_ok=True)
    template = shared_dir / "mlflow-template.db"
    with FileLock(str(template) + ".lock", timeout=300):
        if not template.exists():
            building = shared_dir / "mlflow-template.building.db"
            building.unlink(missing_ok=True)
            code = ("import mlflow, sys; mlflow.MlflowClient(sys.argv[1]).search_experiments(); "
                    "import sqlite3; c = sqlite3.connect(sys.argv[2]); c.execute('PRAGMA journal_mode=WAL'); c.close()")
            subprocess.run([sys.executable, "-c", code, f"sqlite:///{building}", str(building)], check=True,
                           capture_output=True, timeout=300)
            building.rename(template)
    return template


def copy_store(template: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, dest)
    return dest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def mlflow_server(template: Path, workdir: Path) -> Iterator[str]:
    """Run ``mlflow server`` on 127.0.0.1 over a copy of ``template``; yield its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = copy_store(template, workdir / "server.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed below
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow_cli) if mlflow_cli.exists() else "mlflow", "server", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--backend-store-uri", f"sqlite:///{db}",
               "--artifacts-destination", str(workdir / "artifacts")]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True,
                            env={**os.environ, "MLFLOW_TRACKING_URI": ""})
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited ({proc.returncode}):\n"
                                   f"{(workdir / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not answer within {SERVER_START_TIMEOUT} s:\n"
                                   f"{(workdir / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
