"""Printing for every command: rich tables for people, ``--json`` for scripts, one-line errors.

rich is imported on first use, so importing a command module stays cheap. Tables go to
stdout; when stdout is not a terminal they are printed without colour and never folded,
so long run names and paths stay on one line for grep and cut.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from typing import Any, Callable, Iterable, Sequence

import click

from framework.reports.artifacts import format_value

JSON_HELP = "Print JSON instead of a table (for scripts)."
UNWRAPPED_WIDTH = 100_000  # off a terminal nothing is folded: lines stay whole for grep and cut
MISSING = "—"


class CommandError(click.ClickException):
    """A failure the user can act on: one line on stderr, exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always exactly one line


class NotFound(CommandError):
    """An unknown run, pipeline, step, output or stack."""


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(func)


# ---------------------------------------------------------------------- consoles
def console(stderr: bool = False) -> Any:
    """A rich console on the current stdout (or stderr), resolved at call time."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = _is_tty(stream)
    width = None if terminal else UNWRAPPED_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False,
                   force_terminal=terminal or None, no_color=not terminal or None)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def print_json(data: Any) -> None:
    """Indented JSON on stdout; non-JSON values (paths, numpy scalars) as strings."""
    click.echo(json.dumps(data, indent=2, default=_jsonable, allow_nan=True))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return value.item()
        except Exception:
            pass
    return str(value)


def retagged(kind: str, change: Callable[[], Any]) -> None:
    """Run a tag change of a run or pipeline (``kind``: "Run", "Pipeline") and print the
    tags it has now; a tag the store refuses is a usage error naming it."""
    try:
        changed = change()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="TAG") from None
    click.echo(f"{kind} `{changed.name}` tags: {', '.join(changed.tags) or '(none)'}")


def noted(kind: str, changed: Any) -> None:
    """Print the notes a run or pipeline has after `note`."""
    click.echo(f"{kind} `{changed.name}` notes: {changed.notes}" if changed.notes else
               f"{kind} `{changed.name}` has no notes now.")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
          styles: Sequence[str | None] | None = None, caption: str | None = None) -> Any:
    """A rich ``Table``; ``styles`` gives one optional style per row."""
    from rich import box
    from rich.table import Table

    result = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left",
                   caption_justify="left", show_edge=False, pad_edge=False)
    for name in columns:
        result.add_column(name, overflow="fold")
    styles = list(styles or [])
    for index, row in enumerate(rows):
        style = styles[index] if index < len(styles) else None
        result.add_row(*(cell if hasattr(cell, "__rich__") else text(cell) for cell in row), style=style)
    return result


def text(value: Any) -> Any:
    """A cell: plain text, never interpreted as rich markup."""
    from rich.text import Text

    return Text(MISSING if value is None else str(value))


def show(*renderables: Any) -> None:
    out = console()
    for renderable in renderables:
        out.print(renderable)


def key_values(pairs: Iterable[tuple[str, Any]]) -> Any:
    """A two-column grid of ``label  value`` lines (for a record's header)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in pairs:
        grid.add_row(label, text(value))
    return grid


# ---------------------------------------------------------------------- formatting
def format_size(size: int | None) -> str:
    if size is None:
        return MISSING
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def format_duration(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return MISSING
    if seconds < 60:
        return f"{seconds:.3f}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m{rest:04.1f}s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)}h{int(minutes):02d}m"


def format_time(iso: str | None) -> str:
    """An ISO timestamp as local ``YYYY-MM-DD HH:MM:SS``."""
    if not iso:
        return MISSING
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={format_value(v, 40)}" for k, v in params.items()) if params else ""


STATUS_STYLES = {"completed": "green", "cached": "cyan", "running": "yellow", "failed": "red",
                 "crashed": "red", "skipped": "dim"}


def status_text(status: str | None) -> Any:
    from rich.text import Text

    return Text(status or MISSING, style=STATUS_STYLES.get(status or "", ""))


# ---------------------------------------------------------------------- tables that fit
def middle_ellipsis(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters by cutting its middle: run names keep their
    pipeline and their time (``first_pipeline-2026_…_30_00_123456``)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    keep = width - 1
    head = (keep + 1) // 2
    tail = keep - head
    return text[:head] + "…" + (text[len(text) - tail:] if tail else "")


#: Successive minimum widths (a ``keep`` column such as a run's name, other columns, ``fixed``
#: columns; None: never shrunk): a table gives up the next level only if the previous one
#: still does not fit.
_FLOORS = ((20, 8, None), (12, 5, None), (8, 3, 6))


def fit_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None, *, gap: int = 2,
               fixed: Sequence[int] = (), keep: Sequence[int] = ()) -> list[int]:
    """Column widths that fit ``width`` characters: the widest shrinkable column gives up a
    character at a time, down to the floors of `_FLOORS` (a run's name, in ``keep``, stays
    recognisable longest; ``fixed`` columns — a status, a time — shrink only as a last resort)."""
    natural = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    if width is None:
        return natural
    widths = list(natural)
    overflow = sum(widths) + gap * (len(widths) - 1) - width
    for keep_floor, other_floor, fixed_floor in _FLOORS:
        floors = []
        for i in range(len(headers)):
            floor = keep_floor if i in keep else fixed_floor if i in fixed else other_floor
            floors.append(natural[i] if floor is None else min(natural[i], floor))
        while overflow > 0:
            candidates = [i for i in range(len(widths)) if widths[i] > floors[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i] - floors[i])
            widths[widest] -= 1
            overflow -= 1
        if overflow <= 0:
            break
    return widths


def terminal_width() -> int | None:
    """The width tables must fit: the terminal's, else ``$COLUMNS``, else None (off a
    terminal lines stay whole, for grep and cut)."""
    import os
    import shutil

    if _is_tty(sys.stdout):
        return shutil.get_terminal_size().columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def fitted_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None,
                 styles: Sequence[Sequence[str | None]] | None = None, fixed: Sequence[int] = (),
                 keep: Sequence[int] = ()) -> list[Any]:
    """A plain-text table (header, rule, rows; two spaces between columns) whose lines fit
    ``width``, cells shortened with `middle_ellipsis`; rich ``Text`` lines, cells styled by
    ``styles`` (one style per cell, or None)."""
    from rich.text import Text

    widths = fit_widths(headers, rows, width, fixed=fixed, keep=keep)
    lines = []

    def line(cells: Sequence[str], cell_styles: Sequence[str | None]) -> Any:
        out = Text()
        for index, (cell, size) in enumerate(zip(cells, widths)):
            if index:
                out.append("  ")
            shown = middle_ellipsis(cell, size)
            last = index == len(widths) - 1
            out.append(shown if last else shown.ljust(size), style=cell_styles[index] or "")
        out.rstrip()
        return out

    lines.append(line(headers, ["bold"] * len(headers)))
    lines.append(Text("  ".join("─" * size for size in widths)))
    for index, row in enumerate(rows):
        lines.append(line(row, (styles[index] if styles else None) or [None] * len(row)))
    return lines
