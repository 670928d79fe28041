"""What a migration produced: the code, the TODOs left in it, and how they are reported.

TODOs are read back from the migrated code itself (every ``# TODO(migrate): ...``
comment, including ones left by an earlier run), so line numbers always point at
the comment in the migrated source and a second run reports what is still open.
"""

from __future__ import annotations

import re

import attrs

TODO_PREFIX = "# TODO(migrate):"
_TODO = re.compile(r"#\s*TODO\(migrate\):\s*(.*)$")


@attrs.frozen
class Todo:
    line: int  # 1-based line of the TODO comment in the migrated source
    message: str


@attrs.frozen
class MigrationResult:
    code: str
    todos: list[Todo]
    changed: bool


def scan_todos(code: str) -> list[Todo]:
    todos = []
    for number, line in enumerate(code.splitlines(), start=1):
        match = _TODO.search(line)
        if match:
            todos.append(Todo(number, match.group(1).strip()))
    return todos


def format_todo(filename: str, todo: Todo) -> str:
    return f"{filename}:{todo.line}: {todo.message}"
