"""The PostgreSQL metadata store next to TinyDB, in one run, on a throwaway PostgreSQL
cluster (``tests/postgres_cluster.py``, durability settings left at the server's defaults:
fsync on, synchronous commit) reached over its unix socket.

* **Per-step cost**: ``bench_steps``'s measuring child (a 100-step chain, per extra step,
  uncached and cached), in an empty TinyDB home and on a stack whose metadata store is an
  empty PostgreSQL schema, one after the other, five times each (medians). Targets on
  PostgreSQL: ≤ 3 ms uncached, ≤ 1 ms cached.
* **Concurrent writers**: 32 processes × 20 runs of a three-step pipeline (every step
  executes), all started at once (each imports first, then waits for a go signal), on one
  TinyDB home and then on one PostgreSQL schema: runs per second from the go signal to the
  last process's end, and an audit — every reported run stored once, completed, listed
  once (lost: 0, duplicated: 0). Target: PostgreSQL ≥ 4× TinyDB's throughput.
* **Reads at 100,000 runs**: the seed pipeline run for real on the PostgreSQL stack, then
  a history of 100,000 runs (``pg_fill``); a fresh process (``scripts/store_reads.py``)
  times ``Client().get_pipeline(p).last_run`` with loading ``X_train`` as its first use of
  the store (connection included), then ``last_run`` and ``runs list`` (50 newest) again.
  Target ≤ 50 ms each. TinyDB's figures are shown beside them for its 10,000-run home
  (``store_fill``, shared with ``bench_steps``).

``BENCH_QUICK=1``: 4 processes × 2 runs, 300 runs of history, one repeat.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    PY,
    QUICK,
    SCRIPTS,
    child_env,
    filled_home,
    fmt_s,
    median,
    pg_home,
    repeats,
    row,
    run_child,
    temp_dir,
)

PROCESSES, RUNS_EACH = (4, 2) if QUICK else (32, 20)
HISTORY = 300 if QUICK else 100_000


def _steps(db_url: str) -> list[dict[str, Any]]:
    from benchmarks.bench_steps import LENGTH

    samples: dict[str, list[dict[str, Any]]] = {"tinydb": [], "postgres": []}
    with temp_dir("bench-pg-tiny-") as tiny, temp_dir("bench-pg-home-") as pg:
        pg_env = pg_home(pg, f"{db_url}&schema=steps")
        for _ in range(repeats(5)):
            samples["tinydb"].append(run_child("bench_steps", "--child", "2", env=child_env(tiny)))
            samples["postgres"].append(run_child("bench_steps", "--child", "2", env=pg_env))
    figures = {k: {m: median([s[m] for s in v]) for m in ("uncached", "cached")} for k, v in samples.items()}
    persisted = all(s["persisted"] for v in samples.values() for s in v)
    pg, tiny = figures["postgres"], figures["tinydb"]
    return [
        row(f"PostgreSQL: chain of {LENGTH - 1} steps, per extra step, uncached (unix socket)",
            f"{pg['uncached'] * 1000:.2f} ms", "<= 3 ms", pg["uncached"] <= 0.003 and persisted,
            detail=f"TinyDB {tiny['uncached'] * 1000:.2f} ms"),
        row(f"PostgreSQL: chain of {LENGTH - 1} steps, per extra step, cached (unix socket)",
            f"{pg['cached'] * 1000:.2f} ms", "<= 1 ms", pg["cached"] <= 0.001 and persisted,
            detail=f"TinyDB {tiny['cached'] * 1000:.2f} ms"),
    ]


def _concurrent(env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Start PROCESSES writers, release them at once, wait; throughput and the run ids they reported."""
    go = workdir / "go"
    procs = [subprocess.Popen([PY, str(SCRIPTS / "concurrent_runs.py"), str(go), str(w), str(RUNS_EACH)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(PROCESSES)]
    for proc in procs:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"a writer did not start: {line}{proc.stderr.read()[-2000:]}")
    started = time.time()
    go.touch()
    ids, ends = [], []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"a writer failed ({proc.returncode}):\n{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        ids.extend(result["ids"])
        ends.append(result["end"])
    elapsed = max(ends) - started
    return {"ids": ids, "elapsed": elapsed, "throughput": len(ids) / elapsed}


def _audit(env: dict[str, str], ids: list[str]) -> tuple[int, int]:
    """(lost, duplicated) runs: reported by a writer but not stored complete, or stored twice."""
    code = ("import json; from framework import Client; c = Client(); "
            "runs = c.list_runs('concurrent'); "
            "print(json.dumps([[r.id, r.status, len(c.metadata_store.get_run_by_id(r.id).steps)] for r in runs]))")
    done = subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, check=True)
    stored = json.loads(done.stdout.strip().splitlines()[-1])
    complete = {run_id for run_id, status, steps in stored if status == "completed" and steps == 3}
    lost = len(set(ids) - complete)
    duplicated = len(stored) - len({run_id for run_id, _, _ in stored}) + (len(ids) - len(set(ids)))
    return lost, duplicated


def _concurrency(db_url: str) -> list[dict[str, Any]]:
    results = {}
    with temp_dir("bench-pg-conc-tiny-") as tiny, temp_dir("bench-pg-conc-pg-") as pg:
        tiny_env = child_env(tiny)
        pg_env = pg_home(pg, f"{db_url}&schema=concurrent")
        from framework.metadata.postgres import PostgresStore

        PostgresStore(f"{db_url}&schema=concurrent").list_runs()  # the schema exists before the race
        for name, env, workdir in (("tinydb", tiny_env, tiny), ("postgres", pg_env, pg)):
            outcome = _concurrent(env, workdir)
            outcome["lost"], outcome["duplicated"] = _audit(env, outcome["ids"])
            results[name] = outcome
    pg, tiny = results["postgres"], results["tinydb"]
    ratio = pg["throughput"] / tiny["throughput"]
    clean = all(r["lost"] == 0 and r["duplicated"] == 0 for r in results.values())
    work = f"{PROCESSES} processes x {RUNS_EACH} runs"
    return [
        row(f"PostgreSQL: {work} at once, throughput vs TinyDB", f"{ratio:.2f}x", ">= 4x", ratio >= 4,
            detail=f"{pg['throughput']:.1f} vs {tiny['throughput']:.1f} runs/s "
                   f"({fmt_s(pg['elapsed'])} vs {fmt_s(tiny['elapsed'])})"),
        row(f"PostgreSQL and TinyDB: {work}, runs lost / duplicated",
            f"{pg['lost']}/{pg['duplicated']}", "0/0", clean,
            detail=f"TinyDB {tiny['lost']}/{tiny['duplicated']}; {len(pg['ids'])} runs each"),
    ]


def _reads(db_url: str) -> list[dict[str, Any]]:
    from benchmarks import pg_fill
    from benchmarks.bench_steps import LENGTH

    url = f"{db_url}&schema=history"
    with temp_dir("bench-pg-reads-") as home:
        env = pg_home(home, url)
        subprocess.run([PY, str(SCRIPTS / "seed_framework.py"), "off"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        summary = pg_fill.fill(url, HISTORY)
        pg = _read_samples(env)
    tiny_home, tiny_summary = filled_home(LENGTH)
    tiny_env = child_env(tiny_home)
    subprocess.run([PY, str(SCRIPTS / "seed_framework.py"), "off"], env=tiny_env, check=True,
                   stdout=subprocess.DEVNULL)
    tiny = _read_samples(tiny_env)
    history, tiny_history = f"{summary['runs']:,} runs", f"{tiny_summary['runs']:,}"
    ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731
    return [
        row(f"PostgreSQL: last_run + load X_train, first use in a process (connects), {history}",
            ms(pg["first"]), "<= 50 ms", pg["first"] <= 0.050, detail=f"TinyDB ({tiny_history} runs) {ms(tiny['first'])}"),
        row(f"PostgreSQL: Client().get_pipeline(p).last_run, {history}", ms(pg["last_run"]), "<= 50 ms",
            pg["last_run"] <= 0.050, detail=f"TinyDB ({tiny_history} runs) {ms(tiny['last_run'])}"),
        row(f"PostgreSQL: runs list (50 newest), {history}", ms(pg["runs_list"]), "<= 50 ms",
            pg["runs_list"] <= 0.050, detail=f"TinyDB ({tiny_history} runs) {ms(tiny['runs_list'])}"),
    ]


def _read_samples(env: dict[str, str]) -> dict[str, float]:
    samples = []
    for _ in range(repeats(5) + 1):  # the first warms the caches, untimed
        done = subprocess.run([PY, str(SCRIPTS / "store_reads.py"), "first_pipeline"], env=env, check=True,
                              capture_output=True, text=True)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    samples = samples[1:] if len(samples) > 1 else samples
    return {key: median([s[key] for s in samples]) for key in ("first", "last_run", "runs_list")}


def run() -> list[dict[str, Any]]:
    from tests.postgres_cluster import start_cluster

    cluster = start_cluster(fast=False)
    try:
        db_url = cluster.create_database("bench")
        return _steps(db_url) + _concurrency(db_url) + _reads(db_url)
    finally:
        cluster.stop()
