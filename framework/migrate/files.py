"""The file side of ``framework migrate FILE``: read, migrate, print or write, and the exit code."""

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


def _looks_like_python(path: Path, head: bytes) -> bool:
    if path.suffix in (".py", ".pyw"):
        return True
    first = head.splitlines()[0] if head else b""
    return first.startswith(b"#!") and b"python" in first


def migrate_file(
    path: str | os.PathLike,
    write: bool = False,
    diff: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Migrate one file; print the result (or a diff) or rewrite it in place. Returns the exit code.

    0: fully migrated (or nothing to do); 1: TODOs remain (the result is still printed or
    written) or the codemod failed; 2: usage error - missing file, not Python, or a syntax
    error - reported as one line naming the file.
    """
    from framework.migrate import MigrationError, migrate_source

    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    file = Path(path)
    name = str(path)
    if not file.exists():
        print(f"{name}: no such file", file=err)
        return USAGE
    if not file.is_file():
        print(f"{name}: not a file", file=err)
        return USAGE
    raw = file.read_bytes()
    if not _looks_like_python(file, raw):
        print(f"{name}: not a Python file (expected a .py file)", file=err)
        return USAGE
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        source = raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        print(f"{name}: cannot be decoded as Python source ({exc})", file=err)
        return USAGE
    if source.startswith("\ufeff"):
        source = source[1:]
    try:
        result = migrate_source(source, name)
    except SyntaxError as exc:
        print(f"{name}:{exc.lineno or 1}: syntax error: {exc.msg}", file=err)
        return USAGE
    except MigrationError as exc:
        print(f"{name}: the codemod failed ({exc}); the file is unchanged", file=err)
        return TODOS_LEFT
    if write:
        if result.changed:
            atomic_write(file, result.code.encode(encoding))  # keeps the file's permission bits
    if diff:
        out.write(
            "".join(
                difflib.unified_diff(
                    source.splitlines(keepends=True),
                    result.code.splitlines(keepends=True),
                    fromfile=name,
                    tofile=f"{name} (migrated)",
                )
            )
        )
    elif not write:
        out.write(result.code)
    for todo in result.todos:
        print(format_todo(name, todo), file=err)
    return TODOS_LEFT if result.todos else OK
