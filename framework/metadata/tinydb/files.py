"""Store files: fresh reads for readers, one locked transaction for writers.

Each store file is one TinyDB database (a JSON mapping of tables). `StoreFiles.snapshot`
is the read path: one fresh, consistent read of one file, no lock — files are only ever
replaced atomically, so a reader sees the old or the new file, never a torn one.
`StoreFiles.transaction` is the single path for mutations: it takes the store lock
(``locking.store_lock``), gives a `Transaction` whose databases read each touched file
fresh, once, and buffer writes; on success the changed files are replaced as one batch
(``framework.io.atomic.write_many``: temp files fsynced concurrently, renamed in the
order the files were first changed, previous versions kept as ``<file>.bak``); on an
exception nothing is written.

An existing file that is empty, truncated, not valid JSON, not a table mapping or not what
its checksum says (``seal``: damage that is still valid JSON) raises ``StoreCorruptedError``
naming the file and the ``.bak`` to restore; a missing file is an empty database (callers
that know a file must exist say so: ``presence``). The first transaction of a store
creates its identity (``identity``: ``store.json``).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from framework.exceptions import StoreWriteError
from framework.io.atomic import discard, fsync_dirs, temp_path, write_many
from framework.metadata.tinydb.codec import corrupted, encode_tables, load_tables
from framework.metadata.tinydb.locking import LOCK_NAME, store_lock

__all__ = ["StoreFiles", "Transaction", "corrupted", "encode_tables", "load_tables", "write_error"]


def write_error(path: str, exc: OSError) -> StoreWriteError:
    """An OS error writing ``path`` as the error users see: the file, the cause, the fix."""
    code = errno.errorcode.get(exc.errno, "?") if exc.errno is not None else "?"
    return StoreWriteError(
        exc.errno, f"Could not write metadata store file '{path}' ({code}: {exc.strerror or exc}); "
        "the file was left as it was. Free disk space or fix the permissions, then retry", path)


def _on_write_error(path: str, exc: OSError) -> BaseException:
    return exc if isinstance(exc, StoreWriteError) else write_error(path, exc)


class _BufferedStorage(Storage):
    """One file, read once (a consistent snapshot); writes are held for the transaction.

    ``on_write`` is None for a read-only snapshot. Never outlives the operation that made it.
    """

    _UNREAD = object()

    def __init__(self, path: str, on_write: Callable[[_BufferedStorage], None] | None, durable: bool = True,
                 sealed: Callable[[], bool] | None = None) -> None:
        self.path = path
        self.sealed = sealed
        self.durable = durable  # False: a derived index whose directory need not be fsynced
        self.data: Any = self._UNREAD
        self._on_write = on_write
        self.dirty = False

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self.data is self._UNREAD:
            self.data = load_tables(self.path, self.sealed)
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._on_write is None:
            raise RuntimeError(f"{self.path} was opened for reading only")
        self.data = data
        if not self.dirty:
            self.dirty = True
            self._on_write(self)


def _tinydb(storage: Storage) -> TinyDB:
    return TinyDB(storage=lambda: storage)


class Transaction:
    """The files one write touches: each read fresh once, written at commit if changed, and
    the files it removes (`remove`), gone once every rewritten file is in place."""

    def __init__(self, root: str, sealed: Callable[[], bool] | None = None, files: Any = None) -> None:
        self._root = root
        self._sealed = sealed
        self.files: Any = files  # the `StoreFiles` it belongs to (for checks that read other files)
        self._dbs: dict[str, TinyDB] = {}
        self._dirty: list[_BufferedStorage] = []
        self._removed: dict[str, None] = {}
        self.trash: list[str] = []  # removed files, renamed aside: unlinked once the lock is released

    def remove(self, relpath: str) -> None:
        """Remove ``<root>/<relpath>`` (and its ``.bak``) when the transaction commits, after
        the changed files are written: the files that point at it are rewritten first, so a
        crash in between leaves a file nothing points to, never a pointer to a missing file.
        A file both changed and removed is removed."""
        self._removed[relpath] = None

    def db(self, relpath: str, *, index: bool = False) -> TinyDB:
        """The TinyDB database in ``<root>/<relpath>`` as of this transaction.

        ``index=True``: a derived index file (the cache index) whose directory need not be
        fsynced: losing its last update to a power cut costs a cache hit, nothing else.
        """
        db = self._dbs.get(relpath)
        if db is None:
            storage = _BufferedStorage(os.path.join(self._root, relpath), self._dirty.append, durable=not index,
                                       sealed=self._sealed)
            db = self._dbs[relpath] = _tinydb(storage)
        return db

    def changed(self, relpath: str) -> bool:
        """Has this transaction written to ``<root>/<relpath>`` so far?"""
        db = self._dbs.get(relpath)
        return db is not None and db.storage.dirty

    def exists(self, relpath: str) -> bool:
        return self.db(relpath).storage.read() is not None

    def commit(self, *, sync_dirs: bool = True) -> set[str]:
        """Write the changed files, then remove the removed ones; return the directories
        left unsynced."""
        # In first-change order, so callers order writes to keep partial commits harmless.
        # Everything is encoded first: a value JSON cannot hold writes no file at all.
        removed = [os.path.join(self._root, relpath) for relpath in self._removed]
        gone = set(removed)
        changed = [storage for storage in self._dirty if storage.dirty and storage.path not in gone]
        self._dirty.clear()
        self._removed.clear()
        unsynced: set[str] = set()
        if changed:
            payloads = [(storage.path, encode_tables(storage.data), storage.durable) for storage in changed]
            unsynced = write_many(payloads, backups=True, sync_dirs=sync_dirs, on_error=_on_write_error)
            for storage in changed:
                storage.dirty = False
        if removed:
            trash, directories = _remove_files(removed)
            self.trash.extend(trash)
            unsynced |= directories
            if sync_dirs:
                fsync_dirs(unsynced)
                unsynced = set()
        return unsynced


def _remove_files(paths: list[str]) -> tuple[list[str], set[str]]:
    """Take ``paths`` and their ``.bak`` out of the store; return the temp names they now
    have (to unlink once the store lock is released) and their directories.

    Renaming is a fast metadata operation; unlinking waits for the journal (~1 ms a file),
    so it happens after the lock is released, in the background (`_free`). A crash in
    between leaves temp files, which the store's temp-file sweep removes.
    """
    trash: list[str] = []
    directories: set[str] = set()
    for path in paths:
        for victim in (path, path + ".bak"):
            doomed = temp_path(victim)
            try:
                os.rename(victim, doomed)
            except FileNotFoundError:
                continue
            except OSError as exc:
                discard(trash)
                raise write_error(victim, exc) from exc
            trash.append(doomed)
            directories.add(os.path.dirname(victim))
    return trash, directories


def _free(trash: list[str]) -> None:
    """Unlink removed files (already renamed aside) from background threads, several at once.

    The deletion is complete when the transaction commits: nothing names these files any
    more. Freeing their blocks waits for the filesystem journal (~1 ms a file), so the
    caller does not wait for it; the process does before it exits (the pool's threads are
    joined), and a crash leaves temp files that the store's sweep and ``framework gc`` remove.
    """
    if not trash:
        return
    step = max(1, len(trash) // 16 + 1)
    for start in range(0, len(trash), step):
        discard(trash[start:start + step])


class StoreFiles:
    """All files below one store root: locked transactions for writers, snapshots for readers."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self._unsynced: set[str] = set()
        self._sealed: bool | None = None  # from store.json (``identity``), once it exists
        self.identity: dict[str, Any] | None = None  # store.json as this object last wrote or checked it

    def forget_identity(self) -> None:
        """Read ``store.json`` again when next needed (after ``doctor --repair`` rewrote it)."""
        self.identity, self._sealed = None, None

    def sealed(self) -> bool:
        """Must every file carry a checksum? Asked only of a file without one (``seal``)."""
        if self._sealed is None:
            from framework.metadata.tinydb import identity

            self._sealed = identity.is_sealed(self)
        return bool(self._sealed)

    def path(self, relpath: str) -> str:
        return os.path.join(self.root, relpath)

    def snapshot(self, relpath: str) -> TinyDB:
        """A read-only TinyDB view of one file, read fresh (once) when first queried."""
        return _tinydb(_BufferedStorage(self.path(relpath), None, sealed=self.sealed))

    def tables(self, relpath: str) -> dict[str, dict[str, Any]]:
        """The parsed tables of one file (``{}`` if missing), without TinyDB documents: for
        hot reads that only iterate."""
        return load_tables(self.path(relpath), self.sealed) or {}

    def load(self, relpath: str) -> dict[str, dict[str, Any]] | None:
        """`tables`, but ``None`` for a missing file (for readers that must tell the two apart)."""
        return load_tables(self.path(relpath), self.sealed)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store lock (no transaction): writers wait for the block."""
        with store_lock(self.path(LOCK_NAME), on_error=write_error):
            yield

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Transaction]:
        """Lock, yield a fresh ``Transaction``, commit it if the block succeeds, unlock.

        ``durable=False`` skips the directory fsyncs after the renames (the files
        themselves are still fsynced before their rename, so nothing is ever torn): the
        directories are remembered and fsynced by the next durable transaction of this
        object or by ``sync()``. A run's step records use it.
        """
        with self.locked():
            txn = Transaction(self.root, self.sealed, self)
            from framework.metadata.tinydb import identity

            identified = self.identity
            if identified is None:  # the store's first transaction creates store.json (first in commit order)
                identified = identity.ensure(txn, self)
            yield txn
            identity.keep_mirror(txn, identified["id"])
            unsynced = txn.commit(sync_dirs=durable)
            self.identity, self._sealed = identified, bool(identified.get("sealed"))
            if durable:
                self.sync()
            else:
                self._unsynced.update(unsynced)
        _free(txn.trash)

    def sync(self) -> None:
        """fsync the directories that non-durable transactions left unsynced."""
        if self._unsynced:
            directories, self._unsynced = self._unsynced, set()
            fsync_dirs(directories)
