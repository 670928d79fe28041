"""A pipeline run's graph as an SVG string: a pure function, no web framework involved.

Placement comes from ``layout`` (grandalf's layered layout, left to right). Each step is a
box sized to its name, wrapped on ``_``/``.``/``-`` boundaries over up to three lines; a
name that still does not fit ends in "…" and the box's ``<title>`` (its tooltip) holds the
full name, so no name is ever cut without a way to read it. Steps a nested pipeline call
added sit in a titled group box. Edges run horizontally through the free slot the layout
kept for them in each column and bend only in the gaps between columns, so they never
pass under a box. Nodes are coloured by status; a cached node is drawn dashed with a
"cached" badge linking to the run its outputs came from. Every string is escaped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Iterable, Sequence

from framework.dashboard.layout import Drawing, layout

# status → (fill, stroke, text); the CSS legend uses the same colours
STATUS_COLORS: dict[str, tuple[str, str, str]] = {
    "completed": ("#e3f4e8", "#2e8b57", "#14532d"),
    "cached": ("#e4eefb", "#2f6fb7", "#173e6b"),
    "failed": ("#fde5e5", "#c93636", "#7f1d1d"),
    "crashed": ("#fde5e5", "#c93636", "#7f1d1d"),
    "skipped": ("#eeeff1", "#8a9099", "#4b5058"),
    "running": ("#fff3d6", "#d08c00", "#6b4700"),
    "pending": ("#ffffff", "#b8bec7", "#6b7280"),
    "not-run": ("#ffffff", "#b8bec7", "#6b7280"),
}
_UNKNOWN = ("#ffffff", "#8a9099", "#374151")

CHAR_W = 7.4  # average advance of the 13px bold label font
LINE_H = 16
MAX_LINES = 3
MIN_W, MAX_W = 150, 260
PAD_X = 26  # left of the text (the status dot) + right margin
STATUS_H = 24  # the status line under the name
MARGIN = 16


@dataclass(frozen=True)
class DagNode:
    """One step of the drawing. ``href`` opens the step; ``cached_from_href`` its origin run;
    ``group`` is the path of nested pipeline calls that added it (outermost first)."""

    id: str
    label: str
    status: str
    href: str | None = None
    cached_from_href: str | None = None
    cached_from_label: str | None = None
    selected: bool = False
    group: tuple[str, ...] = ()


def status_color(status: str) -> tuple[str, str, str]:
    return STATUS_COLORS.get(status, _UNKNOWN)


def wrap_label(text: str, max_chars: int = int((MAX_W - PAD_X - 10) / CHAR_W)) -> tuple[list[str], bool]:
    """``text`` over at most ``MAX_LINES`` lines of ``max_chars``; True when it had to be cut."""
    parts = [p for p in re.split(r"(?<=[_.\-/ ])", text) if p]
    lines: list[str] = []
    current = ""
    for part in parts:
        while len(part) > max_chars:  # a word longer than a line is split anywhere
            room = max_chars - len(current)
            current, part = current + part[:room], part[room:]
            lines.append(current)
            current = ""
        if len(current) + len(part) > max_chars:
            lines.append(current)
            current = ""
        current += part
    if current or not lines:
        lines.append(current)
    if len(lines) <= MAX_LINES:
        return lines, False
    kept = lines[:MAX_LINES]
    kept[-1] = kept[-1][: max_chars - 1] + "…"
    return kept, True


def node_size(lines: list[str]) -> tuple[float, float]:
    width = min(MAX_W, max(MIN_W, PAD_X + 12 + CHAR_W * max(len(line) for line in lines)))
    return width, 12 + LINE_H * len(lines) + STATUS_H


def render_dag(nodes: Sequence[DagNode], edges: Iterable[tuple[str, str]]) -> str:
    """The SVG (a string) of ``nodes`` joined by ``edges`` (``(upstream id, downstream id)``)."""
    if not nodes:
        return ('<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="200" height="40" role="img">'
                '<text x="10" y="24" class="dag-empty">no steps</text></svg>')
    wrapped = {n.id: wrap_label(n.label) for n in nodes}
    sizes = {n.id: node_size(wrapped[n.id][0]) for n in nodes}
    drawing = layout([(n.id, *sizes[n.id], n.group) for n in nodes], list(edges))
    width, height = drawing.width + 2 * MARGIN, drawing.height + 2 * MARGIN
    out = [
        f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="pipeline graph" '
        f'data-width="{width:.0f}" data-height="{height:.0f}">',
        '<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8d96a3"/>'
        '</marker></defs>',
        f'<g class="dag-world" transform="translate({MARGIN} {MARGIN})">',
    ]
    out.extend(_groups(drawing))
    out.extend(_edges(drawing))
    for node in nodes:
        out.append(_node(node, drawing, *wrapped[node.id]))
    out.append("</g></svg>")
    return "".join(out)


def _groups(drawing: Drawing) -> list[str]:
    out = []
    for path, box in sorted(drawing.groups.items(), key=lambda item: len(item[0])):
        name = path[-1]
        shown = name if len(name) * 7 <= box.w - 20 else name[: max(1, int((box.w - 20) / 7) - 1)] + "…"
        out.append(
            f'<g class="dag-group" data-group="{escape("/".join(path))}"><title>nested pipeline '
            f'{escape(" › ".join(path))}</title><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" rx="10"/><text x="{box.x + 12:.1f}" y="{box.y + 18:.1f}" '
            f'class="dag-group-label">{escape(shown)}</text></g>'
        )
    return out


def _edges(drawing: Drawing) -> list[str]:
    out = []
    for src, dst, points in drawing.edges:
        d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
        for i in range(1, len(points)):
            (x1, y1), (x2, y2) = points[i - 1], points[i]
            if i % 2:  # inside a column: straight along the edge's own slot
                d.append(f"L{x2:.1f},{y2:.1f}")
            else:  # across a gap between columns: a smooth bend
                mid = (x1 + x2) / 2
                d.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
        out.append(f'<path class="dag-edge" data-from="{escape(src)}" data-to="{escape(dst)}" '
                   f'd="{" ".join(d)}" marker-end="url(#dag-arrow)"/>'
                   if not dst.startswith(("p:", "g:")) else
                   f'<path class="dag-edge" data-from="{escape(src)}" data-to="{escape(dst)}" d="{" ".join(d)}"/>')
    return out


def _node(node: DagNode, drawing: Drawing, lines: list[str], cut: bool) -> str:
    box = drawing.nodes[node.id]
    x, y = box.x, box.y
    fill, stroke, ink = status_color(node.status)
    cached = node.status == "cached"
    classes = f"dag-node status-{escape(node.status)}" + (" selected" if node.selected else "")
    dash = ' stroke-dasharray="6 4"' if cached else ""
    width_px = 3.2 if node.selected else 1.8
    spans = "".join(f'<tspan x="{x + 26:.1f}" dy="{0 if i == 0 else LINE_H}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    status_y = y + 12 + LINE_H * len(lines) + 12
    shape = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="9" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{width_px}"{dash}/>'
        f'<circle cx="{x + 14:.1f}" cy="{y + 18:.1f}" r="5" fill="{stroke}"/>'
        f'<text x="{x + 26:.1f}" y="{y + 22:.1f}" class="dag-label" fill="{ink}" font-size="13" '
        f'font-weight="600" data-cut="{"1" if cut else "0"}">{spans}</text>'
        f'<text x="{x + 26:.1f}" y="{status_y:.1f}" class="dag-status" fill="{ink}" '
        f'font-size="12">{escape(node.status)}</text>'
    )
    title = f"<title>{escape(node.label)} — {escape(node.status)}</title>"
    attrs = (f'class="{classes}" data-step="{escape(node.id)}" data-status="{escape(node.status)}" '
             f'data-label="{escape(node.label)}"' + (f' data-group="{escape("/".join(node.group))}"' if node.group else ""))
    body = f'<a href="{escape(node.href)}" {attrs}>{title}{shape}</a>' if node.href else f"<g {attrs}>{title}{shape}</g>"
    if cached:
        bx, by = x + box.w - 92, y - 10  # a tab on the top edge: clicking the box still opens the step
        badge = (f'<rect x="{bx:.1f}" y="{by:.1f}" width="84" height="19" rx="9.5" fill="{stroke}"/>'
                 f'<text x="{bx + 42:.1f}" y="{by + 13.5:.1f}" text-anchor="middle" font-size="11" '
                 f'font-weight="600" fill="#ffffff">cached ↗</text>')
        tip = f"<title>outputs reused from {escape(node.cached_from_label or 'the original run')}</title>"
        if node.cached_from_href:
            body += (f'<a class="dag-cached-link" data-step="{escape(node.id)}" '
                     f'href="{escape(node.cached_from_href)}">{tip}{badge}</a>')
        else:
            body += f'<g class="dag-cached-link">{tip}{badge}</g>'
    return body
