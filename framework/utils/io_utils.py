"""The ``io_utils`` helpers ZenML-era code calls, on top of `framework.io.fileio`
(local paths and fsspec URLs alike)."""

from __future__ import annotations

import os
from typing import Any

from framework.io import fileio

__all__ = ["create_dir_if_not_exists", "create_dir_recursive_if_not_exists", "copy_dir",
           "is_remote", "read_file_contents_as_string", "write_file_contents_as_string"]

is_remote = fileio.is_remote


def create_dir_if_not_exists(dir_path: Any) -> None:
    """Create ``dir_path`` (its parent must exist) unless it is already a directory."""
    if not fileio.isdir(dir_path):
        fileio.mkdir(dir_path)


def create_dir_recursive_if_not_exists(dir_path: Any) -> None:
    """Create ``dir_path`` and its parents unless it is already a directory."""
    if not fileio.isdir(dir_path):
        fileio.makedirs(dir_path)


def read_file_contents_as_string(file_path: Any) -> str:
    """The text of a file; ``FileNotFoundError`` naming it if there is none."""
    if not fileio.exists(file_path):
        raise FileNotFoundError(f"{os.fspath(file_path)} does not exist.")
    with fileio.open(file_path, "r") as f:
        return f.read()


def write_file_contents_as_string(file_path: Any, content: str) -> None:
    """Write ``content`` (a str; ``ValueError`` otherwise) to a file, replacing it."""
    if not isinstance(content, str):
        raise ValueError(f"Content must be a str, got {type(content).__name__}.")
    with fileio.open(file_path, "w") as f:
        f.write(content)


def copy_dir(source_dir: Any, destination_dir: Any, overwrite: bool = False) -> None:
    """Copy every file under ``source_dir`` into ``destination_dir`` (same layout)."""
    top: str | None = None
    destination = os.fspath(destination_dir).rstrip("/")
    for root, _dirs, files in fileio.walk(source_dir):  # top-down: the first root is the top
        top = root.rstrip("/") if top is None else top
        rel = root.rstrip("/")[len(top):].lstrip("/")
        target = f"{destination}/{rel}" if rel else destination
        fileio.makedirs(target)
        for name in files:
            fileio.copy(f"{root.rstrip('/')}/{name}", f"{target}/{name}", overwrite=overwrite)
