"""Reading a whole TinyDB store at once, for ``framework doctor``: every file, parsed or not.

Readers of the store read only the files an operation needs and stop at the first damaged
one; the doctor needs the opposite — every file, every problem, and what is still good —
so it reads the store once into a `Scan`: the tables of each file that parses and
verifies, the reason for each that does not, and the run records (the source of truth
every index, name claim and counter is rebuilt from).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from framework.exceptions import StoreCorruptedError
from framework.io.atomic import is_temp_name
from framework.metadata.tinydb import identity, layout
from framework.metadata.tinydb.files import StoreFiles, load_tables
from framework.metadata.tinydb.seal import has_sum

#: Kinds of store file, by relative path.
KINDS = (
    ("store", re.compile(r"^store\.json$")),
    ("pipelines", re.compile(r"^pipelines\.json$")),
    ("versions", re.compile(r"^versions\.json$")),
    ("steps", re.compile(r"^runs/[^/]{2}/([A-Za-z0-9_-]{2,128})\.steps(?:\.([0-9]+))?\.json$")),
    ("run", re.compile(r"^runs/[^/]{2}/([A-Za-z0-9_-]{2,128})\.json$")),
    ("names", re.compile(r"^names/[0-9a-f]{3}\.json$")),
    ("index", re.compile(r"^index/([A-Za-z0-9_-]{2,128})/([0-9]{6})\.json$")),
    ("cache", re.compile(r"^cache/[^/]{2}/[^/]+\.json$")),
)


def kind_of(relpath: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in KINDS:
        match = pattern.match(relpath)
        if match:
            return kind, match
    return None


@dataclass
class Scan:
    """One read of every file of a store."""

    files: StoreFiles
    sealed: bool = False
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # relpath -> tables (good files)
    damaged: dict[str, str] = field(default_factory=dict)  # relpath -> what is wrong with it
    kinds: dict[str, str] = field(default_factory=dict)  # relpath -> kind (every store file found)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> run document (good run files)
    steps: dict[str, dict[int, str]] = field(default_factory=dict)  # run id -> chunk -> relpath (found)
    unsealed: set[str] = field(default_factory=set)  # good files without a checksum (older stores)

    def path(self, relpath: str) -> str:
        return self.files.path(relpath)

    def table(self, relpath: str, name: str) -> dict[str, Any]:
        return (self.tables.get(relpath) or {}).get(name) or {}

    def docs(self, relpath: str, name: str) -> list[dict[str, Any]]:
        return list(self.table(relpath, name).values())

    def backup(self, relpath: str) -> dict[str, Any] | None:
        """The tables of ``<file>.bak`` if it parses and verifies, else None."""
        try:
            return load_tables(self.path(relpath) + ".bak", sealed=lambda: self.sealed)
        except StoreCorruptedError:
            return None


def _walk(root: str) -> list[str]:
    found = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != "leases" or directory != root]
        for name in names:
            if name.endswith(".bak") or is_temp_name(name) or name.startswith("."):
                continue
            found.append(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    return sorted(found)


def scan(files: StoreFiles) -> Scan:
    """Read every store file below ``files.root``."""
    result = Scan(files)
    try:
        ident = identity.read(files)
    except StoreCorruptedError as exc:
        ident = None
        result.damaged[identity.STORE_FILE] = str(exc)
    result.sealed = bool(ident and ident.get("sealed"))
    for relpath in _walk(files.root):
        kind = kind_of(relpath)
        if kind is None:
            continue
        result.kinds[relpath] = kind[0]
        if relpath in result.damaged:
            continue
        try:
            tables = load_tables(files.path(relpath), sealed=lambda: result.sealed)
        except StoreCorruptedError as exc:
            result.damaged[relpath] = str(exc)
            continue
        result.tables[relpath] = tables or {}
        with open(files.path(relpath), "rb") as handle:
            if not has_sum(handle.read()):
                result.unsealed.add(relpath)
        if kind[0] == "run":
            docs = list((tables or {}).get("run", {}).values())
            if docs:
                result.runs[kind[1].group(1)] = dict(docs[0])
            else:
                result.damaged[relpath] = f"Metadata store file '{files.path(relpath)}' holds no run record"
        elif kind[0] == "steps":
            result.steps.setdefault(kind[1].group(1), {})[int(kind[1].group(2) or 0)] = relpath
    for relpath, kind_name in result.kinds.items():  # damaged steps files still count as present
        if kind_name == "steps" and relpath in result.damaged:
            match = KINDS[3][1].match(relpath)
            result.steps.setdefault(match.group(1), {})[int(match.group(2) or 0)] = relpath
    return result


def valid_runs(scan_: Scan) -> dict[str, dict[str, Any]]:
    """The run documents that are records this version reads (the ones to rebuild from)."""
    from framework.exceptions import RecordError
    from framework.records import Run, from_doc

    valid = {}
    for run_id, doc in scan_.runs.items():
        try:
            from_doc(Run, doc)
        except RecordError:
            continue
        valid[run_id] = doc
    return valid


def steps_expected(scan_: Scan, run_id: str) -> int | None:
    from framework.metadata.tinydb import presence

    return presence.steps_files_expected(scan_.tables.get(layout.run_file(run_id)) or {}, scan_.runs[run_id])
