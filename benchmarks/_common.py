"""What every benchmark module shares: quick mode, timing processes side by side, rows.

Rules the modules follow, so that a ratio in the table means what it says:

* **Side by side, in one run.** The two sides of a ratio are measured in the same
  ``make bench``, interleaved (A, B, A, B, ...) after one untimed warm-up round, so a
  machine that slows down or speeds up affects both sides alike. Medians are reported.
* **Whole processes where the user would see one.** Import and end-to-end figures time a
  fresh ``python`` process from spawn to exit (``subprocess``); in-process figures time
  the operation alone, in a child process of their own so that nothing earlier in the
  benchmark run (imports, caches, threads) leaks into them.
* ``BENCH_QUICK=1`` shrinks sizes and repeats to check that everything runs (the smoke
  test); its figures mean nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "scripts"
PY = sys.executable


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


QUICK = _flag("BENCH_QUICK")


def repeats(full: int) -> int:
    """How many timed rounds: ``full`` normally, 1 in quick mode."""
    return 1 if QUICK else full


def row(measure: str, value: Any, target: str = "-", ok: bool | None = None, **extra: Any) -> dict[str, Any]:
    """One table row; ``ok`` None means informational (no target)."""
    return {"measure": measure, "value": value, "target": target, "ok": ok, **extra}


def ratio_row(measure: str, ratio: float, limit: float, detail: str) -> dict[str, Any]:
    """A row ``measure: ratio`` whose target is ``<= limit``."""
    return row(measure, f"{ratio:.2f}x", f"<= {limit:g}x", ratio <= limit, detail=detail)


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


def child_env(home: str | os.PathLike[str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a measured child process: this repository importable, a given
    framework home, no progress line, and Python's bytecode cache on (as for any user:
    without it every import of the framework compiles its sources again)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["FRAMEWORK_PROGRESS"] = "0"
    env.pop("FRAMEWORK_STACK", None)
    if home is not None:
        env["FRAMEWORK_HOME"] = str(home)
    env.update(extra)
    return env


def time_process(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one process, from spawn to exit; raises if it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def interleaved(commands: dict[str, tuple[list[str], dict[str, str]]], rounds: int) -> dict[str, list[float]]:
    """Time each command once per round, in turn (A, B, C, A, B, C, ...), after one
    untimed warm-up round (page cache, bytecode). Returns the wall times per command."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_no in range(rounds + 1):
        for name, (cmd, env) in commands.items():
            elapsed = time_process(cmd, env)
            if round_no:
                times[name].append(elapsed)
    return times


def run_child(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 3600) -> Any:
    """Run ``python -m benchmarks.<module> <args>``; it prints its result as JSON on the last line."""
    done = subprocess.run([PY, "-m", f"benchmarks.{module}", *args], env=env or child_env(),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.{module} {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


_FILLED: dict[str, Any] = {}


def filled_home(chain_length: int) -> tuple[Path, dict[str, Any]]:
    """A framework home holding a history of 10,000 runs (``store_fill``; 300 in quick
    mode), made once per benchmark process and shared by the modules that need one."""
    if "home" not in _FILLED:
        home = Path(tempfile.mkdtemp(prefix="bench-10k-"))
        import atexit

        atexit.register(shutil.rmtree, home, True)
        runs = 300 if QUICK else 10_000
        _FILLED["summary"] = run_child("store_fill", str(home), str(runs), str(chain_length),
                                       env=child_env(home))
        _FILLED["home"] = home
    return _FILLED["home"], _FILLED["summary"]


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def postgres_missing() -> str | None:
    """Why the PostgreSQL benchmarks cannot run here, or None (they can)."""
    import importlib.util

    if importlib.util.find_spec("sqlalchemy") is None or importlib.util.find_spec("psycopg") is None:
        return "needs the postgres extra (pip install -e '.[postgres]')"
    from tests.postgres_cluster import find_bindir

    if find_bindir() is None:
        return "no PostgreSQL server binaries (install Debian's postgresql package)"
    return None


def pg_home(home: Path, url: str) -> dict[str, str]:
    """A home whose stack ``pg`` keeps its metadata at ``url``; the env that selects it."""
    from framework import stacks

    stacks.register_stack("pg", metadata=url, home=home)
    return child_env(home, FRAMEWORK_STACK="pg")


def quiet_framework_logging() -> None:
    """In a measuring child: format the run's log lines as a user would see them, but
    into /dev/null (the console is not what is measured)."""
    import logging

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the child
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("framework")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
