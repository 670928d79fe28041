"""The artifact store: atomic writes, generated paths, verification before load, housekeeping.

Behaviour tests run once per backend (a local directory and an fsspec ``memory://`` URL),
as TinyDB's suite does for its storages; local-only guarantees (fsync, symlinks, chmod)
use the ``local_store`` fixture.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from framework.artifacts import ArtifactInfo, ArtifactStore
from framework.artifacts.materializers import BuiltinsMaterializer
from framework.exceptions import ArtifactError, ArtifactVerificationError, MaterializerError
from framework.hashing import hash_bytes, new_id

CONTEXT = "run `r1`, step `svc_trainer`, output `output`"


@pytest.fixture
def local_store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    if request.param == "local":
        yield ArtifactStore(str(tmp_path / "artifacts"))
    else:
        url = f"memory://artifacts-{uuid.uuid4().hex}"
        yield ArtifactStore(url)
        import fsspec
        fs = fsspec.filesystem("memory")
        if fs.exists(url[len("memory://"):]):
            fs.rm(url[len("memory://"):], recursive=True)


def read(store, info):
    import fsspec
    with fsspec.open(store.path_of(info), "rb") as f:
        return f.read()


def write(store, info, data: bytes):
    import fsspec
    with fsspec.open(store.path_of(info), "wb") as f:
        f.write(data)


class Payload:
    """Something only pickle can store."""

    def __init__(self, n):
        self.n = n


class Exploit:
    """Unpickling this creates ``marker`` — proof that bytes were unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def save_pickled(store, value):
    with pytest.warns(UserWarning, match="pickle"):
        return store.save(value, artifact_id=new_id())


# -- save ----------------------------------------------------------------------------

def test_save_returns_a_record_of_what_was_written(store):
    artifact_id = new_id()
    info = store.save({"a": [1, 2]}, artifact_id=artifact_id)
    data = read(store, info)
    assert info.id == artifact_id
    assert info.uri == f"{artifact_id[:2]}/{artifact_id}.json"
    assert store.path_of(info).endswith(f"/{artifact_id[:2]}/{artifact_id}.json")
    assert info.size == len(data) and info.content_hash == hash_bytes(data)
    assert info.materializer == f"{BuiltinsMaterializer.__module__}.BuiltinsMaterializer"
    assert info.data_type == "builtins.dict" and info.format_version == 1
    assert info.metadata == {"len": 1}
    assert store.load(info) == {"a": [1, 2]}


def test_streamed_hash_matches_the_file_for_large_multi_chunk_writes(store):
    arr = np.random.default_rng(0).random(3 * 1024 * 1024 // 8 * 3)  # ~9 MiB, several writes
    info = store.save(arr, artifact_id=new_id())
    assert info.content_hash == hash_bytes(read(store, info))
    np.testing.assert_array_equal(store.load(info), arr)


def test_local_url_is_absolute_and_fsspec_url_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ArtifactStore("rel/store").url == str(tmp_path / "rel" / "store")
    assert ArtifactStore(Path("p")).url == str(tmp_path / "p")
    assert ArtifactStore("memory://some/where/").url == "memory://some/where"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "my_model", "A" * 32, "0" * 31, "0" * 33,
                                 "g" * 32, "0" * 30 + "/x", 123, None])
def test_artifact_id_must_be_32_hex(store, bad):
    with pytest.raises(ValueError, match="32 lowercase hex"):
        store.save(1, artifact_id=bad)
    assert list(store.iter_artifact_files()) == []


def test_artifact_info_dict_round_trip_is_strict_json(store):
    info = store.save(np.arange(3), artifact_id=new_id())
    d = info.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert ArtifactInfo.from_dict(d) == info
    with pytest.raises(ValueError, match="missing keys"):
        ArtifactInfo.from_dict({k: v for k, v in d.items() if k != "content_hash"})
    with pytest.raises(ValueError, match="unknown keys"):
        ArtifactInfo.from_dict({**d, "extra": 1})
    with pytest.raises(ValueError):
        ArtifactInfo.from_dict({**d, "uri": "../../outside.npy"})
    with pytest.raises(ValueError):
        ArtifactInfo.from_dict({**d, "size": "12"})
    with pytest.raises(ValueError):
        ArtifactInfo.from_dict({**d, "metadata": {"x": float("nan")}})


# -- failures while saving -------------------------------------------------------------

def _all_files(store):
    import fsspec
    fs, root = fsspec.core.url_to_fs(store.url)
    return fs.find(root) if fs.exists(root) else []


def test_materializer_failure_leaves_no_file_and_chains_the_cause(store, monkeypatch):
    def boom(self, value, fileobj):
        fileobj.write(b"partial")
        raise RuntimeError("materializer exploded")

    monkeypatch.setattr(BuiltinsMaterializer, "save", boom)
    artifact_id = new_id()
    with pytest.raises(ArtifactError, match="materializer exploded") as exc:
        store.save({"a": 1}, artifact_id=artifact_id)
    assert artifact_id in str(exc.value) and f"{artifact_id}.json" in str(exc.value)
    assert isinstance(exc.value.__cause__, RuntimeError)
    assert _all_files(store) == []


def test_disk_full_during_write_names_path_and_errno(local_store, monkeypatch):
    from framework.artifacts import streams

    def full(self, view):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(streams.HashingWriter, "_write_all", full)
    artifact_id = new_id()
    with pytest.raises(ArtifactError) as exc:
        local_store.save(np.arange(10), artifact_id=artifact_id)
    message = str(exc.value)
    assert "ENOSPC" in message and "28" in message
    assert os.path.join(local_store.url, artifact_id[:2], artifact_id + ".npy") in message
    assert isinstance(exc.value.__cause__, OSError)
    assert _all_files(local_store) == []


def test_failing_rename_leaves_neither_temp_nor_final_file(local_store, monkeypatch):
    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as full_disk:
        full_disk.setattr(os, "replace", no_space)
        with pytest.raises(ArtifactError, match="ENOSPC"):
            local_store.save("x", artifact_id=new_id())
    assert _all_files(local_store) == []


def test_refused_value_leaves_no_file(store):
    with pytest.raises(MaterializerError, match="object"):
        store.save(np.array([None, 1], dtype=object), artifact_id=new_id())
    assert _all_files(store) == []


def test_read_only_directory_error_names_path_and_errno(local_store):
    artifact_id = new_id()
    shard = Path(local_store.url) / artifact_id[:2]
    shard.mkdir(parents=True)
    shard.chmod(0o500)
    try:
        if os.access(shard, os.W_OK):
            pytest.skip("running with privileges that ignore directory permissions")
        with pytest.raises(ArtifactError) as exc:
            local_store.save({"a": 1}, artifact_id=artifact_id)
        assert str(shard) in str(exc.value) and "EACCES" in str(exc.value)
    finally:
        shard.chmod(0o700)
    assert list(shard.iterdir()) == []


def test_permission_error_names_path_and_errno_even_when_running_as_root(local_store, monkeypatch):
    from framework.artifacts.filesystems import LocalFiles

    def denied(self, path, fsync):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(LocalFiles, "atomic_open", denied)
    artifact_id = new_id()
    with pytest.raises(ArtifactError, match=r"\[Errno 13\] EACCES") as exc:
        local_store.save([1], artifact_id=artifact_id)
    assert os.path.join(local_store.url, artifact_id[:2], artifact_id + ".json") in str(exc.value)


def test_shard_symlinked_outside_the_root_is_refused_on_save(local_store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    artifact_id = new_id()
    Path(local_store.url).mkdir(parents=True)
    (Path(local_store.url) / artifact_id[:2]).symlink_to(outside)
    with pytest.raises(ArtifactError, match="outside the store root"):
        local_store.save({"a": 1}, artifact_id=artifact_id)
    assert list(outside.iterdir()) == []


# -- verification before load ------------------------------------------------------------

def test_missing_artifact_error_names_context_and_path(store):
    info = store.save([1, 2, 3], artifact_id=new_id())
    store.delete(info)
    with pytest.raises(ArtifactVerificationError) as exc:
        store.load(info, context=CONTEXT)
    assert CONTEXT in str(exc.value) and store.path_of(info) in str(exc.value)
    assert "missing" in str(exc.value)
    assert store.verify(info) is False and store.exists(info) is False


def test_truncated_artifact_is_refused(store):
    info = store.save(np.arange(100), artifact_id=new_id())
    write(store, info, read(store, info)[:-8])
    with pytest.raises(ArtifactVerificationError, match="bytes") as exc:
        store.load(info, context=CONTEXT)
    assert CONTEXT in str(exc.value)
    assert store.verify(info) is False and store.exists(info) is True


def test_altered_artifact_of_same_size_is_refused(store):
    info = store.save({"answer": 41}, artifact_id=new_id())
    write(store, info, read(store, info).replace(b"41", b"42"))
    with pytest.raises(ArtifactVerificationError, match="content hash") as exc:
        store.load(info, context=CONTEXT)
    assert CONTEXT in str(exc.value) and store.path_of(info) in str(exc.value)


@pytest.mark.parametrize("same_size", [True, False])
def test_swapped_pickle_is_never_unpickled(store, tmp_path, same_size):
    marker = tmp_path / "pwned"
    info = save_pickled(store, Payload("x" * 200))
    evil = pickle.dumps(Exploit(marker))
    if same_size:  # pickle stops at STOP, so padding keeps the exploit working
        assert len(evil) < info.size
        evil += b"\0" * (info.size - len(evil))
    write(store, info, evil)
    with pytest.raises(ArtifactVerificationError):
        store.load(info, context=CONTEXT)
    assert not marker.exists()
    pickle.loads(evil)  # the payload is real: unpickled, it does create the marker
    assert marker.exists()


def test_a_record_with_another_hash_is_refused(store):
    info = store.save("text", artifact_id=new_id())
    forged = ArtifactInfo.from_dict({**info.to_dict(), "content_hash": hash_bytes(b"other")})
    with pytest.raises(ArtifactVerificationError, match="content hash"):
        store.load(forged, context=CONTEXT)


def test_a_record_pointing_elsewhere_is_refused(store):
    a = store.save("a", artifact_id=new_id())
    b = store.save("b", artifact_id=new_id())
    forged = ArtifactInfo.from_dict({**a.to_dict(), "uri": b.uri})
    with pytest.raises(ArtifactVerificationError, match="altered"):
        store.load(forged, context=CONTEXT)


def test_symlink_escaping_the_root_is_not_followed(local_store, tmp_path):
    info = local_store.save({"secret": False}, artifact_id=new_id())
    outside = tmp_path / "outside.json"
    path = Path(local_store.path_of(info))
    outside.write_bytes(path.read_bytes())  # identical bytes: only the symlink check can catch it
    path.unlink()
    path.symlink_to(outside)
    with pytest.raises(ArtifactVerificationError, match="outside the store root") as exc:
        local_store.load(info, context=CONTEXT)
    assert CONTEXT in str(exc.value)
    assert local_store.verify(info) is False and local_store.exists(info) is False
    assert local_store.delete(info) is True and outside.exists()  # removes the link only


def test_unknown_materializer_and_newer_format_are_clear_errors(store):
    info = store.save(1, artifact_id=new_id())
    unknown = ArtifactInfo.from_dict({**info.to_dict(), "materializer": "gone.module.OldMaterializer"})
    with pytest.raises(MaterializerError, match="register_materializer"):
        store.load(unknown)
    newer = ArtifactInfo.from_dict({**info.to_dict(), "format_version": 99})
    with pytest.raises(MaterializerError, match="version 99"):
        store.load(newer)


# -- large arrays: memory maps -----------------------------------------------------------

def test_large_numpy_artifacts_load_the_verified_bytes_not_the_file(local_store):
    """A large array is loaded from the bytes that were hashed (a writable view of them, no
    second copy): what a process writes into the file afterwards never shows in it."""
    arr = np.arange(65 * 1024 * 1024 // 8, dtype=np.float64)
    info = local_store.save(arr, artifact_id=new_id())
    loaded = local_store.load(info)
    assert type(loaded) is np.ndarray and not isinstance(loaded, np.memmap)
    assert loaded[-1] == arr[-1] and loaded.shape == arr.shape and loaded.flags.writeable
    with open(local_store.path_of(info), "r+b") as f:  # written into after the check
        f.seek(info.size - 8)
        f.write(np.float64(666.0).tobytes())
    assert loaded[-1] == arr[-1]  # the verified value
    with pytest.raises(ArtifactVerificationError, match="content hash"):
        local_store.load(info, context=CONTEXT)
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    back = local_store.load(local_store.save(fortran, artifact_id=new_id()))
    assert np.array_equal(back, fortran) and back.flags.f_contiguous


def test_small_arrays_memory_map_on_request(local_store):
    info = local_store.save(np.arange(10), artifact_id=new_id())
    assert type(local_store.load(info)) is np.ndarray
    mapped = local_store.load(info, mmap=True)
    assert isinstance(mapped, np.memmap) and mapped.tolist() == list(range(10))
    assert local_store.load(local_store.save([1], artifact_id=new_id()), mmap=True) == [1]


# -- housekeeping ------------------------------------------------------------------------

def test_exists_verify_delete(store):
    info = store.save(3.5, artifact_id=new_id())
    assert store.exists(info) and store.verify(info)
    assert store.delete(info) is True
    assert not store.exists(info) and not store.verify(info)
    assert store.delete(info) is False


def test_iter_artifact_files_lists_artifacts_but_not_temp_or_foreign_files(store):
    assert list(store.iter_artifact_files()) == []
    infos = [store.save(v, artifact_id=new_id()) for v in (1, "two", np.arange(3))]
    write(store, infos[0], read(store, infos[0]))  # unchanged content
    import fsspec
    for name in (f"{infos[0].uri}.tmp-abc123", "notes.txt"):
        with fsspec.open(f"{store.url}/{name}", "wb") as f:
            f.write(b"junk")
    listed = sorted(store.iter_artifact_files())
    assert listed == sorted((i.id, store.path_of(i), i.size) for i in infos)


def test_cleanup_temp_files_respects_age(store):
    info = store.save("keep", artifact_id=new_id())
    import fsspec
    temp = f"{store.path_of(info)}.tmp-deadbeef0000"
    with fsspec.open(temp, "wb") as f:
        f.write(b"half written")
    assert store.cleanup_temp_files(older_than_seconds=3600) == 0
    assert store.cleanup_temp_files() == 1
    assert store.cleanup_temp_files() == 0
    assert store.verify(info)


def test_cleanup_temp_files_removes_old_local_leftovers(local_store):
    info = local_store.save("keep", artifact_id=new_id())
    temp = Path(local_store.path_of(info) + ".tmp-0123456789ab")
    temp.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(temp, (old, old))
    assert local_store.cleanup_temp_files(older_than_seconds=3600) == 1
    assert not temp.exists() and local_store.verify(info)


# -- imports -----------------------------------------------------------------------------

def test_importing_the_package_stays_light(tmp_path):
    code = f"""
import sys
import framework.artifacts
from framework.artifacts import ArtifactStore
from framework.hashing import new_id
store = ArtifactStore({str(tmp_path / 's')!r})
info = store.save({{"a": 1}}, artifact_id=new_id())
assert store.load(info) == {{"a": 1}}
heavy = ('pandas', 'sklearn', 'skops', 'pyarrow', 'fsspec')
print(sorted(m for m in heavy if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

