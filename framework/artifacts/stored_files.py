"""The files below an artifact store's root, as gc and the temp-file sweep see them.

`listing` finds artifact files and temp files (the temp files of reference records too)
with their size and modification time; `sweep` removes the temp files left by saves
that crashed. Both work on any file layer (``framework.artifacts.filesystems``).
"""

from __future__ import annotations

import re
import time
from typing import Any, Iterator

import attrs

from framework.io.atomic import is_temp_name, owner_tag, sweep_temp_files, temp_owner


def _writer_is_dead(name: str) -> bool:
    """True only if a temp file's writer ran on this host and is known to be gone."""
    owner = temp_owner(name)
    if owner is None or owner[0] != owner_tag().split("-")[0]:
        return False
    from framework.liveness import is_dead, this_host

    return is_dead(this_host(), owner[1], None)


@attrs.frozen
class StoredFile:
    """One file below the store root, as `ArtifactStore.list_files` finds it."""

    path: str  # as the file layer names it (for removing)
    shown: str  # as users see it: a local path or a URL
    size: int
    mtime: float | None
    artifact_id: str | None  # None: a temp file
    owner_is_dead: bool = False  # a temp file whose writer process is known to be gone

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


def listing(files: Any, artifact_file: re.Pattern[str]) -> Iterator[StoredFile]:
    """Every artifact and temp file under the root of ``files`` (and the temp files of the
    reference records), with size and modification time (``None`` where the backend cannot
    tell); foreign files are skipped."""
    from framework.artifacts.refs import REFS_DIR

    for path, name, size, mtime in files.list_files():
        temp = is_temp_name(name)
        match = None if temp else artifact_file.match(name)
        if match or temp:
            yield StoredFile(path, files.display(path), size, mtime,
                             match.group(1) if match else None, owner_is_dead=temp and _writer_is_dead(name))
    for path, name, size, mtime in files.list_below(REFS_DIR):
        if is_temp_name(name):
            yield StoredFile(path, files.display(path), size, mtime, None, owner_is_dead=_writer_is_dead(name))


def sweep(store: Any, older_than_seconds: float = 0, *, dead_writers_only: bool = False,
          before: float | None = None) -> int:
    """Remove leftover temp files at least this old; return how many were removed.

    Temp files belong to saves that crashed — or to saves still running in another
    process, so pass a generous age (e.g. 3600) when other writers may be active.
    Files whose age the backend cannot tell are removed only when the age is 0.

    ``dead_writers_only=True`` removes, whatever their age, only temp files whose
    writer process (recorded in the temp name: host and pid) is known to be gone from
    this host — safe while other runs are saving. The launcher does this when it finds
    a crashed run. ``before`` (seconds since the epoch) keeps every temp file modified at
    or after it (or of unknown age): the start of the oldest run still live, since a pid
    in a temp name says nothing across pid namespaces (containers sharing a home).
    """
    now = time.time()

    def keep(stored: StoredFile) -> bool:
        if before is not None and (stored.mtime is None or stored.mtime >= before):
            return True
        if dead_writers_only:
            return not stored.owner_is_dead
        return not (older_than_seconds <= 0 or (stored.mtime is not None and now - stored.mtime >= older_than_seconds))

    return len(sweep_temp_files(list(store.list_files()), lambda f: f.name, store.remove_file, keep))
