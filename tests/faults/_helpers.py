"""Shared tools of the fault-injection suite: scripts in temp dirs, subprocesses on a given
home, and an audit that checks every invariant a store must keep after any fault."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from framework import stacks
from framework.client import Client
from framework.io.atomic import is_temp_name
from framework.records import to_doc

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

#: Every path below a home is one of these (relative, posix); anything else is a file the
#: framework should never have created (e.g. from a user-given name).
LAYOUT = [re.compile(p) for p in (
    r"artifacts",
    r"artifacts/[0-9a-f]{2}",
    r"artifacts/[0-9a-f]{2}/[0-9a-f]{32}\.[a-z]+",
    r"artifacts/logs",
    r"artifacts/logs/[0-9a-f]{32}",
    r"artifacts/logs/[0-9a-f]{32}/[0-9]{3,6}-[0-9a-f]{32}\.log",  # step logs
    r"artifacts/\.refs",  # reference records of the stores using these artifacts (framework.artifacts.refs)
    r"artifacts/\.refs/[0-9a-f]{32}",
    r"artifacts/\.refs/[0-9a-f]{32}/[0-9a-f]{32}\.json",
    r"metadata",
    r"artifact\.key",  # the home's key for signing artifact records (framework.artifacts.trust)
    r"metadata/\.lock",
    r"metadata/store\.json(\.bak)?",  # the store's id (framework.metadata.tinydb.identity)
    r"metadata/leases",  # leases of runs in progress (framework.metadata.tinydb.leases)
    r"metadata/leases/[0-9a-f]{32}",
    r"metadata/(pipelines|versions)\.json(\.bak)?",
    r"metadata/(runs|cache)",
    r"metadata/(runs|cache)/[0-9a-f]{2}",
    r"metadata/runs/[0-9a-f]{2}/[0-9a-f]{32}(\.steps(\.[0-9]+)?)?\.json(\.bak)?",  # steps chunks 0, 1, ...
    r"metadata/cache/[0-9a-f]{2}/[0-9a-f]{32,64}\.json(\.bak)?",
    r"metadata/names",
    r"metadata/names/[0-9a-f]{3}\.json(\.bak)?",
    r"metadata/index",
    r"metadata/index/[0-9a-f]{32}",
    r"metadata/index/[0-9a-f]{32}/\d{6}\.json(\.bak)?",
)]


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"FRAMEWORK_HOME": str(home), "FRAMEWORK_PROGRESS": "0", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    env.update(extra)
    return env


def run_script(script: Path, home: Path, *args: str, timeout: float = 120, **env: str
               ) -> subprocess.CompletedProcess:
    """Run ``script`` with ``FRAMEWORK_HOME=home`` in its own directory; never raises on failure."""
    return subprocess.run([PYTHON, str(script), *args], cwd=script.parent, env=child_env(home, **env),
                          capture_output=True, text=True, timeout=timeout)


def spawn(script: Path, home: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, str(script), *args], cwd=script.parent, env=child_env(home, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def last_json(stdout: str) -> Any:
    """The last line of ``stdout`` that is a JSON document (scripts print their result last)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith(("{", "[")):
            return json.loads(line)
    raise AssertionError(f"no JSON line in output:\n{stdout}")


def client(home: Path) -> Client:
    return Client(stack=stacks.default_stack(Path(home)))


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for a condition")
        time.sleep(interval)


def run_files(home: Path) -> list[Path]:
    """Every run record file (not step files), whatever the indexes say."""
    return sorted(p for p in (Path(home) / "metadata" / "runs").glob("*/*.json") if not p.name.endswith(".steps.json"))


def rewrite_store_file(path: Path, change) -> None:
    """Change a metadata file's tables as another program with write access would: parse it,
    ``change(tables)``, write it back with a checksum of the new content (the checksum is
    unkeyed: it detects accidents and hand edits, not someone who recomputes it)."""
    from framework.metadata.tinydb.seal import SUM_KEY, reseal, unseal

    tables = json.loads(unseal(Path(path).read_bytes())[0])
    tables.pop(SUM_KEY, None)
    change(tables)
    Path(path).write_text(json.dumps(tables))
    reseal(str(path))


def artifact_files(home: Path) -> list[Path]:
    """Files in the artifact store: artifacts and temp files, not the reference records
    (``.refs``) nor step logs (``logs/``)."""
    root = Path(home) / "artifacts"
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] not in (".refs", "logs")]


def temp_files(home: Path) -> dict[str, list[str]]:
    """Leftover temp files of the artifact store and of the metadata store."""
    home = Path(home)
    artifacts = [str(p) for p in (home / "artifacts").rglob("*") if is_temp_name(p.name)]
    metadata = [str(p) for p in (home / "metadata").rglob("*") if is_temp_name(p.name)]
    return {"artifacts": artifacts, "metadata": metadata}


def unexpected_paths(home: Path) -> list[str]:
    """Paths below ``home`` outside the store layout (temp files excluded)."""
    home = Path(home)
    odd = []
    for path in home.rglob("*"):
        rel = path.relative_to(home).as_posix()
        if is_temp_name(path.name):
            continue
        if not any(p.fullmatch(rel) for p in LAYOUT):
            odd.append(rel)
    return odd


def strict_json_files(home: Path) -> int:
    """Parse every metadata file strictly (no NaN/Infinity); returns how many were read."""
    def reject(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    count = 0
    for path in (Path(home) / "metadata").rglob("*.json"):
        json.loads(path.read_bytes(), parse_constant=reject)
        count += 1
    return count


def audit(home: Path) -> dict[str, Any]:
    """Load the whole store and check the invariants every fault must keep.

    * every run file parses and is listed (index) — nothing lost, nothing duplicated;
    * no run and no step is shown ``running`` unless its process lives (crash view);
    * every artifact a step record points at exists and verifies (no missing or partial
      artifact behind any record, whatever its status).

    Returns runs by name with their step statuses, for further checks.
    """
    c = client(home)
    store, artifacts = c.metadata_store, c.artifact_store
    files = run_files(home)
    listed = store.list_runs()
    ids = [r.id for r in listed]
    assert len(ids) == len(set(ids)), "a run is listed twice"
    file_ids = {p.name[:-len(".json")] for p in files}
    assert set(ids) <= file_ids
    runs: dict[str, Any] = {}
    for run_id in sorted(file_ids):
        detail = store.get_run_by_id(run_id)
        assert detail is not None
        run = detail.run
        assert run.status != "running", f"run {run.name} is shown running after its process ended"
        steps = {}
        for step in detail.steps:
            assert step.status != "running", f"step {step.invocation_id} of {run.name} shown running"
            for output, artifact_id in step.outputs.items():
                record = detail.artifacts.get(artifact_id)
                assert record is not None, f"{run.name}/{step.invocation_id}/{output}: no artifact record"
                assert artifacts.verify(record), (
                    f"{run.name}/{step.invocation_id}/{output} points at a missing or partial artifact")
            steps[step.invocation_id] = to_doc(step)
        runs[run.name] = {"id": run_id, "status": run.status, "steps": steps, "listed": run_id in ids}
    for pipeline in store.list_pipelines():
        store.list_versions(pipeline.name)
    return runs
