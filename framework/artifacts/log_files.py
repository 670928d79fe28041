"""Step logs in the artifact store: where they live, reading them back, finding them for gc.

Layout: ``logs/<run id>/<position>-<step run id>.log`` below the store root, where both
ids are generated 32-hex ids and ``position`` is the step's index in the run's step order
(at least three digits). Why this name:

* no user-given name ever reaches a path (run and step names are keys, not paths);
* gc can tell a log's run from its path alone: a log whose run no store has any more is
  garbage (`framework.gc`), without reading any record;
* a step killed before its record was written (a ``kill -9`` in its first half second)
  still has a findable log: the position names the step in the run's ``step_order``.

The files are not content-hashed artifacts: they grow while the step runs (a reader may
follow them) and are bounded by the writer (``framework.orchestrators.log_sink``). On a
local store the step writes the file in place; on a remote (fsspec) store it writes a
local file and uploads it once, when the step ends — so a remote log appears only then,
and a killed process's remote log is lost.
"""

from __future__ import annotations

import os
import re
from typing import Any

import attrs

from framework.artifacts.filesystems import _mtime

__all__ = ["LOG_PREFIX", "LogFile", "LogFiles", "log_uri", "parse_log_uri"]

LOG_PREFIX = "logs"
_URI = re.compile(r"^logs/([0-9a-f]{32})/([0-9]{3,6})-([0-9a-f]{32})\.log$")
_RUN_DIR = re.compile(r"^[0-9a-f]{32}$")


def log_uri(run_id: str, position: int, step_run_id: str) -> str:
    """The log of one step run, relative to the store root (``ValueError`` for ids that are
    not generated ones)."""
    uri = f"{LOG_PREFIX}/{run_id}/{position:03d}-{step_run_id}.log"
    parse_log_uri(uri)
    return uri


def parse_log_uri(uri: str) -> tuple[str, int, str]:
    """``(run id, position, step run id)`` of a log uri; ``ValueError`` for anything else
    (a record altered to point elsewhere is never read)."""
    match = _URI.match(uri) if isinstance(uri, str) else None
    if match is None:
        raise ValueError(f"{uri!r} is not a step log's path (logs/<run id>/<position>-<step run id>.log).")
    return match.group(1), int(match.group(2)), match.group(3)


@attrs.frozen
class LogFile:
    """One log file as listed: its uri, ids, size and modification time (None if unknown)."""

    uri: str
    size: int
    mtime: float | None
    shown: str  # a local path or a URL

    @property
    def run_id(self) -> str:
        return parse_log_uri(self.uri)[0]

    @property
    def position(self) -> int:
        return parse_log_uri(self.uri)[1]

    @property
    def step_run_id(self) -> str:
        return parse_log_uri(self.uri)[2]


class LogFiles:
    """The step logs of one artifact store (``ArtifactStore.logs``)."""

    def __init__(self, files: Any) -> None:
        self._files = files  # the store's LocalFiles or FsspecFiles
        self._inside: set[str] = set()  # run directories checked to resolve inside the root

    def _path(self, uri: str) -> str:
        parse_log_uri(uri)
        path = self._files.full(uri)
        if self._files.is_local:
            directory = os.path.dirname(path)  # ids are checked: only a symlink could lead outside
            if directory not in self._inside:
                if not self._files.is_inside(path):
                    raise ValueError(f"The step log {uri} resolves outside the store root {self._files.url} "
                                     "(a symlink?).")
                self._inside.add(directory)
        return path

    def local_path(self, uri: str) -> str | None:
        """Where a step writes the log in place (local stores), else None (write, then `upload`)."""
        return self._path(uri) if self._files.is_local else None

    def location(self, uri: str) -> str:
        """The log's path or URL, for messages."""
        return self._files.display(self._path(uri))

    def size(self, uri: str) -> int | None:
        """Bytes in the file now, or None if there is no file."""
        return self._files.size(self._path(uri))

    def read(self, uri: str, start: int = 0) -> bytes:
        """The file's bytes from offset ``start``; ``FileNotFoundError`` if it is missing."""
        path = self._path(uri)
        if self._files.is_local:
            with open(path, "rb") as handle:
                handle.seek(max(0, start))
                return handle.read()
        size = self._files.size(path)
        if size is None:
            raise FileNotFoundError(path)
        return self._files.fs.cat_file(path, start=max(0, start)) if start < size else b""

    def upload(self, local_path: str, uri: str) -> None:
        """Put a finished log (written locally) at ``uri`` of a remote store: one PUT, so the
        object appears complete or not at all."""
        path = self._path(uri)
        self._files.fs.put_file(local_path, path)

    def list(self, run_id: str | None = None) -> list[LogFile]:
        """Every step log below the store (or of one run); other files are ignored."""
        found = []
        for path, rel, size, mtime in self._entries(run_id):
            if _URI.match(rel):
                found.append(LogFile(rel, size, mtime, self._files.display(path)))
        return sorted(found, key=lambda log: log.uri)

    def _entries(self, run_id: str | None) -> Any:
        """(full path, uri, size, mtime) of the files below ``logs/`` (or ``logs/<run_id>/``)."""
        top = self._files.full(LOG_PREFIX if run_id is None else f"{LOG_PREFIX}/{run_id}")
        if not self._files.is_local:
            try:
                found = self._files.fs.find(top, detail=True)
            except FileNotFoundError:
                return
            root = self._files.root.rstrip("/") + "/"
            for path, info in found.items():
                if path.startswith(root) and info.get("type", "file") == "file":
                    yield path, path[len(root):], int(info.get("size") or 0), _mtime(info)
            return
        runs = [top] if run_id is not None else _subdirectories(top)
        for directory in runs:
            name = os.path.basename(directory)
            if not _RUN_DIR.match(name):
                continue
            try:
                entries = list(os.scandir(directory))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        yield entry.path, f"{LOG_PREFIX}/{name}/{entry.name}", st.st_size, st.st_mtime
                except FileNotFoundError:
                    continue

    def remove(self, log: LogFile) -> bool:
        """Delete one listed log (and its run's directory once empty, on a local store);
        False if it was already gone."""
        path = self._path(log.uri)
        removed = self._files.remove(path)
        if self._files.is_local:
            try:
                os.rmdir(os.path.dirname(path))
            except OSError:
                pass  # other logs of that run remain (or it is gone already)
        return removed


def _subdirectories(top: str) -> list[str]:
    try:
        return [entry.path for entry in os.scandir(top) if entry.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
