"""Per-step cost of the engine: a chain of trivial steps, in one process, everything persisted.

``chain_<n>`` (``benchmarks.chain``) calls ``inc`` n times, each step feeding the next.
In a child process of its own, after warm-up runs, two rounds of four runs are timed:
``chain_1`` and ``chain_101`` uncached (every step executes, writes its JSON artifact,
its record and its cache entry), then both cached (every step a cache hit: looked up,
its artifact's stat signature checked, its record written). The cost **per extra step**
is ``(t(chain_101) - t(chain_1)) / 100`` — what each step adds to a run, without the
run's own fixed cost (naming, registration, run record), as in the peers' figures.

In an empty framework home and in one holding 10,000 runs (``store_fill``: each of the
chain's cache keys already holds its full ``MAX_CACHE_ENTRIES``), one child after the
other, five times each; the figures are medians. Targets: ≤ 3 ms per step uncached,
≤ 1 ms cached, and the 10k-run figures ≤ 1.5× the empty-store ones.
After the timed runs the child checks that the last runs' records and artifacts are in
the store, and that no heavy library was imported.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from benchmarks._common import QUICK, child_env, filled_home, median, repeats, row, run_child, temp_dir

LENGTH = 11 if QUICK else 101
HEAVY = ("pandas", "sklearn", "pyarrow", "dask", "distributed", "skops", "fsspec")


def measure(rounds: int) -> dict[str, Any]:
    """In the child: time the chains; returns seconds per extra step (medians) and checks."""
    from benchmarks._common import quiet_framework_logging
    from benchmarks.chain import make_chain
    from framework import Client

    quiet_framework_logging()
    short, long = make_chain(1), make_chain(LENGTH)
    for p in (short, long):  # warm-up: imports, fingerprints, registration, directories
        p.with_options(enable_cache=False)()
        p()
    samples: dict[str, list[float]] = {"uncached": [], "cached": []}
    last = None
    for _ in range(rounds):
        for mode, options in (("uncached", {"enable_cache": False}), ("cached", {})):
            times = []
            for p in (short, long):
                configured = p.with_options(**options)
                start = time.perf_counter()
                last = configured()
                times.append(time.perf_counter() - start)
            samples[mode].append((times[1] - times[0]) / (LENGTH - 1))
    run = Client().get_run(last.name)  # read back from the store, not from the launcher
    steps = list(run.steps.values())
    persisted = (len(steps) == LENGTH and all(s.status == "cached" for s in steps)
                 and steps[-1].output.load() == LENGTH)
    return {"uncached": median(samples["uncached"]), "cached": median(samples["cached"]),
            "persisted": persisted, "heavy": [m for m in HEAVY if m in sys.modules]}


def run() -> list[dict[str, Any]]:
    full, filled = filled_home(LENGTH)
    samples: dict[str, list[dict[str, Any]]] = {"fresh": [], "aged": []}
    with temp_dir("bench-steps-empty-") as empty:
        for _ in range(repeats(5)):  # the two stores in turn, so disk noise hits both alike
            samples["fresh"].append(run_child("bench_steps", "--child", "2", env=child_env(empty)))
            samples["aged"].append(run_child("bench_steps", "--child", "2", env=child_env(full)))
    fresh, aged = ({"uncached": median([s["uncached"] for s in samples[k]]),
                    "cached": median([s["cached"] for s in samples[k]]),
                    "persisted": all(s["persisted"] for s in samples[k]),
                    "heavy": sorted({m for s in samples[k] for m in s["heavy"]})} for k in ("fresh", "aged"))
    history = f"{filled['runs']:,} runs"
    rows = [
        row(f"chain of {LENGTH - 1} trivial steps, per extra step, uncached (empty store)",
            f"{fresh['uncached'] * 1000:.2f} ms", "<= 3 ms", fresh["uncached"] <= 0.003),
        row(f"chain of {LENGTH - 1} trivial steps, per extra step, cached (empty store)",
            f"{fresh['cached'] * 1000:.2f} ms", "<= 1 ms", fresh["cached"] <= 0.001),
    ]
    for mode in ("uncached", "cached"):
        ratio = aged[mode] / fresh[mode]
        rows.append(row(f"same, {mode}, store of {history} vs empty store", f"{ratio:.2f}x", "<= 1.5x",
                        ratio <= 1.5, detail=f"{aged[mode] * 1000:.2f} ms vs {fresh[mode] * 1000:.2f} ms"))
    ok = fresh["persisted"] and aged["persisted"] and not (fresh["heavy"] or aged["heavy"])
    rows.append(row("chain runs: records and artifacts read back from the store; no heavy import",
                    "yes" if ok else f"NO (heavy: {fresh['heavy'] + aged['heavy']})", "yes", ok))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(int(sys.argv[2]))))
