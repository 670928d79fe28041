"""Corruption: damaged metadata files of every kind and damaged artifacts.

A damaged store file is never read as an empty or different database: every operation
either does not need the file (and answers as before) or raises `StoreCorruptedError`
naming the file and the `.bak` to restore — and restoring it as told brings the store
back. A missing, truncated or altered artifact is caught on load (naming run, step and
output) and is a cache miss for the next run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _helpers import audit, client
from click.testing import CliRunner

from framework import pipeline, step
from framework.cli import main
from framework.exceptions import ArtifactVerificationError, StoreCorruptedError
from framework.metadata.tinydb import layout

CALLS: list[str] = []


@step
def source(n: int) -> list:
    CALLS.append("source")
    return list(range(n))


@step
def doubled(values: list) -> list:
    CALLS.append("doubled")
    return [2 * v for v in values]


@step
def summed(values: list) -> int:
    CALLS.append("summed")
    return sum(values)


@pipeline
def fragile(n: int = 50):
    summed(values=doubled(values=source(n=n)))


CORRUPTIONS = {
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "garbage": lambda raw: b"\x89PNG\r\n\x1a\n\x00\xff" + raw[::-1][:40],
    "json-but-not-tables": lambda raw: b'{"runs": {"1": 5}, "run": {"x": {"name": "fake"}}}',
}


def _files(home: Path, run_id: str, pipeline_id: str, cache_key: str, run_name: str) -> dict[str, Path]:
    root = home / "metadata"
    return {
        "pipelines": root / layout.PIPELINES,
        "versions": root / layout.VERSIONS,
        "run": root / layout.run_file(run_id),
        "steps": next(root.glob(f"runs/{run_id[:2]}/{run_id}.steps*.json")),
        "names": root / layout.name_file(run_name),
        "index": root / layout.index_file(pipeline_id, 0),
        "cache": root / layout.cache_file(cache_key),
    }


def _operations(home: Path, name: str):
    """Every way to read the store, each returning something comparable."""
    def run_view():
        run = client(home).get_run(name)
        return run.status, {k: (s.status, s.output.load()) for k, s in run.steps.items()}

    def listing():
        return [(r.name, r.status) for r in client(home).list_runs()]

    def pipeline_view():
        p = client(home).get_pipeline("fragile")
        return p.name, [r.name for r in p.runs], len(p.versions), p.last_run.name

    def cache_lookup():
        store = client(home).metadata_store
        return [e.run_id for e in store.cache_candidates(client(home).get_run(name).steps["source"].cache_key)]

    return {"get_run": run_view, "list_runs": listing, "pipeline": pipeline_view, "cache": cache_lookup}


@pytest.mark.parametrize("kind", ["pipelines", "versions", "run", "steps", "names", "index", "cache"])
def test_every_damaged_store_file_is_named_with_its_recovery_never_read_as_empty(home, kind):
    fragile(n=50)
    second = fragile(n=50)
    fragile(n=51)
    run = client(home).get_run(second.name)
    pipeline_id = client(home).get_pipeline("fragile").id
    path = _files(home, run.id, pipeline_id, run.steps["source"].cache_key, second.name)[kind]
    good = path.read_bytes()
    ops = _operations(home, second.name)
    for corruption, damage in CORRUPTIONS.items():
        baseline = {op: fn() for op, fn in ops.items()}
        path.write_bytes(damage(good))
        failed, messages = [], []
        for op, fn in ops.items():
            try:
                result = fn()
            except StoreCorruptedError as exc:
                failed.append(op)
                messages.append(str(exc))
            else:
                assert result == baseline[op], f"{kind}/{corruption}: {op} silently read different data"
        # the next run refuses loudly, or does not need the file; it never starts the file over
        try:
            fragile(n=50)  # reads the cache entry of `source` among others
        except StoreCorruptedError as exc:
            failed.append("run")
            messages.append(str(exc))
        assert failed, f"{kind}/{corruption}: no operation noticed the damage"
        assert path.read_bytes() == damage(good), "a damaged file was overwritten"
        for message in messages:
            assert f"'{path}'" in message and "refusing to treat it as empty" in message  # names the file
        # ... and says how to recover: restore the last good copy, else move the file aside
        restore = re.search(r"`cp '([^']+)' '([^']+)'`", messages[0])
        if restore:
            assert restore.group(2) == str(path) and Path(restore.group(1)).exists()
            shutil.copyfile(restore.group(1), restore.group(2))
        else:
            assert "No backup" in messages[0] and "framework doctor --repair" in messages[0]
            repaired = CliRunner().invoke(main, ["doctor", "--repair"])
            assert repaired.exit_code == 0, repaired.output
        for op, fn in ops.items():
            try:
                fn()
            except StoreCorruptedError as exc:  # pragma: no cover - the recovery did not work
                raise AssertionError(f"{kind}/{corruption}: `{op}` still fails after recovery: {exc}") from exc
            except KeyError:
                assert not restore  # only moving a file aside may lose records
        path.write_bytes(good)  # back to the undamaged store for the next kind of damage
    audit(home)


@pytest.mark.parametrize("damage", ["missing", "truncated", "altered"])
def test_damaged_artifact_is_caught_on_load_and_is_a_cache_miss(home, damage):
    first = fragile(n=40)
    output = client(home).get_run(first.name).steps["doubled"].output
    path = Path(output.path)
    raw = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    else:
        path.write_bytes(raw.replace(b"2", b"3", 1))  # same size, other bytes
        assert len(path.read_bytes()) == len(raw)
    with pytest.raises(ArtifactVerificationError) as info:
        client(home).get_run(first.name).steps["doubled"].output.load()
    message = str(info.value)
    assert f"run `{first.name}`" in message and "step `doubled`" in message and "output `output`" in message
    assert str(path) in message
    CALLS.clear()
    again = fragile(n=40)
    statuses = {k: s.status for k, s in again.steps.items()}
    # the damaged step runs again; its consumer sees identical bytes (content hash): a hit
    assert statuses == {"source": "cached", "doubled": "completed", "summed": "cached"}
    assert CALLS == ["doubled"]
    assert again.steps["summed"].output.load() == 2 * sum(range(40))
    assert again.steps["doubled"].output.load() == [2 * v for v in range(40)]
    with pytest.raises(ArtifactVerificationError):  # the damaged one stays refused
        client(home).get_run(first.name).steps["doubled"].output.load()
