"""A trials plot as an SVG string: one chosen parameter against one scalar output, one dot per run.

Pure: takes plain values, returns escaped SVG. Numeric x values get a linear axis, or a
logarithmic one when they are all positive and span two decades or more (``gamma``-like
hyper-parameters); anything else is treated as categories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any, Sequence

from framework.dashboard.dag import status_color

W, H = 640, 340
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 20, 58


@dataclass(frozen=True)
class Point:
    x: Any
    y: float
    label: str
    href: str | None = None
    status: str = "completed"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        span = abs(lo) or 1.0
        lo, hi = lo - span / 2, hi + span / 2
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    return ticks


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.2g}"
    return f"{value:.4g}"


def scatter_svg(points: Sequence[Point], x_label: str, y_label: str) -> str:
    """The SVG of ``points`` (x: parameter value, y: scalar output)."""
    head = (f'<svg class="trials" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(y_label)} against {escape(x_label)}">')
    pts = [p for p in points if is_number(p.y)]
    if not pts:
        return head + f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" class="plot-empty">' \
                      'no runs with both values</text></svg>'
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    numeric = all(is_number(p.x) for p in pts)
    log_x = numeric and all(p.x > 0 for p in pts) and max(p.x for p in pts) / min(p.x for p in pts) >= 100
    out = [head, f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fbfcfd" stroke="#dfe3e8"/>']

    if numeric:
        xs = [math.log10(p.x) if log_x else float(p.x) for p in pts]
        lo, hi = min(xs), max(xs)
        if hi == lo:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.06
        lo, hi = lo - pad, hi + pad

        def sx(value: Any) -> float:
            v = math.log10(value) if log_x else float(value)
            return LEFT + (v - lo) / (hi - lo) * pw

        if log_x:
            ticks = [10.0 ** e for e in range(math.ceil(lo), math.floor(hi) + 1)]
        else:
            ticks = [t for t in _nice_ticks(lo, hi) if lo <= t <= hi]
        for t in ticks:
            x = sx(t)
            out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#eceff3"/>'
                       f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle" class="tick">'
                       f'{escape(_fmt(t))}</text>')
    else:
        cats: list[str] = []
        for p in pts:
            if str(p.x) not in cats:
                cats.append(str(p.x))
        slot = pw / len(cats)

        def sx(value: Any) -> float:
            return LEFT + slot * (cats.index(str(value)) + 0.5)

        for c in cats:
            out.append(f'<text x="{sx(c):.1f}" y="{TOP + ph + 18}" text-anchor="middle" class="tick">'
                       f'{escape(c[:18])}</text>')

    ys = [float(p.y) for p in pts]
    ylo, yhi = min(ys), max(ys)
    if yhi == ylo:
        ylo, yhi = ylo - (abs(ylo) * 0.1 or 1), yhi + (abs(yhi) * 0.1 or 1)
    ypad = (yhi - ylo) * 0.08
    ylo, yhi = ylo - ypad, yhi + ypad

    def sy(value: float) -> float:
        return TOP + ph - (value - ylo) / (yhi - ylo) * ph

    for t in (t for t in _nice_ticks(ylo, yhi) if ylo <= t <= yhi):
        y = sy(t)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#eceff3"/>'
                   f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(_fmt(t))}</text>')
    axis_x = escape(x_label) + (" (log scale)" if log_x else "")
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 14}" text-anchor="middle" class="axis-label">{axis_x}</text>'
               f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" text-anchor="middle" '
               f'class="axis-label">{escape(y_label)}</text>')
    for p in pts:
        _fill, stroke, _ink = status_color(p.status)
        dot = (f'<circle class="trial" cx="{sx(p.x):.1f}" cy="{sy(float(p.y)):.1f}" r="6" fill="{stroke}" '
               f'fill-opacity="0.85" stroke="#ffffff" stroke-width="1.5"><title>{escape(p.label)}: '
               f'{escape(str(p.x))} → {escape(_fmt(float(p.y)))}</title></circle>')
        out.append(f'<a href="{escape(p.href)}">{dot}</a>' if p.href else dot)
    out.append("</svg>")
    return "".join(out)
