"""The benchmark suite runs and prints every row (quick mode: tiny sizes, one repeat, no
timing asserted), and the 10,000-run history it measures against is a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ROWS = [
    "import framework.steps, framework.pipelines",
    "heavy libraries imported by it",
    "seed digits pipeline, whole process, cache off vs plain Python",
    "seed digits pipeline, whole process, cached re-run vs plain Python",
    "cache off vs plain Python that also saves the outputs",
    "per extra step, uncached (empty store)",
    "per extra step, cached (empty store)",
    "same, uncached, store of",
    "same, cached, store of",
    "records and artifacts read back from the store",
    "step logs: CPU added per step, chain of",
    "step logs: a step printing",
    "Client().get_pipeline(p).last_run + load X_train",
    "then loading the SVC model",
    "runs list --where ... --sort ... --columns ...",
    "same without --sort",
    "same listing inside one process, warm",
    "delete 100 runs (one transaction)",
    "gc afterwards frees exactly the bytes only they referenced",
    "save speed vs np.save",
    "peak memory while saving",
    "load verifies the hash, returns a memory map",
    "xxh3 hashing speed",
    "dashboard pipelines (front page), store of",
    "dashboard pipeline, tag filter (1 run in 100 tagged, page 1), store of",
    "dashboard 200-step run page rendered in Chromium",
    "bench_peers",
]


def _postgres_rows() -> list[str]:
    """bench_postgres's rows, or (without a PostgreSQL server here, outside CI) its skip row."""
    sys.path.insert(0, str(REPO))
    from tests.postgres_cluster import find_bindir

    if find_bindir() is None and not os.environ.get("FRAMEWORK_CI"):
        return ["bench_postgres"]
    return ["PostgreSQL: chain of", "runs at once, throughput vs TinyDB", "runs lost / duplicated",
            "PostgreSQL: Client().get_pipeline(p).last_run", "PostgreSQL: runs list (50 newest)",
            "PostgreSQL: runs list --where ... --sort ... --columns ...", "PostgreSQL: delete 100 runs",
            "PostgreSQL: gc afterwards frees exactly the bytes"]


def test_benchmark_suite_runs_in_quick_mode_and_prints_every_row(tmp_path):
    env = {**os.environ, "BENCH_QUICK": "1", "PEERS": "", "FRAMEWORK_HOME": str(tmp_path / "unused")}
    done = subprocess.run([sys.executable, "-m", "benchmarks"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout
    missing = [label for label in ROWS + _postgres_rows() if label not in table]
    assert not missing, f"rows missing: {missing}\n{table}"
    assert " error " not in table, table
    if (REPO / "benchmarks" / "bench_dask.py").exists():
        assert "dask*" in table
    assert not (tmp_path / "unused").exists()  # every benchmark uses its own temporary homes


def test_bulk_filled_history_reads_back_like_a_store_written_through_the_api(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    home = tmp_path / "home"
    monkeypatch.setenv("FRAMEWORK_HOME", str(home))
    from benchmarks.store_fill import fill
    from framework import Client
    from framework.metadata import MAX_CACHE_ENTRIES, TinyDBStore

    summary = fill(home, runs=150, chain_length=3)
    assert summary["runs"] == 150
    store = TinyDBStore(home / "metadata")
    runs = store.list_runs()
    assert len(runs) == 150 and len({r.name for r in runs}) == 150
    assert sum(p.run_count for p in store.list_pipelines()) == 150
    for run in runs[::7]:
        full = store.get_run(run.name)  # name shard -> run file -> steps chunks
        assert full.run.id == run.id and full.steps and full.run.status == "completed"
        for step_run in full.steps:
            assert set(step_run.outputs.values()) <= set(full.artifacts)
            if step_run.status == "cached":
                original = store.get_step_run(step_run.original_run_id, step_run.original_step_run_id)
                assert original.status == "completed" and original.outputs == step_run.outputs
    chain = Client().get_pipeline("chain_3")
    assert chain.last_run.status == "completed" and len(chain.runs) == 32
    last = chain.last_run.steps["inc_3"]
    assert len(store.cache_candidates(last.cache_key)) == MAX_CACHE_ENTRIES  # the cache file is full
    assert store.cache_candidates(last.cache_key)[0].step_run_id == last.id  # the real run is the newest
    assert last.output.load() == 3
    from benchmarks.chain import make_chain
    from framework.summaries import run_summary

    for run in runs[::23]:  # summaries and listing rows as the launcher would have written them
        full = store.get_run_by_id(run.id)
        assert run.summary == run_summary(full) or run.pipeline_name.startswith("chain")
    rows = {row.id: row for row in store.query_runs()}
    assert len(rows) == 150 and all(rows[r.id].summary == r.summary for r in runs)
    rerun = make_chain(3)()  # the history's cache entries serve a real run
    assert [s.status for s in rerun.steps.values()] == ["cached"] * 3


def test_dashboard_fill_writes_listing_rows_as_the_store_does(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks.dashboard_fill import fill
    from framework.metadata import TinyDBStore
    from framework.records import RunRow

    fill(tmp_path / "home", 20, big_run=False, tagged=150)
    store = TinyDBStore(tmp_path / "home" / "metadata")
    entries = [entry for path in (tmp_path / "home" / "metadata" / "index").rglob("*.json")
               for entry in json.loads(path.read_text())["runs"].values()]
    assert len(entries) == 20 + 49 + 150 and sum("row" in entry for entry in entries) == 150  # `tagged` only
    rows = list(store.query_runs(pipeline_name="tagged"))  # the index rows, read back as the run files say
    assert rows == [RunRow.of(run) for run in store.list_runs("tagged")] and len(rows) == 150
    assert [row.name for row in store.query_runs(pipeline_name="tagged", tags=["best"])] == [
        "tagged-00100", "tagged-00000"]
    assert {row.name for row in store.query_runs(pipeline_name="wide", tags=["best"])} == {"wide-00000"}
