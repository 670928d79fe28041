"""``python -m benchmarks`` (``make bench``): run every benchmark, print one table.

Options: ``--only import,steps`` runs some modules; ``--quick`` (or ``BENCH_QUICK=1``)
shrinks sizes for a smoke test; ``PEERS=1`` adds ZenML 0.98 (``bench_peers``).
The exit status is 1 only if a benchmark could not run; a missed target shows as ``NO``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import platform
import sys
import time
import traceback
from typing import Any

MODULES = ["import", "seed", "steps", "logs", "client", "history", "large", "postgres", "dashboard", "peers", "dask",
           "mlflow"]


def _wanted(name: str, only: set[str] | None, quick: bool) -> str | None:
    """None if the module runs; else why it is skipped."""
    from benchmarks._common import _flag

    if only is not None and name not in only:
        return "not selected"
    if name == "peers" and not _flag("PEERS"):
        return None if only and "peers" in only else "PEERS=1 to compare with ZenML 0.98"
    if name == "postgres":
        from benchmarks._common import postgres_missing

        return postgres_missing()
    if name == "mlflow":
        if importlib.util.find_spec("mlflow") is None:
            return "MLflow not installed (pip install 'framework[mlflow]')"
        if quick and not _flag("BENCH_MLFLOW"):
            return "skipped in quick mode (BENCH_MLFLOW=1 runs it)"
    if name == "dask":
        if importlib.util.find_spec("benchmarks.bench_dask") is None:
            return "benchmarks/bench_dask.py not present"
        if quick and not _flag("BENCH_DASK"):
            return "skipped in quick mode (BENCH_DASK=1 runs it)"
    return None


def _run_module(name: str) -> list[dict[str, Any]]:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    run = module.run
    if "repeat" in inspect.signature(run).parameters and name == "dask":
        return run(repeat=1 if os.environ.get("BENCH_QUICK") else 3)
    return run()


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    headers = ("bench", "measure", "value", "target", "ok", "detail")
    cells = [[r["bench"], r["measure"], _cell(r["value"]), _cell(r.get("target", "-")),
              {True: "yes", False: "NO", None: "-"}[r.get("ok")], r.get("detail", "")] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) if i != 2 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths))).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(MODULES)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"
    from benchmarks import _common

    quick = _common.QUICK or args.quick
    only = set(args.only.split(",")) if args.only else None
    rows: list[dict[str, Any]] = []
    failed = False
    started = time.perf_counter()
    for name in MODULES:
        skipped = _wanted(name, only, quick)
        if skipped == "not selected":
            continue
        label = "dask*" if name == "dask" else name
        if skipped is not None:
            rows.append({"bench": label, "measure": f"bench_{name}", "value": "skipped", "ok": None,
                         "detail": skipped})
            continue
        print(f"running bench_{name} ...", file=sys.stderr, flush=True)
        try:
            for r in _run_module(name):
                rows.append({"bench": label, **r})
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed = True
            traceback.print_exc()
            rows.append({"bench": label, "measure": f"bench_{name}", "value": "error", "ok": False,
                         "detail": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ''}"})
    print(f"\nframework benchmarks — {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {'QUICK (sizes shrunk; figures meaningless)' if quick else 'full'} mode, "
          f"{time.perf_counter() - started:.0f} s; ratios measured side by side in this run "
          "(medians); * = rows of benchmarks/bench_dask.py")
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
