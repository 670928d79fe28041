"""``runs list`` as plain data: filters, the ``--where`` language, sorting and columns.

`list_rows` answers ``{"columns": [...], "rows": [{column: value}], "total": n | None}``
from the metadata store's listing rows (``Client.query_runs``: one compact row per run,
its ``summary`` holding flat parameters and metrics), so a listing over 10,000 runs reads
no run's steps. Fields, usable in ``--where``, ``--sort`` and ``--columns``:

* ``name``, ``id``, ``pipeline``, ``version``, ``status``, ``started``, ``ended``,
  ``duration`` (seconds), ``steps`` (count), ``tags``, ``notes``, ``api``;
* ``params.<key>``: a parameter — the flat key (``svc_trainer.gamma``,
  ``pipeline:gamma``), or its last part when that is enough (``params.gamma``: the
  pipeline argument ``gamma`` if there is one, else the first step parameter ``gamma``);
* ``metrics.<key>``: a metric (``framework.summaries``), the same way
  (``metrics.accuracy``, ``metrics.scorer.output``).

Runs recorded without a summary (before summaries existed, or killed before they closed)
have theirs computed from their steps when a ``params.``/``metrics.`` field is asked for.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

from framework.records import RunRow
from framework.reports import where as where_language
from framework.reports.where import MISSING, WhereError

FIELDS = {
    "name": "name", "id": "id", "pipeline": "pipeline_name", "version": "version", "status": "status",
    "started": "start_time", "start_time": "start_time", "ended": "end_time", "end_time": "end_time",
    "duration": "duration", "steps": "steps", "tags": "tags", "notes": "notes", "api": "api",
}
DEFAULT_COLUMNS = ("name", "pipeline", "status", "started", "duration")
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*(?:ago)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# ---------------------------------------------------------------------- fields
def check_field(field: str) -> None:
    """`WhereError` naming the known fields if ``field`` is none of them."""
    if field in FIELDS or (field.startswith(("params.", "metrics.")) and len(field.split(".", 1)[1]) > 0):
        return
    raise WhereError(f"unknown field `{field}`; fields are {', '.join(sorted(set(FIELDS)))}, "
                     "params.<name> and metrics.<name>")


def lookup(values: dict[str, Any], key: str, prefer: str | None = None) -> Any:
    """``values[key]``; else ``values[prefer + key]``; else the first value whose flat key
    ends with ``.key``; else `MISSING`."""
    if key in values:
        return values[key]
    if prefer is not None and prefer + key in values:
        return values[prefer + key]
    suffix = "." + key
    return next((value for name, value in values.items() if name.endswith(suffix)), MISSING)


class Rows:
    """Reads fields of listing rows; fills in the summary of runs stored without one."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._summaries: dict[str, dict[str, Any]] = {}

    def summary(self, row: RunRow) -> dict[str, Any]:
        if row.summary or row.status == "running":
            return row.summary
        found = self._summaries.get(row.id)
        if found is None:
            from framework.summaries import run_summary

            detail = self._client.metadata_store.get_run_by_id(row.id)
            found = self._summaries[row.id] = run_summary(detail) if detail is not None else {}
        return found

    def get(self, row: RunRow, field: str) -> Any:
        return self.getter(field)(row)

    def getter(self, field: str) -> Any:
        """A function reading ``field`` of a row (made once per field: listings call it
        for every run)."""
        attribute = FIELDS.get(field)
        if attribute is not None:
            return lambda row: getattr(row, attribute)
        section, _, key = field.partition(".")
        part, prefer = ("params", "pipeline:") if section == "params" else ("metrics", None)

        def read(row: RunRow) -> Any:
            summary = row.summary if row.summary else self.summary(row)
            return lookup(summary.get(part) or {}, key, prefer)

        return read


# ---------------------------------------------------------------------- times
def parse_moment(text: str, now: _dt.datetime | None = None) -> _dt.datetime:
    """``2d``, ``3h``, ``45m``, ``1w`` (ago), ``today``, ``yesterday``, or an ISO date or time
    (``2026-01-31``, ``2026-01-31T12:00``; local time unless it gives an offset) as an aware
    datetime; ``ValueError`` saying what is accepted."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    match = _RELATIVE.match(text)
    if match:
        return now - _dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        local = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return local - _dt.timedelta(days=1 if word == "yesterday" else 0)
    try:
        moment = _dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a time: use a duration ago (30m, 12h, 2d, 1w), today, "
                         "yesterday, or a date or time (2026-01-31, 2026-01-31T12:00)") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


# ---------------------------------------------------------------------- sorting
def sort_keys(spec: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """``"-metrics.accuracy,name"`` → ``[("metrics.accuracy", True), ("name", False)]``."""
    if not spec:
        return []
    parts = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    keys = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        descending = part.startswith("-")
        field = part.lstrip("+-")
        check_field(field)
        keys.append((field, descending))
    return keys


def _rank(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, (list, tuple)):
        return (2, ",".join(map(str, value)))
    return (2, str(value))


def sort_rows(rows: list[RunRow], keys: list[tuple[str, bool]], get: Any) -> list[RunRow]:
    """Stable sort by each key in turn; runs lacking a value go last whatever the direction."""
    for field, descending in reversed(keys):
        values = [(get(r, field), r) for r in rows]
        present = [(v, r) for v, r in values if v is not MISSING and v is not None]
        absent = [r for v, r in values if v is MISSING or v is None]
        present.sort(key=lambda pair: _rank(pair[0]), reverse=descending)
        rows = [r for _v, r in present] + absent
    return rows


# ---------------------------------------------------------------------- the listing
def parse_columns(spec: str | Sequence[str] | None) -> list[str]:
    if not spec:
        return []
    parts = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    columns = [p.strip() for p in parts if p.strip()]
    for column in columns:
        check_field(column)
    return columns


def list_rows(client: Any, *, pipeline: str | None = None, status: Sequence[str] | None = None,
              tags: Sequence[str] = (), since: Any = None, until: Any = None,
              where: Iterable[str] = (), sort: Any = None, columns: Any = None,
              limit: int | None = 50) -> dict[str, Any]:
    """The runs passing every filter (``where``: expressions that must all hold), sorted
    (default newest first), the first ``limit`` (None: all), as rows of ``columns`` (default
    `DEFAULT_COLUMNS`, plus ``tags`` when a run shown has any). ``total`` is the number of
    matching runs when all were read (a sort, or fewer than ``limit``), else None; ``runs``
    holds every field of each run shown (`full_row`)."""
    reader = Rows(client)
    predicates = [where_language.parse(text, reader.getter, check_field) for text in where]
    keys = sort_keys(sort)
    chosen = parse_columns(columns)
    found = client.query_runs(pipeline_name=pipeline, status=list(status) if status else None, tags=list(tags),
                              since=since, until=until)
    matching = (row for row in found if all(p(row) for p in predicates))
    total = None
    if keys or limit is None:
        selected = list(matching)
        total = len(selected)
        selected = sort_rows(selected, keys, reader.get)[:limit]
    else:  # newest first, as the store yields them: stop reading at the limit
        selected = list(itertools.islice(matching, limit + 1))
        if len(selected) <= limit:
            total = len(selected)
        selected = selected[:limit]
    shown = chosen or list(DEFAULT_COLUMNS) + (["tags"] if any(row.tags for row in selected) else [])
    rows = []
    for row in selected:
        values = {column: reader.get(row, column) for column in shown}
        rows.append({column: (None if value is MISSING else value) for column, value in values.items()})
    return {"columns": shown, "rows": rows, "total": total, "runs": [full_row(row, reader) for row in selected]}


def page_of_rows(client: Any, *, pipeline: str | None = None, status: str | None = None,
                 tags: Sequence[str] = (), name_contains: str | None = None, offset: int = 0,
                 limit: int = 50) -> list[RunRow]:
    """The ``limit`` listing rows after the first ``offset`` that pass the store's filters
    (``query_runs``) and whose name contains ``name_contains`` (case ignored), newest first.

    For a page of a list filtered by what only listing rows know (tags): rows are read
    lazily and reading stops at the end of the page, so a page costs the rows up to it and
    never a run's record or steps. ``ValueError`` for a filter no run can pass (an invalid
    tag), before anything is read."""
    needle = name_contains.casefold() if name_contains else None
    found = client.query_runs(pipeline_name=pipeline, status=status, tags=list(tags))
    matching = (row for row in found if needle is None or needle in row.name.casefold())
    return list(itertools.islice(matching, offset, offset + limit))


def full_row(row: RunRow, reader: Rows | None = None) -> dict[str, Any]:
    """Everything a listing knows of a run (``--json`` without ``--columns``)."""
    summary = reader.summary(row) if reader is not None else row.summary
    return {"name": row.name, "id": row.id, "pipeline": row.pipeline_name, "version": row.version,
            "status": row.status, "start_time": row.start_time, "end_time": row.end_time,
            "duration": row.duration, "steps": row.steps, "api": row.api, "unlisted": row.unlisted,
            "tags": list(row.tags), "notes": row.notes, "params": dict(summary.get("params") or {}),
            "metrics": dict(summary.get("metrics") or {})}
