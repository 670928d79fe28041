"""Content hashes and ids (framework.hashing)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from framework.hashing import HASH_PREFIX, hash_bytes, hash_file, new_id

HEX128 = re.compile(r"^xxh3_128:[0-9a-f]{32}$")


def test_hash_bytes_is_prefixed_deterministic_and_content_sensitive():
    assert HEX128.match(hash_bytes(b"abc"))
    assert hash_bytes(b"abc") == hash_bytes(bytearray(b"abc")) == hash_bytes(memoryview(b"abc"))
    assert hash_bytes(b"abc") != hash_bytes(b"abd")
    assert HEX128.match(hash_bytes(b""))


def test_known_value_pins_the_algorithm():
    # xxh3_128 of b"" — if this changes, every stored hash would stop matching.
    assert hash_bytes(b"") == HASH_PREFIX + "99aa06d3014798d86001c324468d497f"


@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 8 * 1024 * 1024])
def test_hash_file_streams_to_the_same_digest_as_hash_bytes(tmp_path, chunk_size):
    data = bytes(range(256)) * 41  # not a multiple of any chunk size
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hash_file(path, chunk_size=chunk_size) == hash_bytes(data)
    assert hash_file(str(path), chunk_size=chunk_size) == hash_bytes(data)


def test_hash_file_accepts_open_files_and_plain_read_only_objects(tmp_path):
    data = b"x" * 100_000
    with open(tmp_path / "f", "wb") as f:
        f.write(data)
    with open(tmp_path / "f", "rb") as f:
        assert hash_file(f) == hash_bytes(data)

    class ReadOnly:  # no readinto
        def __init__(self):
            self._buf = io.BytesIO(data)

        def read(self, n=-1):
            return self._buf.read(n)

    assert hash_file(ReadOnly(), chunk_size=1000) == hash_bytes(data)


def test_hash_file_accepts_fsspec_files():
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/hashing-test/f.bin", "wb") as f:
        f.write(b"hello fsspec")
    with fs.open("/hashing-test/f.bin", "rb") as f:
        assert hash_file(f) == hash_bytes(b"hello fsspec")
    fs.rm("/hashing-test", recursive=True)


def test_hash_file_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "nope")


def test_new_id_is_32_hex_and_unique():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_hashing_imports_only_stdlib_and_xxhash():
    code = ("import sys, framework.hashing; "
            "print([m for m in ('numpy', 'pandas', 'fsspec', 'pydantic', 'attrs') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
