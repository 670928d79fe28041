"""The shortcuts the engine takes for speed keep their guarantees: batched fsyncs still
fsync every file before its rename, deferred directory fsyncs happen, the stat-signature
cache check still catches any change to a file, and a plain run imports no pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framework.artifacts import ArtifactStore
from framework.exceptions import StoreWriteError
from framework.hashing import new_id
from framework.io.atomic import write_many
from framework.metadata.tinydb.files import StoreFiles, write_error

REPO = str(Path(__file__).resolve().parent.parent)


@pytest.fixture
def syncs(monkeypatch):
    """Which descriptors get fsynced: ('file', path) or ('dir', path)."""
    seen: list[tuple[str, str]] = []
    real = os.fsync

    def spy(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        seen.append(("dir" if os.path.isdir(path) else "file", path))
        return real(fd)

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to name descriptors")
    monkeypatch.setattr(os, "fsync", spy)
    return seen


def test_write_many_fsyncs_every_file_before_its_rename(tmp_path, syncs):
    a, b = tmp_path / "x" / "a.json", tmp_path / "y" / "b.json"
    write_many([(str(a), b'{"t":{}}', True), (str(b), b'{"u":{}}', False)])
    assert json.loads(a.read_text()) == {"t": {}} and json.loads(b.read_text()) == {"u": {}}
    files = [p for kind, p in syncs if kind == "file"]
    assert len(files) == 2 and all(".tmp" in p for p in files)  # the temp files, before the renames
    dirs = {p for kind, p in syncs if kind == "dir"}
    assert str(a.parent) in dirs and str(b.parent) not in dirs  # an index file's directory is not synced


def test_write_many_failure_renames_nothing_more_and_leaves_no_temp(tmp_path, monkeypatch):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("{}")
    real = os.replace

    def failing(src, dst):
        if dst.endswith("b.json"):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(StoreWriteError, match="b.json"):
        write_many([(str(a), b'{"new":{}}', True), (str(b), b'{"new":{}}', True)], on_error=write_error)
    assert json.loads(a.read_text()) == {"new": {}}  # earlier files stay replaced (first-change order)
    assert not b.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_non_durable_transactions_sync_their_directories_later(tmp_path, syncs):
    files = StoreFiles(tmp_path / "store")
    with files.transaction(durable=False) as txn:
        txn.db("runs/ab/one.json").table("t").insert({"x": 1})
    assert not [p for kind, p in syncs if kind == "dir" and p.endswith("runs/ab")]
    with files.transaction() as txn:  # a durable one syncs what the others left
        txn.db("other.json").table("t").insert({"x": 2})
    assert [p for kind, p in syncs if kind == "dir" and p.endswith("runs/ab")]


def test_quick_verify_trusts_only_an_untouched_file(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    info = store.save({"answer": 41}, artifact_id=new_id())
    assert info.signature is not None and store.verify(info, quick=True)
    path = Path(store.path_of(info))
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"41", b"42"))  # same size, new content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime back
    assert not store.verify(info, quick=True) and not store.verify(info)
    path.write_bytes(path.read_bytes().replace(b"42", b"41"))  # the right bytes again: re-hashed, accepted
    assert store.verify(info, quick=True)
    assert store.load(info) == {"answer": 41}


def test_records_without_a_signature_are_hashed(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    info = store.save(np.arange(10), artifact_id=new_id())
    old = {k: v for k, v in info.to_dict().items() if k != "signature"}  # a record from before signatures
    from framework.artifacts import ArtifactInfo

    legacy = ArtifactInfo.from_dict(old)
    assert legacy.signature is None and store.verify(legacy, quick=True)
    Path(store.path_of(info)).write_bytes(b"\x00" * info.size)
    assert not store.verify(legacy, quick=True)


def test_a_run_configured_in_code_imports_no_pydantic(tmp_path):
    code = (
        "import json, sys\n"
        "from framework import pipeline, step\n"
        "@step\n"
        "def one() -> int:\n    return 1\n"
        "@step\n"
        "def plus(x: int, y: int = 2) -> int:\n    return x + y\n"
        "@pipeline\n"
        "def p():\n    plus(x=one(), y=3)\n"
        "run = p.with_options(enable_cache=False)()\n"
        "assert run.steps['plus'].output.load() == 4\n"
        "print(json.dumps([m for m in ('pydantic', 'pandas', 'sklearn', 'pyarrow', 'dask') if m in sys.modules]))\n"
    )
    env = {**os.environ, "FRAMEWORK_HOME": str(tmp_path / "home"), "PYTHONPATH": REPO}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
