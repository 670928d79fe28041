"""Disk faults: a full disk and read-only directories, for the artifact store and the
metadata store — real (a tiny tmpfs, when this process may mount one) and injected.

Every case: a named error with the path and the errno; what was stored before is
unchanged; no partial file under a final name; no temp file left; the run is recorded
failed (when the metadata store can still be written) and the next run works.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _helpers import artifact_files, audit, client, temp_files

from framework import pipeline, step
from framework.artifacts.filesystems import LocalFiles
from framework.exceptions import ArtifactError, FrameworkError, StoreWriteError

BIG = 200_000  # 1.6 MB of int64: more than the tiny tmpfs holds


@step
def small() -> int:
    return 21


@step
def big(x: int, size: int = BIG) -> np.ndarray:
    return np.arange(size, dtype=np.int64) * x


@step
def after(values: np.ndarray) -> int:
    return int(values[:10].sum())


@pipeline
def disky(size: int = BIG):
    after(values=big(x=small(), size=size))


def _digest(root: Path) -> dict[str, str]:
    """Content hash of every file below ``root`` (temp files excluded, and the lock file, whose
    holder note every lock rewrites)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".tmp" not in path.name and path.name != ".lock":
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _artifact_files(home: Path) -> set[str]:
    return {str(p) for p in artifact_files(home)}


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """Mount a tmpfs of ``size`` at ``path`` (skip the test where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected twin of this test still runs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected twin still runs")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _remount_read_only(path: Path) -> None:
    done = subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only here ({done.stderr.strip()})")


def _assert_artifact_write_failure(home: Path, exc: BaseException, code: int) -> None:
    message = str(exc)
    assert isinstance(exc, ArtifactError)
    assert "`big`" in message and "`output`" in message  # step and output
    assert str(home / "artifacts") in message  # the path
    assert f"Errno {code}" in message and errno.errorcode[code] in message  # the errno
    # nothing under a final name that no record points at (the failed save left nothing)
    referenced = client(home).metadata_store.referenced_artifact_ids()
    assert {Path(p).name.split(".")[0] for p in _artifact_files(home)} <= referenced
    run = client(home).list_runs()[0]
    assert run.status == "failed"
    assert run.steps["big"].status == "failed" and run.steps["after"].status == "skipped"
    assert run.steps["small"].status in ("completed", "cached")
    assert temp_files(home) == {"artifacts": [], "metadata": []}
    audit(home)


# ---------------------------------------------------------------------- artifact store: full disk

class _FullDiskFile:
    """A file that accepts ``room`` bytes, then fails like a full disk."""

    def __init__(self, raw, room: int) -> None:
        self._raw, self._room = raw, room

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        if n > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= n
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)


def test_full_disk_while_writing_an_artifact_injected(home, monkeypatch):
    first = disky(size=10)
    stored = _digest(home / "metadata")
    before = _artifact_files(home)
    real_open = LocalFiles.atomic_open

    @contextlib.contextmanager
    def nearly_full(self, path, fsync):
        with real_open(self, path, fsync) as handle:
            yield _FullDiskFile(handle, 4096)

    with monkeypatch.context() as full_disk:  # leaving it frees the disk; the test's home stays set
        full_disk.setattr(LocalFiles, "atomic_open", nearly_full)
        with pytest.raises(ArtifactError) as info:
            disky()
        _assert_artifact_write_failure(home, info.value, errno.ENOSPC)
        assert _artifact_files(home) == before
        # what was stored before is untouched (files only added, none changed)
        now = _digest(home / "metadata")
        changed = [name for name, digest in stored.items() if now.get(name) != digest and not name.endswith(".bak")
                   and "pipelines.json" not in name and "names/" not in name and "index/" not in name]
        assert changed == []
        assert client(home).get_run(first.name).steps["after"].output.load() == 21 * 45
    assert disky().steps["after"].output.load() == 21 * 45


def test_full_disk_while_writing_an_artifact_real_tmpfs(home):
    with tmpfs(home / "artifacts", "256k"):
        with pytest.raises(ArtifactError) as info:
            disky()
        _assert_artifact_write_failure(home, info.value, errno.ENOSPC)
        assert disky(size=10).status == "completed"  # room enough for a small run


# ---------------------------------------------------------------------- artifact store: read-only

def test_read_only_artifact_directory_injected(home, monkeypatch):
    disky(size=10)
    before = _artifact_files(home)

    def refuse(self, path, fsync):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(LocalFiles, "atomic_open", refuse)
    with pytest.raises(ArtifactError) as info:
        disky(size=11)
    _assert_artifact_write_failure(home, info.value, errno.EACCES)
    assert _artifact_files(home) == before


def test_read_only_artifact_directory_real_mount(home):
    with tmpfs(home / "artifacts", "4m"):
        first = disky(size=10)
        _remount_read_only(home / "artifacts")
        before = _artifact_files(home)
        with pytest.raises(ArtifactError) as info:
            disky(size=12)
        _assert_artifact_write_failure(home, info.value, errno.EROFS)
        assert _artifact_files(home) == before
        assert client(home).get_run(first.name).steps["big"].output.load()[3] == 63  # still readable


# ---------------------------------------------------------------------- metadata store

def _assert_store_write_failure(home: Path, exc: BaseException, code: int, stored: dict[str, str]) -> None:
    assert isinstance(exc, StoreWriteError) and isinstance(exc, OSError) and isinstance(exc, FrameworkError)
    assert exc.errno == code
    assert str(home / "metadata") in str(exc) and errno.errorcode[code] in str(exc)
    assert _digest(home / "metadata") == stored  # nothing changed, nothing torn
    assert temp_files(home)["metadata"] == []


def test_full_disk_in_the_metadata_store_injected(home, monkeypatch):
    first = disky(size=10)
    stored = _digest(home / "metadata")
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if "/metadata/" in str(dst):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *args, **kwargs)

    with monkeypatch.context() as full_disk:  # undoes only the full disk: the test's home stays set
        full_disk.setattr(os, "replace", full)
        with pytest.raises(StoreWriteError) as info:
            disky(size=13)
    _assert_store_write_failure(home, info.value, errno.ENOSPC, stored)
    assert client(home).get_run(first.name).status == "completed"
    assert disky(size=13).status == "completed"
    audit(home)


def test_full_disk_in_the_metadata_store_real_tmpfs(home):
    with tmpfs(home / "metadata", "1m"):
        first = disky(size=10)
        filler = home / "metadata" / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        os.sync()
        stored = {k: v for k, v in _digest(home / "metadata").items() if k != "filler"}
        with pytest.raises(StoreWriteError) as info:
            disky(size=14)
        filler.unlink()
        _assert_store_write_failure(home, info.value, errno.ENOSPC, stored)
        assert client(home).get_run(first.name).status == "completed"
        assert disky(size=14).status == "completed"
        audit(home)


def test_read_only_metadata_store_real_mount(home):
    with tmpfs(home / "metadata", "4m"):
        first = disky(size=10)
        stored = _digest(home / "metadata")
        _remount_read_only(home / "metadata")
        with pytest.raises(StoreWriteError) as info:
            disky(size=15)
        _assert_store_write_failure(home, info.value, errno.EROFS, stored)
        # reading needs no write access
        view = client(home).get_run(first.name)
        assert view.status == "completed" and view.steps["after"].output.load() == 21 * 45


def test_unwritable_metadata_store_injected(home, monkeypatch):
    first = disky(size=10)
    stored = _digest(home / "metadata")
    real_open = os.open

    def guarded(path, flags, *args, **kwargs):
        if "/metadata" in os.fspath(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    with monkeypatch.context() as read_only:  # undoes only the guard: the test's home stays set
        read_only.setattr(os, "open", guarded)
        with pytest.raises(StoreWriteError) as info:
            disky(size=16)
        view = client(home).get_run(first.name)  # reading needs no write access
        assert view.status == "completed" and view.steps["after"].output.load() == 21 * 45
    _assert_store_write_failure(home, info.value, errno.EACCES, stored)
    assert disky(size=16).status == "completed"
