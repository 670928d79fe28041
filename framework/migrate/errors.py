"""The one exception of the planners: a construct the codemod cannot rewrite, and where its TODO goes."""

from __future__ import annotations

import libcst as cst


class Unsupported(Exception):
    """A construct the codemod cannot rewrite; ``node`` is where the TODO goes."""

    def __init__(self, node: cst.CSTNode, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
