"""The few file operations the artifact store needs, for local disks and for fsspec URLs.

Why two tiny classes instead of always using fsspec: the local case is the default and
the hot path. Plain ``os`` calls give real ``fsync`` and atomic ``os.replace``, symlink
resolution for the "stays inside the root" check, and keep fsspec out of the import
graph entirely. Remote URLs (``s3://…``, ``memory://…``) go through fsspec, imported only
when such a store is created. Both classes have the same methods; paths passed around
are their own full paths (`full`), shown to users through `display`.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from typing import IO, Any, ContextManager, Iterator

from framework.io.atomic import atomic_open, temp_path
from framework.liveness import boot_id

__all__ = ["LocalFiles", "FsspecFiles"]

#: (full path, file name, size in bytes, modification time or None)
FileEntry = tuple[str, str, int, "float | None"]


class LocalFiles:
    """A directory on a local (or mounted) filesystem."""

    is_local = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.url = self.root

    def full(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def display(self, path: str) -> str:
        return path

    def local_path(self, path: str) -> str | None:
        return path

    def is_inside(self, path: str) -> bool:
        """True if ``path``, with every symlink resolved, lies strictly under the root.

        The root's own resolution is computed once per instance (a root later swapped
        for a symlink elsewhere then makes every path fail this check, never pass it).
        """
        prefix = self.__dict__.get("_real_root_prefix")
        if prefix is None:
            prefix = self._real_root_prefix = os.path.realpath(self.root).rstrip(os.sep) + os.sep
        return os.path.realpath(path).startswith(prefix)

    def make_parent(self, path: str) -> None:
        parent = os.path.dirname(path)
        made = self.__dict__.setdefault("_made", set())  # shard directories this instance saw exist
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)

    def atomic_open(self, path: str, fsync: bool) -> ContextManager[IO[bytes]]:
        """A new file that becomes ``path`` when the block succeeds (``framework.io.atomic``);
        its temp name carries this process as owner, so a crash's leftover is removed as
        soon as the process is known to be gone."""
        return atomic_open(path, fsync=fsync, owned=True)

    def remove(self, path: str) -> bool:
        """Delete a file (a symlink itself, never its target); False if it was missing."""
        try:
            os.remove(path)
        except FileNotFoundError:
            return False
        return True

    def size(self, path: str) -> int | None:
        """File size, or None if there is no such file."""
        try:
            return os.stat(path).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def signature(self, path: str) -> str | None:
        """``boot:dev:inode:size:mtime_ns:ctime_ns`` of the file, or None (missing file, or no
        boot id on this platform).

        Any write to the file changes its mtime and ctime; restoring the mtime (``touch -d``)
        changes the ctime, which no user can set; replacing the file changes the inode. The
        boot id limits trust to the boot that recorded it: data the OS had not flushed when
        the power went can only show up damaged after a reboot, and is then re-hashed.
        """
        boot = boot_id()
        if not boot:
            return None
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return f"{boot}:{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"

    def open_read(self, path: str) -> IO[bytes]:
        return open(path, "rb")

    def list_below(self, rel: str) -> Iterator[FileEntry]:
        """Every file below ``<root>/<rel>`` (the reference records); nothing if it is missing."""
        top = self.full(rel)
        for directory, _dirs, names in os.walk(top):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    st = os.stat(path, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                yield path, name, st.st_size, st.st_mtime

    def read_bytes(self, path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    def has_below(self, rel: str) -> bool:
        """Is there anything below ``<root>/<rel>``? (One directory read, however much.)"""
        try:
            with os.scandir(self.full(rel)) as entries:
                return next(entries, None) is not None
        except (FileNotFoundError, NotADirectoryError):
            return False

    def list_files(self) -> Iterator[FileEntry]:
        """Files in the two-character shard directories; nothing if the root is missing.
        (Dot directories — the reference records in ``.refs`` — are not artifacts.)"""
        try:
            shards = [e for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
        except FileNotFoundError:
            return
        for shard in shards:
            try:
                entries = list(os.scandir(shard.path))
            except FileNotFoundError:
                continue
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        yield entry.path, entry.name, st.st_size, st.st_mtime
                except FileNotFoundError:
                    continue  # removed while we were listing


class FsspecFiles:
    """Any fsspec URL (``s3://bucket/prefix``, ``memory://store``, ``gcs://…``)."""

    is_local = False

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        import fsspec  # only remote stores pay for this import

        # No listings cache: another process (a Dask worker) may have written since we listed,
        # and a stale listing would call a fresh artifact missing.
        options = {"use_listings_cache": False, **(storage_options or {})}
        self.fs, root = fsspec.core.url_to_fs(url, **options)
        self.root = root.rstrip("/") or "/"
        self.url = url.rstrip("/")

    def full(self, rel: str) -> str:
        return f"{self.root.rstrip('/')}/{rel}"

    def display(self, path: str) -> str:
        return self.fs.unstrip_protocol(path)

    def local_path(self, path: str) -> str | None:
        return None

    def is_inside(self, path: str) -> bool:
        return posixpath.normpath(path).startswith(self.root.rstrip("/") + "/")

    def make_parent(self, path: str) -> None:
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)

    @contextlib.contextmanager
    def atomic_open(self, path: str, fsync: bool) -> Iterator[IO[bytes]]:
        """A new object that becomes ``path`` when the block succeeds.

        Written under a temp name beside it (``framework.io.atomic.temp_path``), then moved:
        on S3 a server-side copy and a delete of the temp key. An S3 object becomes visible
        only once complete (a PUT or a copy is all-or-nothing), so the final key never holds
        a partial artifact. A direct PUT of the final key would be atomic too, but the temp
        name keeps one rule for every backend (memory, network mounts, GCS), and an
        interrupted upload leaves only a temp key for the temp-file sweep. fsspec commits
        (uploads) on close; there is no fsync to ask for.
        """
        temp = temp_path(path, owned=True).replace(os.sep, "/")
        handle = self.fs.open(temp, "wb")
        try:
            try:
                yield handle
            finally:
                handle.close()
            self.fs.mv(temp, path)
        except BaseException:
            with contextlib.suppress(Exception):
                self.fs.rm_file(temp)
            raise

    def remove(self, path: str) -> bool:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            return False
        return True

    def size(self, path: str) -> int | None:
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        return int(info["size"]) if info.get("type") == "file" else None

    def signature(self, path: str) -> str | None:
        """Remote objects have no trustworthy stat signature: always None (always hashed)."""
        return None

    def open_read(self, path: str) -> IO[bytes]:
        return self.fs.open(path, "rb")

    def list_below(self, rel: str) -> Iterator[FileEntry]:
        """Every file below ``<root>/<rel>`` (the reference records); nothing if it is missing."""
        try:
            found = self.fs.find(self.full(rel), detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            yield path, posixpath.basename(path), int(info.get("size") or 0), _mtime(info)

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open(path, "rb") as handle:
            return handle.read()

    def has_below(self, rel: str) -> bool:
        """Is there anything below ``<root>/<rel>``? (On S3 one listing request.)"""
        try:
            return bool(self.fs.ls(self.full(rel), detail=False))
        except FileNotFoundError:
            return False

    def list_files(self) -> Iterator[FileEntry]:
        """Files in the shard directories right below the root, as `LocalFiles` lists them
        (not step logs or extra files deeper down, nor the reference records in ``.refs``)."""
        try:
            found = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return
        prefix = self.root.rstrip("/") + "/"
        for path, info in found.items():
            rel = path[len(prefix):] if path.startswith(prefix) else ""
            if rel.count("/") == 1 and not rel.startswith("."):
                yield path, posixpath.basename(path), int(info.get("size") or 0), _mtime(info)


def _mtime(info: dict[str, Any]) -> float | None:
    """Best-effort modification time from an fsspec info dict (keys differ per backend)."""
    for key in ("mtime", "created", "LastModified", "last_modified", "updated"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return value.timestamp()
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None
