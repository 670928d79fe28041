"""`framework.io.fileio` and `framework.utils.io_utils`: the legacy file helpers, on local
paths and on fsspec URLs (``memory://``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from framework.io import fileio
from framework.utils import io_utils


@pytest.fixture(params=["local", "memory"])
def root(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "root")
    return f"memory://fileio-{uuid.uuid4().hex}"


def join(*parts: str) -> str:
    return "/".join(p.rstrip("/") for p in parts)


def test_write_read_list_and_inspect(root):
    fileio.makedirs(join(root, "a", "b"))
    fileio.makedirs(join(root, "a", "b"))  # no error when it exists
    with fileio.open(join(root, "a", "b", "t.txt"), "w") as f:
        f.write("héllo")
    with fileio.open(join(root, "a", "bin.dat"), "wb") as f:
        f.write(b"\x00\x01\x02")
    with fileio.open(join(root, "a", "b", "t.txt"), "r") as f:
        assert f.read() == "héllo"
    with fileio.open(join(root, "a", "bin.dat"), "rb") as f:
        assert f.read() == b"\x00\x01\x02"

    assert fileio.exists(join(root, "a", "bin.dat")) and not fileio.exists(join(root, "nope"))
    assert fileio.isdir(join(root, "a")) and not fileio.isdir(join(root, "a", "bin.dat"))
    assert sorted(fileio.listdir(join(root, "a"))) == ["b", "bin.dat"]
    assert fileio.size(join(root, "a", "bin.dat")) == 3
    assert fileio.size(join(root, "a")) == 3 + len("héllo".encode())
    st = fileio.stat(join(root, "a", "bin.dat"))
    assert (st.st_size if hasattr(st, "st_size") else st["size"]) == 3

    matches = fileio.glob(join(root, "a", "*.dat"))
    assert [os.path.basename(m) for m in matches] == ["bin.dat"]
    assert all(fileio.exists(m) for m in matches)  # results are usable paths/URLs
    walked = {os.path.basename(d.rstrip("/")): (sorted(ds), sorted(fs))
              for d, ds, fs in fileio.walk(join(root, "a"))}
    assert walked == {"a": (["b"], ["bin.dat"]), "b": ([], ["t.txt"])}


def test_copy_rename_remove_and_rmtree(root):
    fileio.makedirs(join(root, "d"))
    src, dst = join(root, "d", "src.txt"), join(root, "d", "dst.txt")
    with fileio.open(src, "w") as f:
        f.write("one")
    fileio.copy(src, dst)
    with pytest.raises(FileExistsError, match="overwrite"):
        fileio.copy(src, dst)
    with fileio.open(src, "w") as f:
        f.write("two")
    fileio.copy(src, dst, overwrite=True)
    with fileio.open(dst) as f:
        assert f.read() == "two"

    moved = join(root, "d", "moved.txt")
    fileio.rename(dst, moved)
    assert not fileio.exists(dst) and fileio.exists(moved)
    with pytest.raises(FileExistsError):
        fileio.rename(src, moved)
    fileio.rename(src, moved, overwrite=True)
    assert fileio.listdir(join(root, "d")) == ["moved.txt"]

    fileio.remove(moved)
    assert fileio.listdir(join(root, "d")) == []
    fileio.mkdir(join(root, "d", "sub"))
    with fileio.open(join(root, "d", "sub", "x"), "w") as f:
        f.write("x")
    fileio.rmtree(join(root, "d"))
    assert not fileio.exists(join(root, "d"))


def test_copy_between_a_local_path_and_a_url(tmp_path):
    local = tmp_path / "here.txt"
    local.write_text("across")
    url = f"memory://fileio-{uuid.uuid4().hex}/there.txt"
    fileio.copy(str(local), url)
    fileio.copy(url, str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "across"
    fileio.rename(url, f"file://{tmp_path}/moved.txt")
    assert not fileio.exists(url) and (tmp_path / "moved.txt").read_text() == "across"


def test_local_paths_accept_pathlike_and_file_urls(tmp_path):
    fileio.makedirs(tmp_path / "p")
    with fileio.open(f"file://{tmp_path}/p/f.txt", "w") as f:
        f.write("x")
    assert fileio.exists(Path(tmp_path, "p", "f.txt")) and not fileio.is_remote(tmp_path)
    assert fileio.is_remote("s3://bucket/key") and not fileio.is_remote("file:///tmp")


def test_io_utils(root):
    io_utils.create_dir_recursive_if_not_exists(join(root, "x", "y"))
    io_utils.create_dir_if_not_exists(join(root, "x", "z"))
    io_utils.create_dir_if_not_exists(join(root, "x", "z"))
    io_utils.write_file_contents_as_string(join(root, "x", "y", "f.txt"), "content")
    assert io_utils.read_file_contents_as_string(join(root, "x", "y", "f.txt")) == "content"
    with pytest.raises(ValueError):
        io_utils.write_file_contents_as_string(join(root, "x", "g.txt"), b"bytes")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        io_utils.read_file_contents_as_string(join(root, "missing.txt"))
    io_utils.copy_dir(join(root, "x"), join(root, "copy"))
    assert io_utils.read_file_contents_as_string(join(root, "copy", "y", "f.txt")) == "content"


def test_importing_the_helpers_stays_light():
    code = ("import sys, framework.io, framework.enums, framework.materializers\n"
            "assert 'framework.io.fileio' not in sys.modules\n"
            "from framework.io import fileio\n"
            "import framework.utils.io_utils\n"
            "assert framework.io.fileio is fileio\n"
            "print(sorted(m for m in ('fsspec', 'tarfile', 'pandas', 'sklearn') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
