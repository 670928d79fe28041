"""Where each step of a run's graph goes: a layered (Sugiyama) layout by grandalf.

Why grandalf: it is a Sugiyama implementation in pure Python (from PyPI, no compiler, no
JavaScript), so the server draws the graph once and every page — live or exported — shows
a finished SVG that needs no script to appear. The JavaScript layout engines measured
against it (elkjs, dagre) took 1–3 s in a fresh browser page for 200 steps; grandalf
lays out those graphs in well under that on the server, and the result is cached by graph
shape, so runs of one pipeline version share it.

Flow is left to right. grandalf places *layers* along its y axis and orders vertices
inside a layer along x; here a layer is a column, so widths and heights are swapped going
in and coordinates transposed coming out. What this module adds around grandalf:

* **Thin dummies.** Long edges get a waypoint in every column they cross (grandalf's
  dummy vertices); giving them a small size keeps a slot free for the edge in each column,
  so an edge never passes under a box, without reserving a whole node's height.
* **Groups** (the steps a nested pipeline call added). Each group is laid out on its own,
  bottom-up, and placed in its parent as one box. An edge crossing a group's border goes
  through a *port*: a thin vertex forced into the group's first column (entering edges,
  one per outside source) or last column (leaving edges, one per inside source), moved onto
  the border after layout. Inside and outside, every edge still only crosses the free gaps
  between columns, so boxes never overlap and edges never run under one.
* **Components** side by side in one column of blocks (stacked top to bottom).

The result is plain data: boxes for nodes and groups, and each edge's waypoints.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Sequence

GAP_COLUMNS = 64  # between columns: where edges bend
GAP_ROWS = 18  # between boxes of one column
DUMMY = 10  # thickness of an edge's slot in a column it crosses
PORT = 10
GROUP_PAD = 14
GROUP_HEAD = 26  # room for the group's title
COMPONENT_GAP = 28


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass
class Drawing:
    """Absolute boxes of nodes (by id) and groups (by path), and edge polylines."""

    width: float
    height: float
    nodes: dict[str, Box] = field(default_factory=dict)
    groups: dict[tuple[str, ...], Box] = field(default_factory=dict)
    edges: list[tuple[str, str, list[tuple[float, float]]]] = field(default_factory=list)


@dataclass
class _Block:
    """A laid-out group (or the whole graph), in its own coordinates."""

    w: float
    h: float
    nodes: dict[str, Box]
    groups: dict[tuple[str, ...], Box]
    edges: list[tuple[str, str, list[tuple[float, float]]]]
    ports: dict[tuple[str, str], tuple[float, float]]  # ("in"|"out", source node id) -> point


def layout(nodes: Sequence[tuple[str, float, float, tuple[str, ...]]],
           edges: Sequence[tuple[str, str]]) -> Drawing:
    """Lay out ``nodes`` (``(id, width, height, group path)``) joined by ``edges``
    (``(upstream id, downstream id)``). Cached: the same shape is laid out once."""
    key = (tuple((n, round(w), round(h), tuple(g)) for n, w, h, g in nodes),
           tuple(sorted({(s, d) for s, d in edges})))
    return _layout(key)


class _Cycle(Exception):
    """A level's graph has a cycle (groups that feed each other both ways)."""


@functools.lru_cache(maxsize=64)
def _layout(key: tuple) -> Drawing:
    node_rows, edge_rows = key
    sizes = {n: (w, h) for n, w, h, _g in node_rows}
    paths = {n: g for n, _w, _h, g in node_rows}
    edges = [(s, d) for s, d in edge_rows if s in sizes and d in sizes and s != d]
    try:
        block = _lay_group((), sizes, paths, edges)
    except _Cycle:  # traced pipelines never group so, but a drawing must not fail: no groups then
        flat = {n: () for n in sizes}
        try:
            block = _lay_group((), sizes, flat, edges)
        except _Cycle:  # a cyclic graph (never stored): drop the edges that go back
            order = {n: i for i, n in enumerate(sizes)}
            block = _lay_group((), sizes, flat, [(s, d) for s, d in edges if order[s] < order[d]])
    return Drawing(block.w, block.h, block.nodes, block.groups, block.edges)


# ---------------------------------------------------------------- one level
def _child(path: tuple[str, ...], node: str, paths: dict[str, tuple[str, ...]]) -> str:
    """The entity of level ``path`` holding ``node``: the node itself, or a child group."""
    own = paths[node]
    return node if len(own) == len(path) else "g:" + "\x1f".join(own[: len(path) + 1])


def _inside(path: tuple[str, ...], node: str, paths: dict[str, tuple[str, ...]]) -> bool:
    return paths[node][: len(path)] == path


def _lay_group(path: tuple[str, ...], sizes: dict, paths: dict, edges: list) -> _Block:
    children = {paths[n][len(path)] for n in sizes
                if len(paths[n]) > len(path) and paths[n][: len(path)] == path}
    blocks = {"g:" + "\x1f".join(path + (c,)): _lay_group(path + (c,), sizes, paths, edges)
              for c in sorted(children)}
    size: dict[str, tuple[float, float]] = {n: sizes[n] for n in sizes if paths[n] == path}
    size.update({k: (b.w, b.h) for k, b in blocks.items()})
    # each edge as (source end, target end); an end is (entity, port key or None)
    links: dict[tuple, None] = {}
    for src, dst in edges:
        src_in, dst_in = _inside(path, src, paths), _inside(path, dst, paths)
        if not (src_in or dst_in):
            continue
        if src_in:
            entity = _child(path, src, paths)
            start = (entity, ("out", src) if entity in blocks else None)
        else:
            start = ("p:in:" + src, None)
            size[start[0]] = (PORT, PORT)
        if dst_in:
            entity = _child(path, dst, paths)
            end = (entity, ("in", src) if entity in blocks else None)
        else:
            end = ("p:out:" + src, None)
            size[end[0]] = (PORT, PORT)
        if start[0] != end[0]:
            links[(start, end)] = None
    placed, routes = _grandalf(size, [(s[0], e[0]) for s, e in links])
    return _assemble(path, placed, routes, links, blocks)


def _assemble(path, placed: dict[str, Box], routes: dict, links: dict, blocks: dict[str, _Block]) -> _Block:
    """Shift the level into padding, place child blocks' contents, attach edges to ports."""
    pad = GROUP_PAD if path else 0
    head = GROUP_HEAD if path else 0
    min_x = min((b.x for b in placed.values()), default=0.0)
    min_y = min((b.y for b in placed.values()), default=0.0)
    dx, dy = pad + PORT / 2 - min_x if path else -min_x, pad + head - min_y
    placed = {k: b.moved(dx, dy) for k, b in placed.items()}
    width = max((b.x + b.w for b in placed.values()), default=0.0) + (pad + PORT / 2 if path else 0)
    height = max((b.y + b.h for b in placed.values()), default=0.0) + pad
    out = _Block(width, height, {}, {}, [], {})
    for key, box in placed.items():
        if key.startswith("p:in:"):
            out.ports[("in", key[5:])] = (0.0, box.y + box.h / 2)
        elif key.startswith("p:out:"):
            out.ports[("out", key[6:])] = (width, box.y + box.h / 2)
        elif key in blocks:
            block = blocks[key]
            out.groups[tuple(key[2:].split("\x1f"))] = box
            out.nodes.update({n: b.moved(box.x, box.y) for n, b in block.nodes.items()})
            out.groups.update({g: b.moved(box.x, box.y) for g, b in block.groups.items()})
            out.edges.extend((s, d, [(x + box.x, y + box.y) for x, y in pts]) for s, d, pts in block.edges)
        else:
            out.nodes[key] = box
    for start, end in links:
        route = routes[(start[0], end[0])]
        a = _end_point(start, placed, blocks, out, right=True)
        b = _end_point(end, placed, blocks, out, right=False)
        points = [a, (max(a[0], route["start"] + dx), a[1])]
        for left, right, y in route["via"]:
            points += [(left + dx, y + dy), (right + dx, y + dy)]
        points += [(min(b[0], route["end"] + dx), b[1]), b]
        out.edges.append((_label(start), _label(end), points))
    return out


def _end_point(end: tuple, placed: dict[str, Box], blocks: dict, out: _Block, right: bool) -> tuple[float, float]:
    entity, port = end
    if entity.startswith("p:"):
        return out.ports[("in" if entity.startswith("p:in:") else "out", entity.split(":", 2)[2])]
    box = placed[entity]
    if port is not None:
        px, py = blocks[entity].ports[port]
        return box.x + px, box.y + py
    return (box.x + box.w, box.y + box.h / 2) if right else (box.x, box.y + box.h / 2)


def _label(end: tuple) -> str:
    entity, port = end
    if port is not None:
        return entity + "#" + port[0] + ":" + port[1]
    return entity


# ---------------------------------------------------------------- grandalf
def _ranks(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path columns; input ports in the first column, output ports after the last."""
    preds: dict[str, list[str]] = {i: [] for i in ids}
    for s, d in edges:
        preds[d].append(s)
    rank: dict[str, int] = {}

    def visit(node: str, trail: frozenset = frozenset()) -> int:
        if node not in rank:
            if node.startswith("p:in:") or node in trail:
                rank[node] = 0
            else:
                rank[node] = 1 + max((visit(p, trail | {node}) for p in preds[node]), default=-1)
        return rank[node]

    for i in ids:
        if not i.startswith("p:out:"):
            visit(i)
    last = max(rank.values(), default=-1) + 1
    for i in ids:
        if i.startswith("p:out:"):
            rank[i] = max(last, 1 + max((rank[p] for p in preds[i]), default=0))
    if any(rank[s] >= rank[d] for s, d in edges):
        raise _Cycle()
    return rank


def _components(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Connected components, each in ``ids`` order, ordered by their first member."""
    parent = {i: i for i in ids}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for s, d in edges:
        parent[find(s)] = find(d)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _grandalf(size: dict[str, tuple[float, float]], edges: list[tuple[str, str]]):
    """Boxes of ``size``'s entities and, per edge, the columns it crosses: ``(left, right,
    y)`` of each waypoint, plus the right edge of its start column and the left edge of
    its end column."""
    from grandalf.graphs import Edge, Vertex, graph_core

    edges = list(dict.fromkeys(edges))
    ids = list(size)
    rank = _ranks(ids, edges)
    vertex = {}
    for i in ids:
        v = Vertex(i)
        v.view = _View(size[i][1], size[i][0])  # transposed: grandalf's layers run down
        vertex[i] = v
    placed: dict[str, Box] = {}
    routes: dict[tuple[str, str], dict] = {}
    offset = 0.0
    for members in _components(ids, edges):
        inside = set(members)
        own = {(s, d): Edge(vertex[s], vertex[d]) for s, d in edges if s in inside}
        component = graph_core([vertex[m] for m in members], list(own.values()))
        sug = _Sugiyama(component, rank)
        sug.init_all()
        sug.draw(1.5)
        columns = [(min(v.view.xy[1] - v.view.h / 2 for v in layer), max(v.view.xy[1] + v.view.h / 2 for v in layer))
                   for layer in sug.layers]
        top = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
        bottom = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
        left = columns[0][0]
        for v in component.sV:
            cy, cx = v.view.xy
            placed[v.data] = Box(cx - v.view.h / 2 - left, cy - v.view.w / 2 - top + offset, v.view.h, v.view.w)
        for (s, d), e in own.items():
            r0, r1 = sug.grx[vertex[s]].rank, sug.grx[vertex[d]].rank
            ctrl = sug.ctrls.get(e, {})
            routes[(s, d)] = {
                "start": columns[r0][1] - left, "end": columns[r1][0] - left,
                "via": [(columns[r][0] - left, columns[r][1] - left, ctrl[r].view.xy[0] - top + offset)
                        for r in range(r0 + 1, r1)],
            }
        offset += bottom - top + COMPONENT_GAP
    return placed, routes


class _View:
    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _EdgeView:
    def setpath(self, points: list) -> None:
        self.points = points


def _sugiyama_class():
    from grandalf.layouts import DummyVertex, Layer, SugiyamaLayout

    class Sugiyama(SugiyamaLayout):
        """grandalf's layout with columns given (ports pinned) and thin edge slots."""

        def __init__(self, graph, rank: dict[str, int]) -> None:
            super().__init__(graph)
            self.xspace, self.yspace = GAP_ROWS, GAP_COLUMNS
            self._given = rank

        def rank_all(self, roots, optimize=False):
            ordered = sorted(self.g.sV, key=lambda v: self._given[v.data])
            used = sorted({self._given[v.data] for v in ordered})
            squeeze = {r: i for i, r in enumerate(used)}  # no empty columns inside a component
            for v in ordered:
                self.grx[v].rank = r = squeeze[self._given[v.data]]
                while len(self.layers) <= r:
                    self.layers.append(Layer([]))
                self.layers[r].append(v)
            self._given = {v.data: self.grx[v].rank for v in ordered}

        def _detect_alignment_conflicts(self):
            super()._detect_alignment_conflicts()
            self.conflicts = set(self.conflicts)  # looked up per aligned pair: a list is quadratic

        def dummyctrl(self, r, ctrl):
            dv = DummyVertex(r)
            dv.view.w, dv.view.h = DUMMY, DUMMY
            self.grx[dv] = dv
            dv.ctrl = ctrl
            ctrl[r] = dv
            self.layers[r].append(dv)
            return dv

    return Sugiyama


def _Sugiyama(component, rank):  # noqa: N802 - a class made on first use (grandalf imported lazily)
    global _SUGIYAMA
    if _SUGIYAMA is None:
        _SUGIYAMA = _sugiyama_class()
    sug = _SUGIYAMA(component, rank)
    return sug


_SUGIYAMA = None
