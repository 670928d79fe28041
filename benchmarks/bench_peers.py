"""The seed pipeline on ZenML 0.98, measured in the same ``make bench`` (``PEERS=1`` only).

ZenML goes into a throwaway venv (``$BENCH_PEERS_VENV``, default
``/tmp/bench-zenml-venv``; created and ``pip install 'zenml[local]==0.98.*' scikit-learn
numpy`` on first use, reused after). ``scripts/seed_zenml.py`` is the seed written for ZenML's
API — the same two steps and work as ``scripts/seed_framework.py``. Both run as whole
processes, interleaved with the plain-Python baseline after a warm-up round, each tool in
its own fresh home (``ZENML_CONFIG_PATH`` / ``FRAMEWORK_HOME``, analytics off), cache off
and cached. If ZenML cannot be installed or run here, the rows say why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._common import PY, SCRIPTS, child_env, fmt_s, interleaved, median, repeats, row, temp_dir

VENV = Path(os.environ.get("BENCH_PEERS_VENV", "/tmp/bench-zenml-venv"))
REQUIREMENTS = ["zenml[local]==0.98.*", "scikit-learn", "numpy"]  # [local]: its SQLite store


def _install() -> str | None:
    """Make the venv; the reason it failed, or None."""
    python = VENV / "bin" / "python"
    marker = VENV / ".bench-requirements"
    probe = [str(python), "-c", "import zenml, sklearn; print(zenml.__version__)"]
    if python.exists() and marker.exists() and marker.read_text() == " ".join(REQUIREMENTS):
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True,
                       capture_output=True, text=True, timeout=1800)
    except subprocess.CalledProcessError as exc:
        return f"install failed: {_last_line(exc.stderr or exc.stdout)}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"install failed: {type(exc).__name__}: {exc}"
    done = subprocess.run(probe, capture_output=True, text=True)
    if done.returncode != 0:
        return f"zenml does not import: {_last_line(done.stderr)}"
    marker.write_text(" ".join(REQUIREMENTS))
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:200]


def _zenml_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(ZENML_CONFIG_PATH=str(config), ZENML_ANALYTICS_OPT_IN="false", ZENML_DEBUG="false",
               ZENML_LOGGING_VERBOSITY="WARN", AUTO_OPEN_DASHBOARD="false", ZENML_ENABLE_RICH_TRACEBACK="false")
    return env


def run() -> list[dict[str, Any]]:
    why = _install()
    if why is not None:
        print(f"bench_peers: skipping ZenML: {why}", file=sys.stderr)
        return [row("ZenML 0.98 seed pipeline (PEERS=1)", "skipped", "-", None, detail=why)]
    zenml_py = str(VENV / "bin" / "python")
    script = str(SCRIPTS / "seed_zenml.py")
    with temp_dir("bench-peers-") as tmp:
        homes = {name: tmp / name for name in ("zen_off", "zen_on", "fw_off", "fw_on")}
        for path in homes.values():
            path.mkdir()
        warm = [([zenml_py, script, "on"], _zenml_env(homes["zen_on"])),
                ([PY, str(SCRIPTS / "seed_framework.py"), "on"], child_env(homes["fw_on"]))]
        for cmd, env in warm:  # fill the caches the cached rows hit
            done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:
                why = f"{Path(cmd[1]).name} failed: {_last_line(done.stderr)}"
                print(f"bench_peers: {why}", file=sys.stderr)
                return [row("ZenML 0.98 seed pipeline (PEERS=1)", "failed", "-", None, detail=why)]
        commands = {
            "plain": ([PY, str(SCRIPTS / "seed_plain.py")], child_env()),
            "zen_off": ([zenml_py, script, "off"], _zenml_env(homes["zen_off"])),
            "fw_off": ([PY, str(SCRIPTS / "seed_framework.py"), "off"], child_env(homes["fw_off"])),
            "zen_on": ([zenml_py, script, "on"], _zenml_env(homes["zen_on"])),
            "fw_on": ([PY, str(SCRIPTS / "seed_framework.py"), "on"], child_env(homes["fw_on"])),
        }
        times = interleaved(commands, rounds=repeats(5))
        import_zenml = interleaved({"zenml": ([zenml_py, "-c", "import zenml"], _zenml_env(homes["zen_off"]))},
                                   rounds=repeats(5))["zenml"]
    m = {name: median(values) for name, values in times.items()}
    return [
        row("ZenML 0.98: import zenml", fmt_s(median(import_zenml)), "-", None),
        row("ZenML 0.98: seed pipeline, cache off / plain Python", f"{m['zen_off'] / m['plain']:.2f}x", "-", None,
            detail=f"{fmt_s(m['zen_off'])} vs {fmt_s(m['plain'])}"),
        row("ZenML 0.98: seed pipeline, cached re-run / plain Python", f"{m['zen_on'] / m['plain']:.2f}x", "-",
            None, detail=f"{fmt_s(m['zen_on'])} vs {fmt_s(m['plain'])}"),
        row("framework / ZenML 0.98, seed pipeline, cache off", f"{m['fw_off'] / m['zen_off']:.2f}x", "< 1x",
            m["fw_off"] < m["zen_off"], detail=f"{fmt_s(m['fw_off'])} vs {fmt_s(m['zen_off'])}"),
        row("framework / ZenML 0.98, seed pipeline, cached re-run", f"{m['fw_on'] / m['zen_on']:.2f}x", "< 1x",
            m["fw_on"] < m["zen_on"], detail=f"{fmt_s(m['fw_on'])} vs {fmt_s(m['zen_on'])}"),
    ]
