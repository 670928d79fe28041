"""The file functions ZenML-era code calls (``from framework.io import fileio``).

Why it exists: materializers and steps written for ZenML 0.2x–0.39 do
``fileio.open(os.path.join(self.uri, "data.json"), "w")``, ``fileio.makedirs(...)`` and so
on, and must run with only their imports changed. Each function takes a local path (or
``file://`` URL) or any fsspec URL (``s3://…``, ``memory://…``, ``gs://…``) and behaves
like ZenML's: ``listdir`` gives names, ``glob`` and ``walk`` give paths in the form they
were asked in (URLs keep their protocol), ``copy``/``rename`` refuse to overwrite unless
``overwrite=True``.

Local paths use the standard library only; fsspec is imported the first time a URL is
used, so importing this module costs nothing. Remote listings are never cached (another
process may have written since).
"""

from __future__ import annotations

import builtins
import glob as _glob
import os
import posixpath
import shutil
from typing import Any, Callable, Iterator, Union

__all__ = ["open", "exists", "makedirs", "mkdir", "listdir", "remove", "rmtree", "copy", "rename",
           "isdir", "glob", "walk", "stat", "size", "is_remote"]

PathType = Union[str, "os.PathLike[str]"]


def is_remote(path: Any) -> bool:
    """True for URLs fsspec handles (``s3://…``, ``memory://…``); False for local paths."""
    text = os.fspath(path)
    return "://" in text and not text.startswith("file://")


def _local(path: Any) -> str:
    text = os.fspath(path)
    return text[len("file://"):] if text.startswith("file://") else text


def _remote(path: Any) -> tuple[Any, str]:
    """(fsspec filesystem, its path) for a URL."""
    import fsspec

    return fsspec.core.url_to_fs(os.fspath(path), use_listings_cache=False)


def _dispatch(local: Callable[..., Any], remote: Callable[..., Any]) -> Callable[..., Any]:
    def run(path: Any, *args: Any, **kwargs: Any) -> Any:
        if is_remote(path):
            fs, rpath = _remote(path)
            return remote(fs, rpath, *args, **kwargs)
        return local(_local(path), *args, **kwargs)
    return run


def open(path: PathType, mode: str = "r", **kwargs: Any) -> Any:  # noqa: A001 - the legacy name
    """Open a file like the built-in ``open`` (text or binary by ``mode``)."""
    return _dispatch(builtins.open, lambda fs, p, m, **kw: fs.open(p, m, **kw))(path, mode, **kwargs)


def exists(path: PathType) -> bool:
    """True if a file or directory is at ``path``."""
    return _dispatch(os.path.exists, lambda fs, p: fs.exists(p))(path)


def isdir(path: PathType) -> bool:
    """True if ``path`` is a directory."""
    return _dispatch(os.path.isdir, lambda fs, p: fs.isdir(p))(path)


def makedirs(path: PathType) -> None:
    """Create a directory and its parents; no error if it exists."""
    _dispatch(lambda p: os.makedirs(p, exist_ok=True), lambda fs, p: fs.makedirs(p, exist_ok=True))(path)


def mkdir(path: PathType) -> None:
    """Create one directory; its parent must exist."""
    _dispatch(os.mkdir, lambda fs, p: fs.mkdir(p, create_parents=False))(path)


def listdir(path: PathType) -> list[str]:
    """Names (not paths) of the entries of a directory."""
    def remote(fs: Any, p: str) -> list[str]:
        return [posixpath.basename(e.rstrip("/")) for e in fs.ls(p, detail=False)]
    return _dispatch(os.listdir, remote)(path)


def remove(path: PathType) -> None:
    """Delete a file."""
    _dispatch(os.remove, lambda fs, p: fs.rm_file(p))(path)


def rmtree(path: PathType) -> None:
    """Delete a directory and everything in it."""
    def remote(fs: Any, p: str) -> None:
        if not fs.isdir(p):
            raise NotADirectoryError(f"{path} is not a directory.")
        fs.rm(p, recursive=True)
    _dispatch(shutil.rmtree, remote)(path)


def stat(path: PathType) -> Any:
    """``os.stat_result`` for local paths; fsspec's info dict for URLs."""
    return _dispatch(os.stat, lambda fs, p: fs.info(p))(path)


def size(path: PathType) -> int:
    """Bytes in a file, or in all files under a directory."""
    if isdir(path):
        return sum(size(_join(root, name)) for root, _dirs, files in walk(path) for name in files)
    return _dispatch(os.path.getsize, lambda fs, p: int(fs.size(p)))(path)


def glob(pattern: PathType) -> list[str]:
    """Paths matching a glob pattern (URLs keep their protocol)."""
    return _dispatch(_glob.glob, lambda fs, p: [fs.unstrip_protocol(m) for m in fs.glob(p)])(pattern)


def walk(top: PathType, topdown: bool = True, onerror: Callable[..., Any] | None = None
         ) -> Iterator[tuple[str, list[str], list[str]]]:
    """``(directory, subdirectory names, file names)`` for ``top`` and below, like ``os.walk``."""
    if not is_remote(top):
        yield from os.walk(_local(top), topdown=topdown, onerror=onerror)
        return
    fs, root = _remote(top)
    for directory, dirs, files in fs.walk(root, topdown=topdown):
        yield fs.unstrip_protocol(directory), list(dirs), list(files)


def copy(src: PathType, dst: PathType, overwrite: bool = False) -> None:
    """Copy a file; ``FileExistsError`` if ``dst`` exists and ``overwrite`` is False."""
    _refuse_existing(dst, overwrite, "copy")
    if not is_remote(src) and not is_remote(dst):
        shutil.copyfile(_local(src), _local(dst))
        return
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1024 * 1024)


def rename(src: PathType, dst: PathType, overwrite: bool = False) -> None:
    """Move a file; ``FileExistsError`` if ``dst`` exists and ``overwrite`` is False."""
    _refuse_existing(dst, overwrite, "rename")
    if not is_remote(src) and not is_remote(dst):
        os.replace(_local(src), _local(dst))
        return
    if is_remote(src) and is_remote(dst):
        (fs, source), (fs_dst, target) = _remote(src), _remote(dst)
        if fs is fs_dst:  # fsspec caches instances: same filesystem, same options
            fs.mv(source, target)
            return
    copy(src, dst, overwrite=True)
    remove(src)


def _refuse_existing(dst: Any, overwrite: bool, verb: str) -> None:
    if not overwrite and exists(dst):
        raise FileExistsError(f"Cannot {verb} to {os.fspath(dst)}: it exists and overwrite is False.")


def _join(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}" if is_remote(root) else os.path.join(root, name)

