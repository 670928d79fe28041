"""What a step pays for logging to MLflow: the same step with and without ``experiment_tracker=``.

In a child process of its own, on a stack whose MLflow tracker is the default local store
(``<home>/mlflow.db``, SQLite), pipelines run with the cache off: ``tracked``
(``@step(experiment_tracker="mlflow_tracker")``) and ``plain`` (the same step without it), and
the same as chains of 10 steps. After warm-up runs (MLflow imported, the store created and
opened), they run in turn (A, B, C, D, A, …) and the medians are compared. The one-step
tracked run's extra work is all of what tracking adds to a run: the run's MLflow run
created and ended (launcher), the step's nested run created and ended around it, its
numeric output mirrored as a metric; each further tracked step of a run adds only its own
nested run and metric. Target: ≤ 50 ms added, both ways; the ratio to the tracker-less
one-step run is printed beside it, and the CPU time added (``time.process_time``, all of
the process's threads) and the machine's load: MLflow's SQLite store spends its time in
SQLAlchemy, so on a machine whose cores are busy with other work the wall-clock figure
grows with the load while the CPU figure does not.

Also shown, without a target: what the first tracked run in a fresh process pays once —
importing MLflow and opening its store (MLflow's own cost, before any step).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks._common import PY, QUICK, child_env, fmt_s, median, repeats, row, run_child, temp_dir

LIMIT_MS = 50.0
CHAIN = 10


def measure(rounds: int) -> dict[str, Any]:
    """In the child (FRAMEWORK_HOME set): time the pipelines; returns medians in seconds."""
    from benchmarks._common import quiet_framework_logging
    from framework import pipeline, stacks, step

    quiet_framework_logging()
    stacks.register_stack("ml", experiment_tracker={"flavor": "mlflow"})
    stacks.set_active_stack("ml")

    @step(experiment_tracker="mlflow_tracker", enable_cache=False)
    def tracked_step(x: int = 3) -> float:
        return x / 2

    @step(enable_cache=False)
    def plain_step(x: int = 3) -> float:
        return x / 2

    @pipeline
    def tracked():
        tracked_step()

    @pipeline
    def plain():
        plain_step()

    @pipeline
    def tracked_chain():
        for i in range(CHAIN):
            tracked_step(x=i)

    @pipeline
    def plain_chain():
        for i in range(CHAIN):
            plain_step(x=i)

    start = time.perf_counter()
    import mlflow

    from framework.integrations.mlflow.local_store import client

    uri = stacks.active_stack().experiment_tracker["tracking_uri"]
    client(uri).search_experiments(max_results=1)
    cold = time.perf_counter() - start  # import + open (the store was created before, untimed)
    pipelines = {"tracked": tracked, "plain": plain, "tracked_chain": tracked_chain, "plain_chain": plain_chain}
    for _ in range(3):
        for run in pipelines.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in pipelines}
    cpu: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(rounds):
        for name, run in pipelines.items():
            begin, begin_cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append(time.perf_counter() - begin)
            cpu[name].append(time.process_time() - begin_cpu)
    experiment = mlflow.MlflowClient(uri).get_experiment_by_name("tracked")
    logged = mlflow.MlflowClient(uri).search_runs([experiment.experiment_id], max_results=10_000)
    return {**{name: median(values) for name, values in times.items()},
            **{f"{name}_cpu": median(values) for name, values in cpu.items()}, "cold": cold,
            "load": os.getloadavg()[0],
            "mlflow_runs": len(logged), "expected_runs": 2 * (3 + rounds)}


def run() -> list[dict[str, Any]]:
    rounds = repeats(25)
    with temp_dir("bench-mlflow-") as home:
        env = child_env(home, MLFLOW_DISABLE_TELEMETRY="true", MPLCONFIGDIR=str(home / "matplotlib"))
        # The store's schema is created once, untimed (MLflow's migrations take seconds).
        subprocess.run([PY, "-c", "import mlflow, sys; mlflow.MlflowClient(sys.argv[1]).search_experiments()",
                        f"sqlite:///{home / 'mlflow.db'}"], env=env, check=True, capture_output=True, timeout=600)
        result = run_child("bench_mlflow", "--child", str(rounds), env=env)
    added_ms = (result["tracked"] - result["plain"]) * 1000
    ratio = result["tracked"] / result["plain"]
    per_step = ((result["tracked_chain"] - result["plain_chain"]) - (result["tracked"] - result["plain"])) / (CHAIN - 1)
    added_cpu_ms = (result["tracked_cpu"] - result["plain_cpu"]) * 1000
    per_step_cpu = ((result["tracked_chain_cpu"] - result["plain_chain_cpu"])
                    - (result["tracked_cpu"] - result["plain_cpu"])) / (CHAIN - 1)
    logged = result["mlflow_runs"] == result["expected_runs"]
    return [
        row("step with an MLflow tracker (local SQLite store) vs the same step untracked, one-step run",
            f"+{added_ms:.1f} ms ({ratio:.2f}x)", f"<= +{LIMIT_MS:g} ms", added_ms <= LIMIT_MS and logged,
            detail=f"{result['tracked'] * 1000:.1f} ms vs {result['plain'] * 1000:.1f} ms, medians of {rounds} "
                   f"(CPU: +{added_cpu_ms:.1f} ms); load average {result['load']:.1f} on {os.cpu_count()} CPUs; "
                   f"{result['mlflow_runs']} MLflow runs logged" + ("" if logged else " (expected "
                                                                     f"{result['expected_runs']})")),
        row(f"same, each further tracked step of a {CHAIN}-step run (the run's MLflow run shared)",
            f"+{per_step * 1000:.1f} ms", f"<= +{LIMIT_MS:g} ms", per_step * 1000 <= LIMIT_MS,
            detail=f"{result['tracked_chain'] * 1000:.1f} ms vs {result['plain_chain'] * 1000:.1f} ms per run "
                   f"(CPU: +{per_step_cpu * 1000:.1f} ms per step)"),
        row("first tracked run in a fresh process: import mlflow + open its store (once)", fmt_s(result["cold"]),
            detail="MLflow's own start-up cost, paid before the first tracked step" + (" (QUICK)" if QUICK else "")),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        print(json.dumps(measure(int(sys.argv[2]))))
