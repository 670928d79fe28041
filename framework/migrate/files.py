"""The file side of ``framework migrate PATH``: read, migrate, print or write, and the exit code.

PATH is a script, or a directory: then every ``.py`` file under it is one module of a
project, migrated together (a pipeline defined in one module and instantiated in
another converts as one), and the directory is the project's root, where ``python
run.py`` would run. Several paths are migrated together too (their common directory is
the root).
"""

from __future__ import annotations

import difflib
import io
import os
import sys
import tokenize
from pathlib import Path
from typing import TextIO

from framework.io.atomic import atomic_write
from framework.migrate.report import format_todo

OK, TODOS_LEFT, USAGE = 0, 1, 2
_SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages"}


def _looks_like_python(path: Path, head: bytes) -> bool:
    if path.suffix in (".py", ".pyw"):
        return True
    first = head.splitlines()[0] if head else b""
    return first.startswith(b"#!") and b"python" in first


def _read(file: Path, name: str) -> tuple[str, str]:
    """The source and its encoding; raises ``ValueError`` with the one-line usage error."""
    if not file.exists():
        raise ValueError(f"{name}: no such file")
    if not file.is_file():
        raise ValueError(f"{name}: not a file")
    raw = file.read_bytes()
    if not _looks_like_python(file, raw):
        raise ValueError(f"{name}: not a Python file (expected a .py file)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        source = raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: cannot be decoded as Python source ({exc})") from None
    return (source[1:] if source.startswith("\ufeff") else source), encoding


def python_files(directory: Path) -> list[Path]:
    """Every ``.py`` file under ``directory``, except in hidden directories, caches and virtual environments."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS
                         and not (Path(root) / d / "pyvenv.cfg").exists())
        found.extend(Path(root) / f for f in sorted(files) if f.endswith(".py"))
    return found


def migrate_file(
    path: str | os.PathLike,
    write: bool = False,
    diff: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Migrate one file, or the project in one directory; print the result (or a diff) or rewrite in place.

    0: fully migrated (or nothing to do); 1: TODOs remain (the result is still printed or
    written) or the codemod failed; 2: usage error - missing file, not Python, or a syntax
    error - reported as one line naming the file.
    """
    return migrate_paths([path], write=write, diff=diff, stdout=stdout, stderr=stderr)


def migrate_paths(
    paths: list[str | os.PathLike],
    write: bool = False,
    diff: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """``migrate_file`` for several files or directories, migrated together as one project.

    A single file is migrated on its own (as ``migrate_file`` always did); printing several
    files prints each one that changes after a ``# ==> FILE <==`` line.
    """
    from framework.migrate import MigrationError, migrate_project, migrate_source

    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    files: list[tuple[Path, str]] = []
    for path in paths:
        given = Path(path)
        if given.is_dir():
            found = [(f, os.path.normpath(os.path.join(str(path), f.relative_to(given)))) for f in python_files(given)]
            if not found:
                print(f"{path}: no Python files in this directory", file=err)
                return USAGE
            files += found
        else:
            files.append((given, str(path)))
    sources: dict[str, tuple[str, str]] = {}
    for file, name in files:
        try:
            sources[name] = _read(file, name)
        except ValueError as exc:
            print(exc, file=err)
            return USAGE
    alone = len(files) == 1 and not Path(paths[0]).is_dir()
    try:
        if alone:
            ((name, (source, _)),) = sources.items()
            results = {name: migrate_source(source, name)}
        else:
            results = migrate_project({name: source for name, (source, _) in sources.items()})
    except SyntaxError as exc:
        print(f"{exc.filename}:{exc.lineno or 1}: syntax error: {exc.msg}", file=err)
        return USAGE
    except MigrationError as exc:
        what = "the file is unchanged" if alone else "nothing was changed"
        print(f"{', '.join(sources)}: the codemod failed ({exc}); {what}", file=err)
        return TODOS_LEFT
    for (file, name), result in zip(files, results.values()):
        source, encoding = sources[name]
        if write and result.changed:
            atomic_write(file, result.code.encode(encoding))  # keeps the file's permission bits
        if diff:
            out.write("".join(difflib.unified_diff(
                source.splitlines(keepends=True), result.code.splitlines(keepends=True),
                fromfile=name, tofile=f"{name} (migrated)",
            )))
        elif not write and (alone or result.changed):
            out.write(result.code if alone else f"# ==> {name} <==\n{result.code}")
    todos = [format_todo(name, todo) for name, result in results.items() for todo in result.todos]
    for line in todos:
        print(line, file=err)
    return TODOS_LEFT if todos else OK
