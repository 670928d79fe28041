"""A loaded artifact value as plain data for a viewer: tables, statistics, histograms.

``inspect_value(value)`` answers what a person opening an output wants to see first —
a DataFrame's head and tail and per-column statistics, an array's shape, dtype,
statistics and value histogram (and whether it looks like an image), a scikit-learn
model's parameters and fitted attributes, JSON or text pretty-printed — bounded in size
whatever the value's size, so a page built from it stays small. Everything is plain JSON
data (numbers, strings, lists); turning it into HTML, charts or PNGs is the viewer's job.
"""

from __future__ import annotations

import json
import math
from typing import Any

HEAD_ROWS, TAIL_ROWS = 10, 5
MAX_COLUMNS = 40
CELL_CHARS = 80
TEXT_CHARS = 20_000
HIST_BINS = 30
HIST_SAMPLE = 1_000_000  # elements of a big array the histogram and statistics look at


def _clip(text: str, limit: int = CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> Any:
    """A JSON-safe number (NaN and infinities as strings), else a short string."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _clip(str(value))
    if math.isfinite(number):
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return str(number)


def _cell(value: Any) -> Any:
    if isinstance(value, (bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return _number(value)
    return _clip(str(value))


def inspect_value(value: Any) -> dict[str, Any]:
    """What to show of ``value``: a dict with ``kind`` (``dataframe``, ``array``, ``model``,
    ``json``, ``text`` or ``object``) and that kind's fields."""
    module = type(value).__module__.split(".")[0]
    if module == "pandas":
        return _frame(value)
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return _array(value)
        return {"kind": "json", "text": json.dumps(_number(value)), "truncated": False}
    if module == "sklearn" or hasattr(value, "get_params"):
        return _model(value)
    if isinstance(value, str):
        return {"kind": "text", "text": value[:TEXT_CHARS], "truncated": len(value) > TEXT_CHARS, "chars": len(value)}
    try:
        text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
        return {"kind": "object", "text": text[:TEXT_CHARS], "truncated": len(text) > TEXT_CHARS}
    return {"kind": "json", "text": text[:TEXT_CHARS], "truncated": len(text) > TEXT_CHARS, "chars": len(text)}


# ---------------------------------------------------------------- tables
def _frame(value: Any) -> dict[str, Any]:
    import pandas as pd

    frame = value.to_frame() if isinstance(value, pd.Series) else value
    if not isinstance(frame, pd.DataFrame):
        return {"kind": "object", "text": _clip(repr(value), TEXT_CHARS), "truncated": False}
    shown = frame.iloc[:, :MAX_COLUMNS]

    def rows(part: pd.DataFrame) -> list[dict[str, Any]]:
        return [{"index": _clip(str(i)), "cells": [_cell(v) for v in row]}
                for i, row in zip(part.index, part.itertuples(index=False, name=None))]

    tail = shown.iloc[max(HEAD_ROWS, len(shown) - TAIL_ROWS):]
    return {
        "kind": "dataframe", "rows": len(frame), "n_columns": frame.shape[1],
        "columns": [_clip(str(c)) for c in shown.columns], "dtypes": [str(t) for t in shown.dtypes],
        "columns_cut": frame.shape[1] > MAX_COLUMNS,
        "head": rows(shown.iloc[:HEAD_ROWS]), "tail": rows(tail), "stats": [_column_stats(shown[c]) for c in shown.columns],
    }


def _column_stats(column: Any) -> dict[str, Any]:
    import pandas as pd

    stats: dict[str, Any] = {"column": _clip(str(column.name)), "dtype": str(column.dtype),
                             "non_null": int(column.notna().sum()), "nulls": int(column.isna().sum())}
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        described = column.describe()
        for key in ("mean", "std", "min", "max"):
            stats[key] = _number(described.get(key))
    else:
        try:
            counts = column.astype(str).value_counts()
            stats["unique"] = int(len(counts))
            if len(counts):
                stats["top"] = _clip(str(counts.index[0]))
                stats["top_count"] = int(counts.iloc[0])
        except (TypeError, ValueError):  # pragma: no cover - unhashable cells
            pass
    return stats


# ---------------------------------------------------------------- arrays
def _array(array: Any) -> dict[str, Any]:
    import numpy as np

    out: dict[str, Any] = {"kind": "array", "shape": list(array.shape), "dtype": str(array.dtype),
                           "size": int(array.size)}
    flat = array.reshape(-1)
    if flat.size > HIST_SAMPLE:
        flat = flat[:: math.ceil(flat.size / HIST_SAMPLE)]
        out["sampled"] = int(flat.size)
    numeric = np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    if numeric and flat.size:
        values = flat.astype(np.float64)
        finite = values[np.isfinite(values)]
        out["stats"] = {"min": _number(finite.min()) if finite.size else None,
                        "max": _number(finite.max()) if finite.size else None,
                        "mean": _number(finite.mean()) if finite.size else None,
                        "std": _number(finite.std()) if finite.size else None,
                        "non_finite": int(values.size - finite.size)}
        if finite.size:
            counts, edges = np.histogram(finite, bins=min(HIST_BINS, max(1, len(np.unique(finite[:10000])))))
            out["histogram"] = {"counts": [int(c) for c in counts], "edges": [_number(e) for e in edges]}
    out["image"] = image_layout(array.shape) if numeric else None
    out["text"] = np.array2string(array, threshold=60, edgeitems=3, max_line_width=100)[:TEXT_CHARS]
    return out


def image_layout(shape: tuple[int, ...] | list[int]) -> dict[str, Any] | None:
    """How an array of ``shape`` reads as images: ``{"mode": "gray"|"rgb"|"rgba", "count"}``
    for ``(H, W)``, ``(H, W, 1|3|4)`` or a stack ``(N, H, W)`` of small images; else None."""
    shape = tuple(shape)
    if len(shape) == 2 and min(shape) >= 4 and max(shape) <= 4096 and max(shape) / min(shape) <= 8:
        return {"mode": "gray", "count": 1}
    if len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[:2]) >= 4 and max(shape[:2]) <= 4096:
        return {"mode": {1: "gray", 3: "rgb", 4: "rgba"}[shape[2]], "count": 1}
    if len(shape) == 3 and 4 <= min(shape[1:]) and max(shape[1:]) <= 256 and max(shape[1:]) / min(shape[1:]) <= 4:
        return {"mode": "gray", "count": min(shape[0], 16)}
    return None


# ---------------------------------------------------------------- models
def _model(model: Any) -> dict[str, Any]:
    try:
        params = model.get_params(deep=False)
    except Exception:  # noqa: BLE001 - a model whose get_params fails still shows its repr
        params = {}
    fitted = {}
    for name, attr in sorted(vars(model).items()):
        if name.endswith("_") and not name.startswith("_"):
            shape = getattr(attr, "shape", None)
            fitted[name] = (f"array {tuple(shape)} {getattr(attr, 'dtype', '')}".strip()
                            if shape is not None else _clip(repr(attr), 120))
    return {"kind": "model", "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "params": {k: _clip(repr(v), 200) for k, v in sorted(params.items())},
            "fitted": fitted, "text": _clip(repr(model), 2000)}
