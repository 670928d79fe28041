"""A pipeline run's graph as an SVG string: a pure function, no web framework involved.

Layered layout: each step sits in the column of its topological depth (the longest path
from a source), steps of one column in execution order. Nodes are coloured by status;
a cached node is drawn dashed, carries a "cached" badge and a link to the run its
outputs came from. Every string that reaches the SVG is escaped here.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from html import escape
from typing import Iterable, Sequence

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

NODE_W, NODE_H = 176, 58
GAP_X, GAP_Y, PAD = 48, 22, 16


@dataclass(frozen=True)
class DagNode:
    """One step of the drawing. ``href`` opens the step; ``cached_from_href`` its origin run."""

    id: str
    label: str
    status: str
    href: str | None = None
    cached_from_href: str | None = None
    cached_from_label: str | None = None
    selected: bool = False


def status_color(status: str) -> tuple[str, str, str]:
    return STATUS_COLORS.get(status, _UNKNOWN)


def layout(nodes: Sequence[DagNode], edges: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """``{node id: (column, row)}``: column = topological depth, rows in the given node order."""
    ids = [n.id for n in nodes]
    known = set(ids)
    preds: dict[str, set[str]] = {i: set() for i in ids}
    for src, dst in edges:
        if src in known and dst in known and src != dst:
            preds[dst].add(src)
    depth: dict[str, int] = {}
    try:
        for node in graphlib.TopologicalSorter(preds).static_order():
            depth[node] = 1 + max((depth[p] for p in preds[node]), default=-1)
    except graphlib.CycleError:  # stored graphs are acyclic; draw a broken one flat
        depth = {i: 0 for i in ids}
    rows: dict[int, int] = {}
    placed: dict[str, tuple[int, int]] = {}
    for i in ids:  # node order (execution order) decides the row inside a column
        col = depth[i]
        placed[i] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return placed


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_dag(nodes: Sequence[DagNode], edges: Iterable[tuple[str, str]]) -> str:
    """The SVG (a string) of ``nodes`` joined by ``edges`` (``(upstream id, downstream id)``)."""
    edges = [(s, d) for s, d in edges]
    if not nodes:
        return '<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="200" height="40" role="img">' \
               '<text x="10" y="24" class="dag-empty">no steps</text></svg>'
    places = layout(nodes, edges)
    per_col: dict[int, int] = {}
    for col, _row in places.values():
        per_col[col] = per_col.get(col, 0) + 1
    tallest = max(per_col.values())
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    width = PAD * 2 + (max(per_col) + 1) * NODE_W + max(per_col) * GAP_X

    def box(node_id: str) -> tuple[float, float]:
        col, row = places[node_id]
        column_h = per_col[col] * NODE_H + (per_col[col] - 1) * GAP_Y
        top = (height - column_h) / 2
        return PAD + col * (NODE_W + GAP_X), top + row * (NODE_H + GAP_Y)

    out = [
        f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="pipeline graph">',
        '<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9aa3ae"/>'
        '</marker></defs>',
    ]
    seen = set()
    for src, dst in edges:
        if src not in places or dst not in places or (src, dst) in seen or src == dst:
            continue
        seen.add((src, dst))
        x1, y1 = box(src)
        x2, y2 = box(dst)
        sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H / 2, x2 - 2, y2 + NODE_H / 2
        mid = (sx + ex) / 2
        out.append(
            f'<path class="dag-edge" d="M{sx:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} {mid:.1f},{ey:.1f} '
            f'{ex:.1f},{ey:.1f}" fill="none" stroke="#9aa3ae" stroke-width="1.6" '
            f'marker-end="url(#dag-arrow)"/>'
        )
    for node in nodes:
        x, y = box(node.id)
        fill, stroke, ink = status_color(node.status)
        cached = node.status == "cached"
        classes = f"dag-node status-{escape(node.status)}" + (" selected" if node.selected else "")
        dash = ' stroke-dasharray="6 4"' if cached else ""
        width_px = 3.2 if node.selected else 1.8
        shape = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="9" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width_px}"{dash}/>'
            f'<circle cx="{x + 14:.1f}" cy="{y + 19:.1f}" r="5" fill="{stroke}"/>'
            f'<text x="{x + 26:.1f}" y="{y + 23:.1f}" class="dag-label" fill="{ink}" '
            f'font-size="13.5" font-weight="600">{escape(_short(node.label, 19))}</text>'
            f'<text x="{x + 26:.1f}" y="{y + 43:.1f}" class="dag-status" fill="{ink}" '
            f'font-size="12">{escape(node.status)}</text>'
        )
        title = f"<title>{escape(node.label)} — {escape(node.status)}</title>"
        attrs = f'class="{classes}" data-step="{escape(node.id)}" data-status="{escape(node.status)}"'
        if node.href:
            out.append(f'<a href="{escape(node.href)}" {attrs}>{title}{shape}</a>')
        else:
            out.append(f"<g {attrs}>{title}{shape}</g>")
        if cached:
            badge = (
                f'<rect x="{x + NODE_W - 92:.1f}" y="{y + 31:.1f}" width="84" height="19" rx="9.5" '
                f'fill="{stroke}"/><text x="{x + NODE_W - 50:.1f}" y="{y + 44.5:.1f}" '
                f'text-anchor="middle" font-size="11" font-weight="600" fill="#ffffff">cached ↗</text>'
            )
            origin = escape(node.cached_from_label or "the original run")
            tip = f"<title>outputs reused from {origin}</title>"
            if node.cached_from_href:
                out.append(f'<a class="dag-cached-link" data-step="{escape(node.id)}" '
                           f'href="{escape(node.cached_from_href)}">{tip}{badge}</a>')
            else:
                out.append(f'<g class="dag-cached-link">{tip}{badge}</g>')
    out.append("</svg>")
    return "".join(out)
