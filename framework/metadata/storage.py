"""Store files: a TinyDB ``Storage`` with atomic replace, and the one write transaction.

``AtomicJSONStorage`` is the two-method TinyDB contract for one file:

- ``read()`` parses the file *now* and returns its tables, or ``None`` when the file does
  not exist yet (an empty database). An existing file that is empty, truncated, not valid
  JSON or not a table mapping raises ``StoreCorruptedError`` naming the file and how to
  recover — the store never silently starts over.
- ``write(data)`` replaces the file atomically: strict JSON into a temp file in the same
  directory, fsync, keep the previous version as ``<file>.bak`` (a hard link to the old
  inode — no bytes copied), ``os.replace``, fsync the directory. Readers therefore see the
  old or the new file, never a torn one, and need no lock.

``StoreFiles.transaction()`` is the single path for mutations: it takes the process-wide
file lock ``<root>/.lock`` (``store_lock``: filelock's native lock, also exclusive between
threads), gives a ``Transaction`` whose TinyDB databases read each touched file fresh,
once, and buffer writes; on success it writes the files that changed (``replace_files``:
temp files fsynced concurrently, then renamed in the order the files were first changed,
then each directory fsynced once); on an exception nothing is written. ``StoreFiles.snapshot()`` is the read path:
one fresh, consistent read of one file, no lock.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from framework.exceptions import FrameworkError, StoreCorruptedError, StoreWriteError

LOCK_NAME = ".lock"
LOCK_TIMEOUT_S = 120.0
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-JSON constant {name}")


def _corrupted(path: str, problem: str) -> StoreCorruptedError:
    backup = path + ".bak"
    if os.path.exists(backup):
        fix = (
            f"To recover, restore the last good copy kept next to it: `cp '{backup}' '{path}'` "
            "(it lacks only the last write made to this file)."
        )
    else:
        fix = (
            f"No backup '{backup}' exists; restore the file from your own backup, or move it "
            "aside to start this part of the store empty (its records are then lost)."
        )
    return StoreCorruptedError(
        f"Metadata store file '{path}' {problem}; refusing to treat it as empty. {fix}"
    )


def load_tables(path: str) -> dict[str, dict[str, Any]] | None:
    """Parse one store file: its tables, ``None`` if it does not exist, or ``StoreCorruptedError``."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise _corrupted(path, "is empty")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise _corrupted(path, f"is truncated or not valid JSON ({error})") from None
    if type(data) is not dict or not all(type(table) is dict for table in data.values()):
        raise _corrupted(path, "is valid JSON but not a TinyDB table mapping")
    for name, table in data.items():
        for doc_id, doc in table.items():
            if type(doc) is not dict or not (doc_id.isascii() and doc_id.isdigit()):
                raise _corrupted(path, f"is valid JSON but table {name!r} holds {doc_id!r}: "
                                       f"{type(doc).__name__}, not a document with a numeric id")
    return data


def encode_tables(data: dict[str, Any]) -> bytes:
    """Strict, compact JSON bytes (``ValueError`` on NaN/Infinity or non-JSON values)."""
    return json.dumps(data, allow_nan=False, check_circular=False, separators=(",", ":")).encode("utf-8")


def fsync_dir(directory: str) -> None:
    """Make renames and creations inside ``directory`` durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | _O_DIRECTORY)
    except OSError:  # Windows cannot open directories; its renames are durable already
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _make_dirs(directory: str, unsynced: list[str] | None = None) -> None:
    """Create ``directory`` and missing parents; fsync each parent that got a new entry,
    or, with ``unsynced``, append those parents to it for the caller to fsync."""
    parent = os.path.dirname(directory)
    if parent and parent != directory and not os.path.isdir(parent):
        _make_dirs(parent, unsynced)
    try:
        os.mkdir(directory)
    except FileExistsError:
        return
    if unsynced is None:
        fsync_dir(parent or ".")
    else:
        unsynced.append(parent or ".")


def _keep_backup(path: str) -> None:
    """Make ``<path>.bak`` the current (about to be replaced) version of ``path``."""
    backup = path + ".bak"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(backup)
    try:
        os.link(path, backup)
    except FileNotFoundError:
        return  # first write of this file: nothing to keep
    except OSError:  # no hard links on this filesystem: copy instead
        with contextlib.suppress(FileNotFoundError):
            shutil.copyfile(path, backup)


def _keep_backup_deferred(path: str, trash: list[str]) -> None:
    """``_keep_backup``, without freeing the previous ``.bak`` now: it is renamed to a
    temp name (appended to ``trash``) and deleted later, off the transaction's path.

    Freeing a file's blocks waits for the filesystem journal, which the transaction's own
    fsyncs keep busy: measured 2.5 ms per unlink there, against 0.03 ms for a rename.
    A process that dies first leaves ``.<name>.bak.<hex>.tmp`` files, which the store's
    temp-file cleanup and ``framework gc`` remove like any other temp file.
    """
    backup = path + ".bak"
    old = os.path.join(os.path.dirname(path), f".{os.path.basename(backup)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        os.rename(backup, old)
        trash.append(old)
    except FileNotFoundError:
        pass
    _keep_backup(path)


def _discard(paths: list[str]) -> None:
    """Delete ``paths`` in the background (see ``_keep_backup_deferred``)."""
    if not paths:
        return

    def unlink_all() -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)

    try:
        _pool().submit(unlink_all)
    except RuntimeError:  # the interpreter is shutting down: do it now
        unlink_all()


def _write_error(path: str, exc: OSError) -> StoreWriteError:
    code = errno.errorcode.get(exc.errno, "?") if exc.errno is not None else "?"
    return StoreWriteError(
        exc.errno, f"Could not write metadata store file '{path}' ({code}: {exc.strerror or exc}); "
        "the file was left as it was. Free disk space or fix the permissions, then retry", path)


def replace_file(path: str, payload: bytes) -> None:
    """Atomically make ``payload`` the content of ``path`` (temp, fsync, .bak, replace, fsync dir).

    An OS error (disk full, read-only or unwritable directory) leaves ``path`` unchanged,
    removes the temp file and raises ``StoreWriteError`` (an ``OSError`` with the errno)
    naming ``path``.
    """
    directory = os.path.dirname(path)
    temp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(temp, flags, 0o644)
        except FileNotFoundError:
            _make_dirs(directory)
            fd = os.open(temp, flags, 0o644)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        _keep_backup(path)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from exc
        raise
    fsync_dir(directory)


def replace_files(items: list[tuple[str, bytes]] | list[tuple[str, bytes, bool]], *,
                  sync_dirs: bool = True) -> set[str]:
    """``replace_file`` for the files of one transaction, with the fsyncs batched.

    Every temp file is written first and all of them are fsynced *concurrently*: on a
    journaling filesystem (ext4, xfs) concurrent fsyncs share one journal commit, so a
    transaction touching two files waits for about one fsync, not two. Then, in the given
    order, each file's ``.bak`` is kept and its temp renamed into place; then each
    directory is fsynced once (renames made after the file fsyncs share one more commit).
    An item ``(path, payload, False)`` never has its directory fsynced: for index files
    whose last update may be lost to a power cut without harm (the cache index: a lost
    entry is a cache miss), as long as the file itself is never torn.
    With ``sync_dirs=False`` the directory fsyncs are left to the caller, who gets the
    directories back (see ``StoreFiles.transaction(durable=False)``): the files are
    still complete and fsynced before their rename, so no reader — after a crash or a
    power cut — ever sees a torn file; only the newest renames may be undone by a power cut.

    On an OS error nothing not yet renamed is changed, temp files are removed and
    ``StoreWriteError`` names the file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    staged: list[tuple[str, str]] = []  # (path, temp) fully written and fsynced
    new_parents: list[str] = []  # directories that got a new subdirectory
    trash: list[str] = []  # previous backups, deleted after the transaction
    renamed = 0
    current = items[0][0] if items else ""
    try:
        fds: list[int] = []
        try:
            for path, payload, *flag in items:
                current = path
                directory = os.path.dirname(path)
                temp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
                try:
                    fd = os.open(temp, flags, 0o644)
                except FileNotFoundError:
                    _make_dirs(directory, new_parents if (not flag or flag[0]) else [])
                    fd = os.open(temp, flags, 0o644)
                fds.append(fd)
                staged.append((path, temp))
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
            _fsync_all(fds)
        finally:
            for fd in fds:
                os.close(fd)
        for path, temp in staged:
            current = path
            _keep_backup_deferred(path, trash)
            os.replace(temp, path)
            renamed += 1
    except BaseException as exc:
        _discard(trash)
        for _path, temp in staged[renamed:]:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(exc, OSError) and not isinstance(exc, StoreWriteError):
            raise _write_error(current, exc) from exc
        raise
    _discard(trash)
    directories = {os.path.dirname(path) for path, _, *flag in items if not flag or flag[0]}
    directories |= set(new_parents)
    if sync_dirs:
        fsync_dirs(directories)
        return set()
    return directories


def fsync_dirs(directories: set[str] | list[str]) -> None:
    """``fsync_dir`` for several directories, concurrently (see ``_fsync_all``)."""
    fds = []
    try:
        for directory in directories:
            try:
                fds.append(os.open(directory, os.O_RDONLY | _O_DIRECTORY))
            except OSError:  # Windows cannot open directories; its renames are durable already
                continue
        try:
            _fsync_all(fds)
        except OSError:  # some filesystems refuse fsync on directories
            pass
    finally:
        for fd in fds:
            os.close(fd)


_FSYNC_POOL: dict[int, Any] = {}  # pid -> executor (a forked child makes its own)


def _pool() -> Any:
    pool = _FSYNC_POOL.get(os.getpid())
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _FSYNC_POOL.clear()
        pool = _FSYNC_POOL[os.getpid()] = ThreadPoolExecutor(16, thread_name_prefix="framework-fsync")
    return pool


def _fsync_all(fds: list[int]) -> None:
    """fsync every descriptor; several at once in threads so they share journal commits.

    Measured on ext4 (2-core VM): 100 fsyncs of new files take 280 ms one after another,
    25 ms from 4 threads and 11 ms from 16 — concurrent fsyncs wait for the same commit.
    """
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    pool = _pool()
    futures = [pool.submit(os.fsync, fd) for fd in fds]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error


class AtomicJSONStorage(Storage):
    """One store file. ``read()`` is fresh on every call; ``write()`` replaces atomically.

    ``read()`` returns ``None`` when the file does not exist yet (the empty database) and
    raises ``StoreCorruptedError`` when it exists but is empty, truncated or unparsable.
    Call ``write()`` only while holding the store lock (``StoreFiles.transaction``).
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, Any]] | None:
        return load_tables(self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        replace_file(self.path, encode_tables(data))


class _BufferedStorage(AtomicJSONStorage):
    """Reads the file once (a consistent snapshot) and holds writes until ``flush()``.

    Used for one transaction (``on_write`` set) or one read (``on_write`` is ``None``:
    read-only). Never outlives the operation that made it.
    """

    _UNREAD = object()
    sync_dir = True  # fsync the directory after the rename (False: see ``Transaction.db(index=True)``)

    def __init__(self, path: str, on_write: Callable[[_BufferedStorage], None] | None) -> None:
        super().__init__(path)
        self._data: Any = self._UNREAD
        self._on_write = on_write
        self.dirty = False

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._data is self._UNREAD:
            self._data = super().read()
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._on_write is None:
            raise RuntimeError(f"{self.path} was opened for reading only")
        self._data = data
        if not self.dirty:
            self.dirty = True
            self._on_write(self)

    def flush(self) -> None:
        if self.dirty:
            super().write(self._data)
            self.dirty = False


def _tinydb(storage: Storage) -> TinyDB:
    return TinyDB(storage=lambda: storage)


class Transaction:
    """The files one write touches: each read fresh once, written at commit if changed."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._dbs: dict[str, TinyDB] = {}
        self._dirty: list[_BufferedStorage] = []

    def db(self, relpath: str, *, index: bool = False) -> TinyDB:
        """The TinyDB database in ``<root>/<relpath>`` as of this transaction.

        ``index=True``: a derived index file (the cache index) whose directory need not be
        fsynced: losing its last update to a power cut costs a cache hit, nothing else.
        """
        db = self._dbs.get(relpath)
        if db is None:
            storage = _BufferedStorage(os.path.join(self._root, relpath), self._dirty.append)
            storage.sync_dir = not index
            db = self._dbs[relpath] = _tinydb(storage)
        return db

    def exists(self, relpath: str) -> bool:
        return self.db(relpath).storage.read() is not None

    def commit(self, *, sync_dirs: bool = True) -> set[str]:
        """Write the changed files (``replace_files``); return directories left unsynced."""
        # In first-change order, so callers order writes to keep partial commits harmless.
        # Everything is encoded first: a value JSON cannot hold writes no file at all.
        changed = [storage for storage in self._dirty if storage.dirty]
        self._dirty.clear()
        if not changed:
            return set()
        payloads = [(storage.path, encode_tables(storage._data), storage.sync_dir) for storage in changed]
        unsynced = replace_files(payloads, sync_dirs=sync_dirs)
        for storage in changed:
            storage.dirty = False
        return unsynced


@contextlib.contextmanager
def store_lock(path: str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the exclusive store lock ``path`` (``<root>/.lock``) for the ``with`` block.

    The same native lock ``filelock.FileLock`` takes on that path (``flock`` on POSIX,
    ``LockFileEx`` on Windows), taken with ``filelock.lock_descriptor`` on a descriptor
    opened for this one hold: locks held through different descriptors exclude each other,
    so this serialises threads as well as processes, survives forks, and keeps no file
    open between transactions. (``FileLock`` itself re-checks the path on every acquire,
    ~0.15 ms per transaction here.) Waits poll with a short back-off, up to ``timeout``.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            _make_dirs(os.path.dirname(path))
            fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        deadline = time.monotonic() + timeout
        delay = 0.0002
        while not _lock_descriptor(fd):
            if time.monotonic() > deadline:
                raise FrameworkError(
                    f"The metadata store lock '{path}' was held by another writer for over "
                    f"{timeout:.0f} s; check for a hung process writing to this store."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.005)
        try:
            yield
        finally:
            _unlock_descriptor(fd)
    finally:
        os.close(fd)


_LOCKING: list[Any] = []  # (lock, unlock), resolved by the first transaction: readers never import filelock


def _locking() -> list[Any]:
    if not _LOCKING:
        import filelock

        if hasattr(filelock, "lock_descriptor"):  # filelock >= 3.30
            _LOCKING[:] = [lambda fd: filelock.lock_descriptor(fd, blocking=False), filelock.unlock_descriptor]
        else:  # older filelock: the same flock its UnixFileLock takes
            import fcntl

            def lock(fd: int) -> bool:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            _LOCKING[:] = [lock, lambda fd: fcntl.flock(fd, fcntl.LOCK_UN)]
    return _LOCKING


def _lock_descriptor(fd: int) -> bool:
    return _locking()[0](fd)


def _unlock_descriptor(fd: int) -> None:
    _locking()[1](fd)


class StoreFiles:
    """All files below one store root: locked transactions for writers, snapshots for readers."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self._unsynced: set[str] = set()

    def path(self, relpath: str) -> str:
        return os.path.join(self.root, relpath)

    def snapshot(self, relpath: str) -> TinyDB:
        """A read-only TinyDB view of one file, read fresh (once) when first queried."""
        return _tinydb(_BufferedStorage(self.path(relpath), None))

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Transaction]:
        """Lock, yield a fresh ``Transaction``, commit it if the block succeeds, unlock.

        ``durable=False`` skips the directory fsyncs after the renames (the files
        themselves are still fsynced before their rename, so nothing is ever torn): the
        directories are remembered and fsynced by the next durable transaction of this
        object or by ``sync()``. A run's step records use it (see ``MetadataStore.record_steps``).
        """
        with store_lock(self.path(LOCK_NAME)):
            txn = Transaction(self.root)
            yield txn
            unsynced = txn.commit(sync_dirs=durable)
            if durable:
                self.sync()
            else:
                self._unsynced.update(unsynced)

    def sync(self) -> None:
        """fsync the directories that non-durable transactions left unsynced."""
        if self._unsynced:
            directories, self._unsynced = self._unsynced, set()
            fsync_dirs(directories)
