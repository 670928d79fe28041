"""Applying planned edits to a module in one pass, keeping every comment that is not edited away.

Planners record edits against *original* nodes (identity); ``apply`` walks the tree
once and:

* replaces nodes (``replace``: a new node, or a function of the updated node);
* removes statements (``remove``), moving their comments - and the comments the
  planner asks to carry - onto the next statement of the block;
* expands one statement into several (``expand``);
* adds comment lines (``above``) and ``# TODO(migrate): ...`` lines (``todos``)
  right above statements, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

import libcst as cst

from framework.migrate.nodes import comment_line
from framework.migrate.report import TODO_PREFIX

Replacement = Union[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]]


@dataclass
class Plan:
    replace: dict[int, Replacement] = field(default_factory=dict)
    remove: dict[int, list[str]] = field(default_factory=dict)  # statement -> extra comments to carry
    expand: dict[int, Callable[[cst.CSTNode], list[cst.CSTNode]]] = field(default_factory=dict)
    above: dict[int, list[str]] = field(default_factory=dict)
    todos: dict[int, list[str]] = field(default_factory=dict)
    quiet: set[int] = field(default_factory=set)  # removed statements whose leading lines go too
    nodes: dict[int, cst.CSTNode] = field(default_factory=dict)  # keeps ids alive and unique

    def _key(self, node: cst.CSTNode) -> int:
        self.nodes[id(node)] = node
        return id(node)

    def set(self, node: cst.CSTNode, replacement: Replacement) -> None:
        self.replace[self._key(node)] = replacement

    def drop(self, statement: cst.CSTNode, carry: list[str] | None = None, keep_leading: bool = True) -> None:
        """Remove a statement; its leading lines (unless ``keep_leading=False``) and ``carry`` move on."""
        self.remove.setdefault(self._key(statement), []).extend(carry or [])
        if not keep_leading:
            self.quiet.add(id(statement))

    def split(self, statement: cst.CSTNode, make: Callable[[cst.CSTNode], list[cst.CSTNode]]) -> None:
        self.expand[self._key(statement)] = make

    def comment(self, statement: cst.CSTNode, texts: list[str]) -> None:
        if texts:
            self.above.setdefault(self._key(statement), []).extend(texts)

    def todo(self, statement: cst.CSTNode, message: str) -> None:
        messages = self.todos.setdefault(self._key(statement), [])
        if message not in messages:
            messages.append(message)

    def empty(self) -> bool:
        return not (self.replace or self.remove or self.expand or self.above or self.todos)


def todo_text(message: str) -> str:
    return f"{TODO_PREFIX} {' '.join(message.split())}"


def _with_lines(stmt: cst.CSTNode, texts: list[str]) -> cst.CSTNode:
    if not texts or not hasattr(stmt, "leading_lines"):
        return stmt
    present = {line.comment.value for line in stmt.leading_lines if line.comment is not None}
    new = [comment_line(t) for t in texts if t not in present]
    if not new:
        return stmt
    return stmt.with_changes(leading_lines=[*stmt.leading_lines, *new])


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        key = id(original)
        if isinstance(updated, (cst.Module, cst.IndentedBlock)):
            updated = self._block(original, updated)
        if key in self.plan.replace:
            replacement = self.plan.replace[key]
            updated = replacement(updated) if callable(replacement) else replacement
        if key in self.plan.above:
            updated = _with_lines(updated, self.plan.above[key])
        if key in self.plan.todos:
            updated = _with_lines(updated, [todo_text(m) for m in self.plan.todos[key]])
        return updated

    def _block(self, original, updated):
        body, pending = [], []
        removed_first = False
        for orig, stmt in zip(original.body, updated.body):
            key = id(orig)
            if key in self.plan.remove and not body and isinstance(updated, cst.IndentedBlock):
                removed_first = True  # the block now starts later: no blank line right after its header
            if key in self.plan.remove:
                if key not in self.plan.quiet and hasattr(stmt, "leading_lines"):
                    pending.extend(stmt.leading_lines)
                pending.extend(comment_line(t) for t in self.plan.remove[key])
                continue
            stmts = self.plan.expand[key](stmt) if key in self.plan.expand else [stmt]
            for new in stmts:
                if pending and hasattr(new, "leading_lines"):
                    own = list(new.leading_lines)
                    if any(line.comment is None for line in pending):
                        while own and own[0].comment is None:
                            own.pop(0)
                    new = new.with_changes(leading_lines=[*pending, *own])
                    pending = []
                if removed_first and not body and hasattr(new, "leading_lines"):
                    lines = list(new.leading_lines)
                    while lines and lines[0].comment is None:
                        lines.pop(0)
                    new = new.with_changes(leading_lines=lines)
                body.append(new)
        if pending:
            comments = [line for line in pending if line.comment is not None]
            if isinstance(updated, cst.Module):
                footer = [*comments, *updated.footer]
            else:
                footer = [*comments, *updated.footer]
            updated = updated.with_changes(footer=footer)
        if not body and isinstance(updated, cst.IndentedBlock):
            body = [cst.SimpleStatementLine([cst.Pass()])]
        return updated.with_changes(body=body)


def apply(module: cst.Module, plan: Plan) -> cst.Module:
    if plan.empty():
        return module
    return module.visit(_Apply(plan))
