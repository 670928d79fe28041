"""A pipeline run that kills itself (SIGKILL) at a chosen point, for the crash trials.

Environment:
  RESUME_SEED  if set, first run the pipeline for this seed to the end, unarmed (the
               "next run" after the previous trial's crash), and print its step statuses.
  SEED         then run the pipeline for this seed as run ``trial-<seed>``, armed:
  KILL_PHASE   ``artifact`` or ``metadata``: SIGKILL just before the KILL_AT-th write-path
               call (os.write/fsync/replace/link/unlink, artifact chunk writes) made by that
               part of the framework; ``count``: kill nothing, print the call counts;
               ``step``: steps announce themselves in PROGRESS_FILE and sleep STEP_SLEEP s
               (the parent kills the process during a step).
  KILL_MARK    where to note the phase and call just before dying.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import numpy as np

from framework import pipeline, step
from framework.steps import Output

ARMED = {"on": False}
ROWS = 50_000


def started(name: str) -> None:
    if ARMED["on"] and os.environ.get("KILL_PHASE") == "step":
        with open(os.environ["PROGRESS_FILE"], "a") as handle:
            handle.write(name + "\n")
        time.sleep(float(os.environ.get("STEP_SLEEP", "0.3")))


@step
def load(seed: int) -> Output(data=np.ndarray, meta=dict):
    started("load")
    return np.arange(ROWS, dtype=np.int64) * seed, {"seed": seed, "rows": ROWS}


@step
def scale(data: np.ndarray, factor: int = 3) -> np.ndarray:
    started("scale")
    return data * factor


@step
def total(data: np.ndarray) -> int:
    started("total")
    return int(data.sum())


@step
def words(meta: dict) -> list:
    started("words")
    return [f"w{i}" for i in range(meta["seed"] % 7 + 3000)]


@step
def report(total: int, words: list, meta: dict) -> str:
    started("report")
    return f"{meta['seed']}:{total}:{len(words)}"


@pipeline
def crash_pipeline(seed: int):
    data, meta = load(seed=seed)
    scaled = scale(data=data)
    t = total(data=scaled)
    w = words(meta=meta)
    report(total=t, words=w, meta=meta)


def expected_report(seed: int) -> str:
    return f"{seed}:{3 * seed * (ROWS * (ROWS - 1) // 2)}:{seed % 7 + 3000}"


COUNTS = {"artifact": 0, "metadata": 0}


def _part() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace(os.sep, "/")
        if "/framework/artifacts/" in name:
            return "artifact"
        if "/framework/metadata/" in name:
            return "metadata"
        frame = frame.f_back
    return None


def arm(phase: str, at: int, mark: str) -> None:
    import framework.artifacts.streams as streams

    def hit(call: str) -> None:
        if not ARMED["on"]:
            return
        part = _part()
        if part is None:
            return
        COUNTS[part] += 1
        if part == phase and COUNTS[part] == at:
            with open(mark, "w") as handle:
                handle.write(f"{part} {call} {at}")
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(owner, name):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            hit(name)
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)

    for name in ("write", "fsync", "replace", "link", "unlink"):
        wrap(os, name)
    wrap(streams.HashingWriter, "_write_all")


def main() -> None:
    resume = os.environ.get("RESUME_SEED")
    if resume:
        run = crash_pipeline.with_options(run_name=f"resume-{resume}")(seed=int(resume))
        print(json.dumps({"resume": {k: s.status for k, s in run.steps.items()}}), flush=True)
    seed = os.environ.get("SEED")
    if seed:
        phase = os.environ.get("KILL_PHASE", "count")
        if phase in ("artifact", "metadata", "count"):
            arm(phase, int(os.environ.get("KILL_AT", "0")), os.environ.get("KILL_MARK", os.devnull))
        ARMED["on"] = True
        crash_pipeline.with_options(run_name=f"trial-{seed}")(seed=int(seed))
        ARMED["on"] = False
        print(json.dumps({"done": COUNTS}), flush=True)


if __name__ == "__main__":
    main()
