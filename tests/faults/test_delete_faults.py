"""Deleting runs under faults: a run another run was cached from, and a run being written
while others of its pipeline are deleted (SPEC §10)."""

from __future__ import annotations

import json
from pathlib import Path

from _helpers import audit, client, spawn, wait_for, write
from click.testing import CliRunner

from framework import stacks
from framework.cli import main
from framework.gc import collect_garbage

SCRIPT = """
    import json, os, sys, time
    from pathlib import Path
    from framework import pipeline, step

    @step
    def make(seed: int) -> list:
        return [seed * i for i in range(500)]

    @step
    def slow(values: list) -> int:
        gate = os.environ.get("GATE")
        if gate:
            Path(os.environ["STARTED"]).write_text("started")
            while not Path(gate).exists():
                time.sleep(0.01)
        return sum(values)

    @pipeline
    def writer(seed: int = 1):
        slow(values=make(seed=seed))

    run = writer.with_options(run_name=os.environ["RUN_NAME"])(seed=int(os.environ.get("SEED", "1")))
    print(json.dumps({"id": run.id, "total": run.steps["slow"].output.load()}))
"""


def _run(script: Path, home: Path, name: str, **env: str) -> dict:
    proc = spawn(script, home, RUN_NAME=name, **env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _cli(home: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"FRAMEWORK_HOME": str(home)}, prog_name="framework")


def test_deleting_the_run_another_run_was_cached_from(tmp_path, home):
    script = write(tmp_path / "writer.py", SCRIPT)
    original = _run(script, home, "original")
    _run(script, home, "cached")  # every step cached from `original`
    assert [s.status for s in client(home).get_run("cached").steps.values()] == ["cached", "cached"]
    result = _cli(home, "runs", "delete", "original", "--yes")
    assert result.exit_code == 0, result.output
    report = collect_garbage(stacks.default_stack(home), dry_run=False, min_age=0)
    # `cached` still uses every artifact `original` wrote (a store temp file of the deletion may go)
    assert [d for d in report["deleted"] if d["kind"] != "store-temp"] == []
    kept = client(home).get_run("cached")
    assert kept.steps["slow"].output.load() == original["total"]
    assert kept.steps["make"].output.load()[:3] == [0, 1, 2]
    shown = _cli(home, "runs", "show", "cached", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["steps"][0]["cached_from"]["run"] is None
    fresh = _run(script, home, "fresh")  # the cache entries went with `original`: recomputed
    assert fresh["total"] == original["total"]
    assert [s.status for s in client(home).get_run("fresh").steps.values()] == ["completed", "completed"]
    audit(home)


def test_deleting_while_a_run_is_writing(tmp_path, home):
    script = write(tmp_path / "writer.py", SCRIPT)
    for name in ("old-1", "old-2"):
        _run(script, home, name, SEED="7")
    gate, started = tmp_path / "gate", tmp_path / "started"
    proc = spawn(script, home, RUN_NAME="live", SEED="9", GATE=str(gate), STARTED=str(started))
    try:
        wait_for(started.exists, timeout=60)
        refused = _cli(home, "runs", "delete", "live", "--yes")
        assert refused.exit_code == 1 and "still running" in refused.stderr and "Nothing was deleted" in refused.stderr
        pipeline_refused = _cli(home, "pipelines", "delete", "writer", "--yes")
        assert pipeline_refused.exit_code == 1 and "live" in pipeline_refused.stderr
        deleted = _cli(home, "runs", "delete", "old-1", "old-2", "--yes")  # same pipeline, same index files
        assert deleted.exit_code == 0, deleted.output
        collect_garbage(stacks.default_stack(home), dry_run=False, min_age=0)  # keeps what `live` has not recorded
    finally:
        gate.write_text("go")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["total"] == sum(9 * i for i in range(500))
    c = client(home)
    assert [r.name for r in c.query_runs()] == ["live"]
    pipeline = c.get_pipeline("writer")
    assert pipeline.run_count == 1 and pipeline.last_run.name == "live"
    live = c.get_run("live")
    assert live.status == "completed" and live.steps["slow"].output.load() == sum(9 * i for i in range(500))
    assert live.summary["params"] == {"pipeline:seed": 9, "make.seed": 9}
    runs = audit(home)
    assert set(runs) == {"live"}
