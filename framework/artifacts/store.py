"""`ArtifactStore`: write values atomically under generated ids, and load only verified bytes.

The contract is small on purpose (as TinyDB's ``Storage``): `save` returns an
`ArtifactInfo` only once the file is complete under its final name, and `load` trusts the
file only if it still has the recorded size and content hash. Everything else —
`verify`, `exists`, `delete`, `path_of`, `iter_artifact_files`, `cleanup_temp_files` —
serves checks and garbage collection.

Why these rules:

* **Atomic writes.** Bytes go to a temp name (``framework.io.atomic``: ``.<final>.<random>.<host
  hash>-<pid>.tmp``) in the same
  directory, then are renamed over the final name (fsynced first only with ``fsync=True``:
  see the class docstring). A crash leaves a stray temp
  file (removed by `cleanup_temp_files`; the writer's host and pid in its name let the
  next run remove those of dead processes at once), never a half-written artifact, and
  the metadata store records the artifact only after `save` returned.
* **Generated paths.** ``<root>/<id[:2]>/<id><ext>`` with a 32-hex id: user-given names
  never reach the filesystem, and every path is checked (symlinks resolved) to stay inside
  the root. Two-character shards keep directories small. Beside the shards: step logs in
  ``logs/<run id>/<position>-<step run id>.log`` (`logs`, ``framework.artifacts.log_files``)
  and steps' extra files in ``extra/<key>/`` (``framework.orchestrators.output_dirs``).
* **Verify before load.** A missing, truncated or altered file raises
  `ArtifactVerificationError` naming the caller's context (run, step, output) and the
  path; the bytes are never handed to a materializer, so a swapped pickle never runs.
  Every file is read once, hashed as it is read, and loaded from those bytes in memory,
  so nothing can change between check and use (a memory map is only made when asked
  for with ``mmap=True``).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

import attrs

from framework.artifacts.dotted import dotted_name
from framework.artifacts.filesystems import FsspecFiles, LocalFiles
from framework.artifacts.log_files import LogFiles
from framework.artifacts.materializers.base import BaseMaterializer
from framework.artifacts.materializers.registry import (
    materializer_by_name,
    materializer_for_value,
    remember_materializer,
)
from framework.artifacts.stored_files import StoredFile, listing, sweep
from framework.artifacts.streams import HashingWriter
from framework.artifacts.trust import ArtifactKey, Trust
from framework.artifacts.verification import file_problem, read_verified, verification_error
from framework.exceptions import ArtifactError, ArtifactTrustError, ArtifactVerificationError, MaterializerError
from framework.hashing import hash_file
from framework.io.atomic import describe_os_error, is_temp_name
from framework.records import ARTIFACT_ID_PATTERN, ArtifactInfo

__all__ = ["ArtifactStore"]

_ARTIFACT_FILE = re.compile(r"^([0-9a-f]{32})(\.[A-Za-z0-9_.-]*)?$")


class ArtifactStore:
    """Artifacts under one root: a local directory or an fsspec URL.

    ``ArtifactStore("/data/artifacts")`` (made absolute) or
    ``ArtifactStore("s3://bucket/artifacts")``. Nothing is created until the first save.
    ``storage_options`` go to fsspec for URLs (e.g. ``{"endpoint_url": "http://minio:9000"}``
    for an S3-compatible server); local paths ignore them.
    ``fsync`` (default off): fsync each file and its directory entry before `save`
    returns. Off, a process crash still never leaves a torn artifact (the rename is
    atomic); only a power cut can, for files the OS had not flushed yet — and the hash
    check on every load catches that (an error naming run, step and output; for caching a
    miss, so the step re-executes), never silently uses it. Cache checks that trust a
    file's stat signature (`verify(quick=True)`) only do so within the boot that wrote
    it, so power-cut damage is always re-hashed. Each fsync costs a journal commit
    (1-5 ms on common disks, seconds for a 1 GB file), which is why it is off.
    """

    def __init__(self, url: str | os.PathLike[str], *, fsync: bool = False,
                 storage_options: dict[str, Any] | None = None, key: ArtifactKey | None = None) -> None:
        text = os.fspath(url)
        if text.startswith("file://"):
            text = text[len("file://"):]
        self._files: LocalFiles | FsspecFiles = (
            FsspecFiles(text, storage_options) if "://" in text else LocalFiles(text))
        self._fsync = fsync
        self._logs: LogFiles | None = None
        self.storage_options: dict[str, Any] = dict(storage_options or {})
        self.key = key if key is not None else ArtifactKey(None)  # no file: only $FRAMEWORK_ARTIFACT_KEY

    @property
    def url(self) -> str:
        """The root: an absolute local path, or the fsspec URL as given (no trailing slash)."""
        return self._files.url

    @property
    def logs(self) -> LogFiles:
        """The step logs kept in this store (read, list, upload, remove)."""
        if self._logs is None:
            self._logs = LogFiles(self._files)
        return self._logs

    def __repr__(self) -> str:
        return f"ArtifactStore({self.url!r})"

    @property
    def references(self) -> Any:
        """The reference records every home sharing this store keeps in it (``refs``)."""
        from framework.artifacts.refs import References

        return References(self._files, fsync=self._fsync)

    # -- writing -----------------------------------------------------------------------

    def save(self, value: Any, *, artifact_id: str,
             materializer: type[BaseMaterializer] | None = None) -> ArtifactInfo:
        """Write ``value`` under ``artifact_id`` and return its record.

        The materializer is chosen from the value's type unless given (unknown types fall
        back to pickle with a ``UserWarning``). ``artifact_id`` must be 32 lowercase hex
        chars (``framework.hashing.new_id()``), else ``ValueError``; ids are never reused,
        so an existing file of that name is replaced. On any failure the temp file is
        removed, nothing appears under the final name, and `ArtifactError` is raised
        naming the path and the cause (errno for OS errors; the original is chained) — or
        the materializer's own `MaterializerError`, which says what to change.
        """
        if not isinstance(artifact_id, str) or not ARTIFACT_ID_PATTERN.match(artifact_id):
            raise ValueError(f"artifact_id must be 32 lowercase hex characters "
                             f"(framework.hashing.new_id()), got {artifact_id!r}.")
        if materializer is None:
            materializer = materializer_for_value(value)
        else:
            remember_materializer(materializer)
        files = self._files
        rel = f"{artifact_id[:2]}/{artifact_id}{materializer.EXTENSION}"
        final = files.full(rel)
        try:
            files.make_parent(final)
            if not files.is_inside(final):
                raise ArtifactError(f"Refusing to write artifact {artifact_id}: "
                                    f"{files.display(final)} resolves outside the store root {self.url}.")
            writer = materializer()  # also asked for the summary: it may keep what it saw while writing
            size, content_hash = self._write(value, writer, final)
            signature = files.signature(final)  # after the rename, which changes the ctime
        except BaseException as exc:
            if isinstance(exc, ArtifactError) or not isinstance(exc, Exception):
                raise
            raise ArtifactError(f"Could not write artifact {artifact_id} with {dotted_name(materializer)} "
                                f"to {files.display(final)}: {describe_os_error(exc)}") from exc
        return ArtifactInfo(
            id=artifact_id, uri=rel, materializer=dotted_name(materializer),
            data_type=dotted_name(type(value)), format_version=materializer.FORMAT_VERSION,
            size=size, content_hash=content_hash, metadata=_summary(writer, value),
            signature=signature)

    def _write(self, value: Any, materializer: BaseMaterializer, final: str) -> tuple[int, str]:
        """Write the file atomically (temp name, then rename); return (size, content hash).

        Streamed writes are hashed as they go; a materializer that needs to seek is hashed
        from what landed on disk, read back once.
        """
        with self._files.atomic_open(final, self._fsync) as handle:
            if materializer.SEEKABLE_WRITE:
                materializer.write_stream(value, handle)
                writer = None
            else:
                writer = HashingWriter(handle)
                try:
                    materializer.write_stream(value, writer)
                finally:
                    writer.close()
        if writer is not None:
            return writer.size, writer.content_hash
        with self._files.open_read(final) as back:
            content_hash = hash_file(back)
        return self._files.size(final) or 0, content_hash

    # -- reading -----------------------------------------------------------------------

    def sign(self, record: Any) -> Any:
        """``record`` (an `Artifact`) with this home's keyed hash: loads may run code it needs
        (see ``framework.artifacts.trust``). The launcher signs every output it records."""
        return attrs.evolve(record, mac=self.key.sign(record))

    def trusts(self, record: Any) -> bool:
        """True if ``record`` carries a keyed hash of this home's key."""
        return self.key.verifies(record)

    def load(self, info: ArtifactInfo, *, context: str = "", mmap: bool | None = None,
             allow_pickle: bool = False, trusted_types: Any = ()) -> Any:
        """Verify the artifact, then load it with its recorded materializer.

        ``context`` (e.g. "run `x`, step `trainer`, output `model`") goes into error
        messages. A missing, resized, altered or out-of-root file raises
        `ArtifactVerificationError` and its bytes are never deserialized.

        What was verified is what is loaded: the file is read once, hashed while it is read,
        and the materializer gets those bytes in memory — never the path again, which a file
        swapped in after the check could answer. ``mmap=True`` (numpy artifacts in a local
        store) trades that for memory: the file is checked, then mapped, and a process that
        writes into the stored file afterwards changes what the map shows; ``None``/``False``
        (the default) never map. An unregistered materializer name raises `MaterializerError`.

        Code: a pickle loads, and a skops file may name types beyond skops's defaults, only
        if the record carries this home's keyed hash or the caller opts in —
        ``allow_pickle=True`` (trust everything in it) or ``trusted_types=[...]`` (skops).
        """
        path = self._checked_path(info, context)
        files = self._files
        try:
            cls: type[BaseMaterializer] | None = materializer_by_name(info.materializer)
            unknown = None
        except MaterializerError as exc:  # reported after verification, which comes first
            cls, unknown = None, exc
        local = files.local_path(path)
        if mmap and local is not None and cls is not None and cls.SUPPORTS_MMAP and not cls.LOADS_CODE:
            problem = file_problem(files, info, path)
            if problem:
                raise verification_error(files, info, path, context, problem)
            source: Any = local
        else:
            source = read_verified(files, info, path, context)
        try:
            if cls is None:
                raise unknown  # type: ignore[misc]
            if info.format_version > cls.FORMAT_VERSION:
                raise MaterializerError(
                    f"Artifact {info.id} ({context or 'no context'}) was written with format "
                    f"version {info.format_version} of {info.materializer}, but this installation "
                    f"only knows version {cls.FORMAT_VERSION}. Upgrade the package that defines it.")
            options: dict[str, Any] = {"mmap": bool(mmap)} if (mmap is not None and cls.SUPPORTS_MMAP) else {}
            if cls.NEEDS_TRUST:
                options["trust"] = Trust(code=allow_pickle or self.trusts(info), types=frozenset(trusted_types))
            return cls().read_stream(source, info.data_type, **options)
        except ArtifactTrustError as exc:
            raise ArtifactTrustError(f"Artifact {info.id} ({context or 'no context'}): {exc}") from None
        except ArtifactError:
            raise
        except Exception as exc:
            raise ArtifactError(f"Could not load artifact {info.id} ({context or 'no context'}) with "
                                f"{info.materializer} from {files.display(path)}: {describe_os_error(exc)}"
                                ) from exc
        finally:
            if not isinstance(source, str):
                source.close()

    def read_bytes(self, info: ArtifactInfo, *, context: str = "") -> bytes:
        """The artifact's file, verified against its record (the bytes checked are the
        bytes returned): what a download serves. Raises like `load` for a bad file."""
        return bytes(read_verified(self._files, info, self._checked_path(info, context), context).data)

    # -- checks and housekeeping -------------------------------------------------------

    def verify(self, info: ArtifactInfo, *, quick: bool = False) -> bool:
        """True if the file exists inside the root with the recorded size and hash.

        Never raises for a bad artifact: missing, altered, unreadable or out-of-root → False.
        ``quick=True`` (cache checks) accepts, without hashing, a file whose stat signature
        is still the one recorded right after it was written (``ArtifactInfo.signature``:
        same boot, device, inode, size, mtime and ctime); any other file is hashed. So a
        file altered in any way — even to the same size, even with its mtime restored — is
        re-hashed, while an untouched 1 GB artifact costs one ``stat``. What it trusts is
        that the record itself is the store's own.
        """
        try:
            path = self._checked_path(info, "")
            if quick and info.signature is not None and self._files.signature(path) == info.signature:
                return True
            return file_problem(self._files, info, path) is None
        except (ArtifactError, OSError):
            return False

    def exists(self, info: ArtifactInfo) -> bool:
        """True if a file is at the artifact's path (contents not checked); False if missing
        or if the path resolves outside the root."""
        try:
            return self._files.size(self._checked_path(info, "")) is not None
        except ArtifactError:
            return False

    def delete(self, info: ArtifactInfo) -> bool:
        """Remove the artifact's file; False if it was already gone (not an error).

        A symlink is removed itself, never its target.
        """
        return self._files.remove(self._path(info, ""))

    def path_of(self, info: ArtifactInfo) -> str:
        """The artifact's full path (local) or URL (fsspec). The file may not exist."""
        return self._files.display(self._path(info, ""))

    def iter_artifact_files(self) -> Iterator[tuple[str, str, int]]:
        """Yield ``(artifact_id, path, size)`` for every artifact file under the root.

        Temp files and foreign files are skipped; an empty or missing root yields nothing.
        Meant for garbage collection: compare the ids with those the metadata records.
        """
        for path, name, size, _mtime in self._files.list_files():
            match = _ARTIFACT_FILE.match(name)
            if match and not is_temp_name(name):
                yield match.group(1), self._files.display(path), size

    def list_files(self) -> Iterator[StoredFile]:
        """Every artifact and temp file under the root (``stored_files.listing``)."""
        return listing(self._files, _ARTIFACT_FILE)

    def remove_file(self, stored: StoredFile) -> bool:
        """Delete one file `list_files` gave; False if it was already gone."""
        return self._files.remove(stored.path)

    def cleanup_temp_files(self, older_than_seconds: float = 0, *, dead_writers_only: bool = False,
                           before: float | None = None) -> int:
        """Remove leftover temp files; how many (``stored_files.sweep`` says which)."""
        return sweep(self, older_than_seconds, dead_writers_only=dead_writers_only, before=before)

    def _path(self, info: ArtifactInfo, context: str) -> str:
        """The full path the record points at, after checking its uri has our layout."""
        shard, _, name = info.uri.partition("/")
        if shard != info.id[:2] or not name.startswith(info.id) or "/" in name:
            raise ArtifactVerificationError(
                f"Artifact {info.id}{' for ' + context if context else ''} has uri {info.uri!r}, "
                "which is not a path this store writes; the record was altered.")
        return self._files.full(info.uri)

    def _checked_path(self, info: ArtifactInfo, context: str) -> str:
        path = self._path(info, context)
        if not self._files.is_inside(path):
            raise verification_error(
                self._files, info, path, context, f"resolves outside the store root {self.url} (a symlink?)")
        return path


def _summary(materializer: BaseMaterializer, value: Any) -> dict[str, Any]:
    """The summary of the instance that wrote ``value``, if it is strict JSON; never fails a save."""
    try:
        summary = materializer.summary(value)
        json.dumps(summary, allow_nan=False)
        return dict(summary)
    except Exception as exc:  # a summary is a convenience; record why it is absent
        return {"summary_error": f"{type(exc).__name__}: {exc}"[:200]}
