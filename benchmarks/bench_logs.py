"""What capturing step logs costs: per step, and for a step printing 10 MB.

In one child process, each figure is measured with capture on and off
(``FRAMEWORK_STEP_LOGS=0``, read when a run starts), runs alternating (off, on, on, off, ...)
after a warm-up of each; the figures are medians, the ratios side by side. The verdicts
use the process's CPU time (all threads: the capture adds work, not waiting), which a
machine busy with other work disturbs far less than wall time; wall time is shown beside.

* **per step**: chains of 1 and ``LENGTH`` uncached steps (as ``bench_steps``), each step
  printing one line (so each step run creates its log file) and, separately, silent ones
  (``benchmarks.chain``); the cost per extra step is ``(t(long) - t(short)) / (LENGTH - 1)``.
  Target: capture adds ≤ 1 ms per step.
* **a step printing 10 MB**: one step printing 100,000 lines of 100 bytes, the whole run
  timed. The console is a file (``/dev/null``: the cheapest, so the ratio is the
  largest), buffered as Python buffers anything but a terminal. Target: ≤ 1.05× the run
  without capture. An informational row repeats it with an unbuffered console
  (``python -u``, ``PYTHONUNBUFFERED``): without capture every print is then a system
  call; with capture the step's stream passes its output on in chunks (at the latest
  every 0.1 s).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from typing import Any

from benchmarks._common import QUICK, child_env, median, repeats, row, run_child, temp_dir
from framework.pipelines.new import pipeline
from framework.steps import step

LENGTH = 11 if QUICK else 101
LINES = 1_000 if QUICK else 100_000


@step(enable_cache=False)
def shout(x: int) -> int:
    """A trivial step that prints one line."""
    print(f"step input {x}")
    return x + 1


@step(enable_cache=False)
def flood(lines: int) -> int:
    """Prints ``lines`` lines of 100 bytes (10 MB for 100,000)."""
    pad = "." * 70
    for i in range(lines):
        print(f"batch {i:8d} loss {i * 1e-6:.6f} {pad}")
    return lines


@pipeline
def flood_pipeline(lines: int = LINES):
    flood(lines=lines)


def _loud_chain(length: int):
    def loud() -> None:
        value = shout(x=0)
        for _ in range(length - 1):
            value = shout(x=value)

    loud.__name__ = f"loud_{length}"
    return pipeline(loud)


def _timed(p: Any, capture: bool) -> tuple[float, float]:
    """One run of ``p``: (wall time, CPU time of the process, all threads)."""
    os.environ["FRAMEWORK_STEP_LOGS"] = "1" if capture else "0"
    wall, cpu = time.perf_counter(), time.process_time()
    p()
    return time.perf_counter() - wall, time.process_time() - cpu


def _per_step(short: Any, long: Any, rounds: int) -> dict[str, float]:
    """Seconds per extra step with capture off and on (medians): ``wall_off``, ``cpu_on``, ..."""
    samples: dict[str, list[float]] = {f"{c}_{m}": [] for c in ("wall", "cpu") for m in ("off", "on")}
    for capture in (False, True):  # warm-up
        _timed(short, capture), _timed(long, capture)
    for index in range(rounds):
        for capture in ((False, True) if index % 2 else (True, False)):
            (long_wall, long_cpu), (short_wall, short_cpu) = _timed(long, capture), _timed(short, capture)
            mode = "on" if capture else "off"
            samples[f"wall_{mode}"].append((long_wall - short_wall) / (LENGTH - 1))
            samples[f"cpu_{mode}"].append((long_cpu - short_cpu) / (LENGTH - 1))
    return {key: median(values) for key, values in samples.items()}


def _console(unbuffered: bool) -> Any:
    """A console that is a file: buffered as Python buffers a non-terminal stdout, or not."""
    raw = open(os.devnull, "wb", buffering=0)  # noqa: SIM115 - lives as long as the measuring child
    return io.TextIOWrapper(raw if unbuffered else io.BufferedWriter(raw), encoding="utf-8",
                            write_through=unbuffered)


def _flood(rounds: int, unbuffered: bool) -> dict[str, float]:
    """The flood run with capture off and on (medians): ``wall_off``, ``cpu_on``, ..."""
    saved, sys.stdout = sys.stdout, _console(unbuffered)
    try:
        samples: dict[str, list[float]] = {f"{c}_{m}": [] for c in ("wall", "cpu") for m in ("off", "on")}
        for capture in (False, True):  # warm-up
            _timed(flood_pipeline, capture)
        for index in range(rounds):
            for capture in ((False, True) if index % 2 else (True, False)):
                wall, cpu = _timed(flood_pipeline, capture)
                samples[f"wall_{'on' if capture else 'off'}"].append(wall)
                samples[f"cpu_{'on' if capture else 'off'}"].append(cpu)
    finally:
        sys.stdout.flush()
        sys.stdout = saved
    return {key: median(values) for key, values in samples.items()}


def measure(rounds: int) -> dict[str, Any]:
    """In the child: every figure, with capture off and on."""
    from benchmarks._common import quiet_framework_logging
    from benchmarks.chain import make_chain
    from framework import Client

    quiet_framework_logging()
    saved, sys.stdout = sys.stdout, _console(False)  # what the chains' steps print goes nowhere
    try:
        loud = _per_step(_loud_chain(1), _loud_chain(LENGTH), rounds)
        silent = _per_step(make_chain(1).with_options(enable_cache=False),
                           make_chain(LENGTH).with_options(enable_cache=False), rounds)
    finally:
        sys.stdout = saved
    flood_buffered = _flood(2 * rounds, unbuffered=False)  # the closest figure: more rounds
    flood_unbuffered = _flood(max(1, rounds // 2), unbuffered=True)
    saved, sys.stdout = sys.stdout, _console(False)
    try:
        _timed(flood_pipeline, True)  # one more with capture, checked: all output accounted for
    finally:
        sys.stdout = saved
    info = Client().list_runs(limit=1)[0].steps["flood"].log_info
    kept = info is not None and info["size"] + info["cut"] == LINES * 100 and info["complete"]
    return {"loud": loud, "silent": silent, "flood": flood_buffered, "flood_unbuffered": flood_unbuffered,
            "kept": kept}


def run() -> list[dict[str, Any]]:
    with temp_dir("bench-logs-") as home:
        result = run_child("bench_logs", "--child", str(repeats(7)), env=child_env(home))
    rows = []
    for key, what in (("loud", "steps printing a line"), ("silent", "silent steps")):
        f = result[key]
        added = f["cpu_on"] - f["cpu_off"]
        rows.append(row(f"step logs: CPU added per step, chain of {LENGTH - 1} {what}", f"{added * 1000:+.2f} ms",
                        "<= 1 ms", added <= 0.001,
                        detail=f"wall {(f['wall_on'] - f['wall_off']) * 1000:+.2f} ms: {f['wall_on'] * 1000:.2f} ms "
                               f"vs {f['wall_off'] * 1000:.2f} ms per step"))
    mb = LINES * 100 / 1e6
    for key, label, target in (("flood", f"step logs: a step printing {mb:g} MB in lines, console a file", 1.05),
                               ("flood_unbuffered", "same, console unbuffered (python -u)", None)):
        f = result[key]
        cpu, wall = f["cpu_on"] / f["cpu_off"], f["wall_on"] / f["wall_off"]
        ok = None if target is None else cpu <= target and result["kept"]
        rows.append(row(f"{label}, CPU time vs no capture", f"{cpu:.3f}x", f"<= {target:g}x" if target else "-", ok,
                        detail=f"wall {wall:.3f}x: {f['wall_on'] * 1000:.0f} ms vs {f['wall_off'] * 1000:.0f} ms"
                               + ("" if result["kept"] else "; NOT all output accounted for in the record")))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(int(sys.argv[2]))))
