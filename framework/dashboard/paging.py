"""Pages of long lists and clipped long values: what keeps every dashboard page small.

Every list the dashboard shows (pipelines, runs, versions, steps, runs to compare) is cut
into pages on the server and can be searched on the server, so a page costs what it shows
whatever the store holds. A value (a parameter, a metric, a cell) longer than a cell can
show is clipped, and the page links to the whole of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
VALUE_CHARS = 120  # what a table cell shows of one value
NOTES_CHARS = 1000  # what a page shows of a run's or a pipeline's notes (prose: more than a cell)


@dataclass(frozen=True)
class Page:
    """Page ``number`` (from 1) of ``size`` items; ``total`` when known (no filter that
    only a full scan could count), ``has_next`` always."""

    number: int
    size: int = PAGE_SIZE
    total: int | None = None
    has_next: bool = False
    query: str | None = None
    status: str | None = None
    tag: str | None = None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.size))

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "size": self.size, "total": self.total, "has_next": self.has_next,
                "last": self.last, "first_item": self.offset + 1, "query": self.query, "status": self.status,
                "tag": self.tag}


def page_number(raw: Any) -> int:
    """A page number from a query string: 1 for anything that is not a positive integer."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def search_text(raw: Any) -> str | None:
    """A search box's text, trimmed; None when empty."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()[:200]
    return text or None


def tag_text(raw: Any) -> str | None:
    """A tag filter from a query string, trimmed; None when empty. Not checked further: a
    text no tag can be (a comma, too long) simply matches no run."""
    if not isinstance(raw, str):
        return None
    return raw.strip()[:200] or None


def paged(items: list[Any], number: int, size: int = PAGE_SIZE, **extra: Any) -> tuple[list[Any], Page]:
    """One page of an in-memory list (a list already read whole: versions, steps, pipelines)."""
    last = max(1, -(-len(items) // size))
    number = min(number, last)
    start = (number - 1) * size
    return items[start:start + size], Page(number, size, len(items), start + size < len(items), **extra)


def value_text(value: Any) -> str:
    """How a parameter or metric value reads: a string as itself, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.6g}"
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def clipped(key: str, value: Any, limit: int = VALUE_CHARS, ref: str | None = None) -> dict[str, Any]:
    """``{"key", "ref", "text", "cut", "chars"}``: the value as a cell shows it; ``ref`` names
    it for the page that shows all of it (``views.full_value``; default ``key``)."""
    text = value_text(value)
    cut = len(text) > limit
    return {"key": key, "ref": ref or key, "text": text[: limit - 1] + "…" if cut else text, "cut": cut,
            "chars": len(text)}
