"""Artifact stores on fsspec URLs: a real S3-compatible server (moto, on loopback) and
``memory://``, with the same atomic-commit and hash-verification rules as a local directory,
and whole pipelines whose artifacts live there."""

from __future__ import annotations

import fsspec
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from framework import stacks
from framework.artifacts import ArtifactStore
from framework.artifacts.materializers.base import BaseMaterializer
from framework.client import Client
from framework.exceptions import ArtifactError, ArtifactVerificationError
from framework.hashing import new_id
from framework.pipelines.new import pipeline
from tests.seed_steps import CALLS, loader, new_trainer


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@pytest.fixture
def s3_store(s3_server, s3_url):
    return ArtifactStore(s3_url, storage_options=s3_server)


def _raw_fs(s3_server):
    return fsspec.filesystem("s3", use_listings_cache=False, **s3_server)


def _keys(s3_server, url):
    return sorted(_raw_fs(s3_server).find(url.removeprefix("s3://")))


def test_s3_round_trips_are_exact(s3_store):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=pd.Index([10, 20], name="idx"))
    model = LogisticRegression(C=0.5).fit([[0.0], [1.0]], [0, 1])
    values = [np.arange(12, dtype=np.int16).reshape(3, 4), frame, {"k": [1, 2.5, None]}, model]
    infos = [s3_store.save(value, artifact_id=new_id()) for value in values]
    loaded = [s3_store.load(info) for info in infos]
    assert loaded[0].dtype == np.int16 and np.array_equal(loaded[0], values[0])
    pd.testing.assert_frame_equal(loaded[1], frame)
    assert loaded[2] == {"k": [1, 2.5, None]}
    assert loaded[3].get_params()["C"] == 0.5
    assert all(s3_store.verify(info) for info in infos)
    assert s3_store.path_of(infos[0]).startswith(s3_store.url + "/")


def test_s3_save_commits_atomically_and_leaves_no_temp_key(s3_server, s3_url, s3_store):
    info = s3_store.save([1, 2, 3], artifact_id=new_id())
    keys = _keys(s3_server, s3_url)
    assert keys == [f"{s3_url.removeprefix('s3://')}/{info.uri}"]
    assert not any(".tmp-" in key for key in keys)

    class Exploding(BaseMaterializer):
        ASSOCIATED_TYPES = (list,)
        EXTENSION = ".bin"

        def save(self, value, f):
            f.write(b"half an artifact")
            raise RuntimeError("disk on fire")

        def load(self, f, data_type):  # pragma: no cover - never reached
            raise AssertionError

    broken_id = new_id()
    with pytest.raises(ArtifactError, match="disk on fire"):
        s3_store.save([4], artifact_id=broken_id, materializer=Exploding)
    keys = _keys(s3_server, s3_url)
    assert not any(broken_id in key for key in keys), keys  # neither the final key nor a temp key


def test_s3_altered_truncated_or_missing_artifacts_are_refused(s3_server, s3_url, s3_store):
    fs = _raw_fs(s3_server)
    altered = s3_store.save(np.arange(100), artifact_id=new_id())
    truncated = s3_store.save({"a": 1}, artifact_id=new_id())
    missing = s3_store.save("gone", artifact_id=new_id())
    path = s3_store.path_of(altered).removeprefix("s3://")
    data = bytearray(fs.cat_file(path))
    data[-1] ^= 0xFF
    fs.pipe_file(path, bytes(data))
    fs.pipe_file(s3_store.path_of(truncated).removeprefix("s3://"), b"{")
    fs.rm_file(s3_store.path_of(missing).removeprefix("s3://"))
    for info, problem in [(altered, "altered"), (truncated, "truncated"), (missing, "missing")]:
        assert not s3_store.verify(info)
        with pytest.raises(ArtifactVerificationError, match=problem) as err:
            s3_store.load(info, context="run `r`, step `s`, output `o`")
        assert "step `s`" in str(err.value) and info.id in str(err.value)


def test_a_second_store_object_sees_artifacts_written_after_it_listed(s3_server, s3_url):
    """Launcher and workers hold separate store objects: no stale listing may hide new files."""
    reader, writer = ArtifactStore(s3_url, storage_options=s3_server), ArtifactStore(
        s3_url, storage_options={**s3_server, "skip_instance_cache": True})
    first = writer.save(1, artifact_id="ab" + new_id()[2:])
    assert [a for a, _, _ in reader.iter_artifact_files()] == [first.id]  # reader lists the shard
    second = writer.save(2, artifact_id="ab" + new_id()[2:])
    assert reader.verify(second) and reader.load(second) == 2


def test_memory_store_follows_the_same_rules():
    store = ArtifactStore(f"memory://framework-test-{new_id()}")
    info = store.save(np.ones(3), artifact_id=new_id())
    assert np.array_equal(store.load(info), np.ones(3))
    fs = fsspec.filesystem("memory")
    path = store.path_of(info).removeprefix("memory://")
    fs.pipe_file(path, fs.cat_file(path)[:-1])
    assert not store.verify(info)
    with pytest.raises(ArtifactVerificationError, match="truncated"):
        store.load(info)


@pipeline
def seed_like(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    new_trainer(C=C, X_train=X_train, y_train=y_train)


def _use_stack(monkeypatch, **fields):
    base = stacks.default_stack()
    stack = stacks.Stack("remote", base.home, fields.pop("url"), base.metadata_root, **fields)
    monkeypatch.setattr(stacks, "active_stack", lambda: stack)
    return stack


def test_local_orchestrator_with_artifacts_on_s3(monkeypatch, s3_server, s3_url, home):
    _use_stack(monkeypatch, url=s3_url, artifact_store_options=s3_server)
    first = seed_like(C=0.5)
    second = seed_like(C=0.5)
    assert first.status == "completed"
    assert [s.status for s in second.steps.values()] == ["cached", "cached"]
    assert CALLS == ["loader", "new_trainer"]
    run = Client().get_run(first.name)
    assert run.stack == "remote"
    assert run.steps["loader"].outputs["X_train"].load().shape == (30, 3)
    assert run.steps["new_trainer"].output.load().get_params()["C"] == 0.5
    assert (home / "metadata").is_dir() and not (home / "artifacts").exists()  # metadata stays home
    keys = [k for k in _keys(s3_server, s3_url) if ".tmp-" not in k]
    assert len([k for k in keys if "/.refs/" not in k]) == 5
    assert len([k for k in keys if "/.refs/" in k]) == 2  # each run's reference record (docs/sharing.md)


def test_dask_orchestrator_with_artifacts_on_s3(monkeypatch, s3_server, s3_url, dask_client):
    _use_stack(monkeypatch, url=s3_url, artifact_store_options=s3_server, orchestrator="dask",
               orchestrator_options={"scheduler": dask_client})
    first = seed_like(C=0.25)
    second = seed_like(C=0.25)
    third = seed_like(C=0.75)
    assert [s.status for s in second.steps.values()] == ["cached", "cached"]
    assert [s.status for s in third.steps.values()] == ["cached", "completed"]
    assert CALLS == ["loader", "new_trainer", "new_trainer"]  # in-process workers share this module
    assert first.steps["new_trainer"].output.load().get_params()["C"] == 0.25
    assert Client().get_run(third.name).steps["new_trainer"].parameters == {"C": 0.75}
