"""Reference records: which artifacts each home's runs use, kept in the artifact store itself.

Several homes (several metadata stores: containers, machines, a laptop and a team's
PostgreSQL) may write to one artifact store. Each metadata store knows only its own runs,
so ``framework gc`` in one home used to delete every artifact the others had written. Now
every run leaves a record beside the artifacts it uses::

    <artifact root>/.refs/<store id>/<run id>.json
    {"store": ..., "run": ..., "name": ..., "status": "running" | "completed" | ...,
     "start_time": ..., "artifacts": [ids], "location": <its metadata store, for people>}

written when the run starts (``running``, no artifacts yet: it tells other homes' gc that
files newer than its start may be its own, not yet recorded) and rewritten atomically when
it ends (its final status and every artifact it references, cached ones included). A
deleted run's record is withdrawn. gc deletes an artifact only if no record of any *other*
store lists it and no such run in progress started before the file was written; its own
store it asks directly (and brings its own records up to date: ``framework.execution.references``).

Records go through the artifact store's file layer (``filesystems``): the atomic replace of
``framework.io.atomic`` on a local disk, a temp key then a move on S3-like stores, so a
reader sees a whole record or the previous one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import attrs

from framework.exceptions import ArtifactError
from framework.io.atomic import describe_os_error, is_temp_name

REFS_DIR = ".refs"
_ID = re.compile(r"^[0-9a-zA-Z_-]{2,128}$")


@attrs.frozen
class RefRecord:
    """One run's reference record, as read back."""

    store: str
    run: str
    status: str
    start_time: str | None
    artifacts: frozenset[str]
    location: str  # where the record lives (for messages)


class References:
    """The reference records below one artifact store root (``ArtifactStore.references``)."""

    def __init__(self, files: Any, *, fsync: bool = False) -> None:
        self._files = files
        self._fsync = fsync

    def _path(self, store_id: str, run_id: str) -> str:
        for value, what in ((store_id, "store id"), (run_id, "run id")):
            if not isinstance(value, str) or not _ID.match(value):
                raise ValueError(f"a reference record needs a safe {what}, got {value!r}")
        return self._files.full(f"{REFS_DIR}/{store_id}/{run_id}.json")

    def write(self, store_id: str, run_id: str, *, status: str, start_time: str | None,
              artifacts: Iterable[str] = (), name: str | None = None, location: str | None = None) -> None:
        """Record (or replace atomically) what run ``run_id`` of store ``store_id`` references."""
        path = self._path(store_id, run_id)
        record = {"store": store_id, "run": run_id, "name": name, "status": status, "start_time": start_time,
                  "artifacts": sorted(set(artifacts)), "location": location}
        payload = json.dumps(record, separators=(",", ":")).encode("utf-8")
        try:
            self._files.make_parent(path)
            with self._files.atomic_open(path, self._fsync) as handle:
                handle.write(payload)
        except OSError as exc:
            raise ArtifactError(f"Could not write the reference record {self._files.display(path)}: "
                                f"{describe_os_error(exc)}") from exc

    def withdraw(self, store_id: str, run_id: str) -> bool:
        """Remove a run's record (the run was deleted); False if there was none."""
        return self._files.remove(self._path(store_id, run_id))

    def runs_of(self, store_id: str) -> dict[str, str]:
        """Run id -> recorded status, for every record of store ``store_id`` (not parsed: for
        bringing a store's own records up to date)."""
        found = {}
        for path, name, _size, _mtime in self._files.list_below(f"{REFS_DIR}/{store_id}"):
            if not is_temp_name(name) and name.endswith(".json"):
                found[name[:-len(".json")]] = path
        return {run_id: self._status(path) for run_id, path in found.items()}

    def _status(self, path: str) -> str:
        try:
            return str(json.loads(self._files.read_bytes(path)).get("status"))
        except (OSError, ValueError, AttributeError):
            return "unreadable"

    def has_store(self, store_id: str) -> bool:
        """Has store ``store_id`` any record here (has it announced itself)? Costs one
        directory read, not one per record: every run start asks."""
        return self._files.has_below(f"{REFS_DIR}/{store_id}")

    def read_all(self, *, except_store: str | None = None) -> list[RefRecord]:
        """Every record (of every store but ``except_store``). A record that cannot be read
        is an `ArtifactError` naming it: gc must not guess what it protects."""
        records = []
        for path, name, _size, _mtime in self._files.list_below(REFS_DIR):
            if is_temp_name(name) or not name.endswith(".json"):
                continue
            store = path.replace("\\", "/").rsplit("/", 2)[-2]
            if store == except_store:
                continue
            records.append(self._read(path, store))
        return records

    def _read(self, path: str, store: str) -> RefRecord:
        shown = self._files.display(path)
        try:
            doc = json.loads(self._files.read_bytes(path))
            artifacts = doc["artifacts"]
            if type(artifacts) is not list or not all(type(a) is str for a in artifacts):
                raise ValueError("its artifacts are not a list of ids")
            return RefRecord(store=store, run=str(doc["run"]), status=str(doc["status"]),
                             start_time=doc.get("start_time"), artifacts=frozenset(artifacts), location=shown)
        except FileNotFoundError:  # withdrawn while we listed
            return RefRecord(store=store, run="", status="withdrawn", start_time=None, artifacts=frozenset(),
                             location=shown)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ArtifactError(
                f"The reference record {shown} cannot be read ({exc}); gc cannot tell which artifacts the "
                f"home that wrote it still needs, so it deletes nothing. If store {store} no longer exists, "
                "remove its directory; otherwise run `framework gc` in that home, which rewrites its records."
            ) from None
