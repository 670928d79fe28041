"""What an artifact is, from its record (never loading) or, where needed, its value.

The record's ``metadata`` (written by the materializer: shape and dtype of an array, rows
and columns of a DataFrame, the value of a scalar, the class of a model) answers first;
the value is loaded (hash-verified) only for what the record cannot tell: the head of a
DataFrame, the repr of a model or of a container.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any, Callable

from framework.records import ArtifactInfo

SCALAR_TYPES = frozenset({"builtins.int", "builtins.float", "builtins.bool", "builtins.str",
                          "builtins.NoneType"})
REPR_LIMIT = 2000  # characters of a model's or object's repr shown


# ---------------------------------------------------------------------- pure logic
def artifact_kind(record: ArtifactInfo) -> str:
    """``array``, ``dataframe``, ``series``, ``model``, ``scalar``, ``collection`` or ``object``."""
    materializer = (record.materializer or "").rsplit(".", 1)[-1]
    data_type = record.data_type or ""
    metadata = record.metadata
    if materializer == "NumpyMaterializer":
        return "array" if "shape" in metadata or data_type == "numpy.ndarray" else "scalar"
    if materializer == "PandasMaterializer":
        return "series" if data_type.endswith(".Series") else "dataframe"
    if materializer == "SklearnMaterializer":
        return "model"
    if materializer == "BuiltinsMaterializer":
        return "scalar" if data_type in SCALAR_TYPES else "collection"
    return "object"


def short_summary(record: ArtifactInfo) -> str:
    """One line from the record's metadata alone (never loads): for tables."""
    metadata = record.metadata
    kind = artifact_kind(record)
    if "summary_error" in metadata:
        return ""
    if kind == "array" and "shape" in metadata:
        dims = ", ".join(str(d) for d in metadata["shape"])
        return f"shape ({dims}) · dtype {metadata.get('dtype', '?')}"
    if kind == "dataframe" and "rows" in metadata:
        return f"{metadata['rows']} rows × {metadata.get('n_columns', len(metadata.get('columns', [])))} columns"
    if kind == "series" and "rows" in metadata:
        return f"{metadata['rows']} rows {metadata.get('dtype', '')}".strip()
    if "value" in metadata:
        return f"value {format_value(metadata['value'], 40)}"
    if "estimator" in metadata:
        return str(metadata["estimator"])
    if "model" in metadata:
        return str(metadata["model"])
    if "len" in metadata:
        return f"len {metadata['len']}"
    return ""


def summarize(record: ArtifactInfo, load: Callable[[], Any] | None, head: int = 5) -> dict[str, Any]:
    """What ``artifacts show`` prints about one artifact, as plain data.

    ``load`` returns the (verified) value; ``None`` means "never load" (``--no-load``), and
    it is called only when the record's metadata cannot answer. The result has ``kind``,
    the fields known for that kind (``shape``/``dtype``, ``rows``/``columns``/``head``,
    ``class``/``repr``, ``value``, ``len``) and ``text``: the lines to print.
    """
    kind = artifact_kind(record)
    summary: dict[str, Any] = {"kind": kind, "loaded": False}

    def value() -> Any:
        summary["loaded"] = True
        return load()  # type: ignore[misc]

    describe = _DESCRIBERS.get(kind, _describe_object)
    describe(summary, record, dict(record.metadata), value if load is not None else None, head)
    return summary


def _describe_array(summary: dict, record: ArtifactInfo, metadata: dict, value: Any, head: int) -> None:
    if "shape" in metadata and "dtype" in metadata:
        summary.update(shape=list(metadata["shape"]), dtype=metadata["dtype"])
    elif value is not None:
        array = value()
        summary.update(shape=list(array.shape), dtype=str(array.dtype))
    summary["text"] = (f"array  shape {tuple(summary['shape'])}  dtype {summary['dtype']}"
                       if "shape" in summary else "array (shape unknown; load disabled)")


def _describe_scalar(summary: dict, record: ArtifactInfo, metadata: dict, value: Any, head: int) -> None:
    if "value" in metadata:
        summary["value"] = metadata["value"]
    elif value is not None:
        summary["value"] = _plain(value())
    summary["text"] = (f"{record.data_type or 'value'} = {summary['value']!r}"
                       if "value" in summary else "scalar (value not recorded; load disabled)")


def _describe_table(summary: dict, record: ArtifactInfo, metadata: dict, value: Any, head: int) -> None:
    kind = summary["kind"]
    summary.update({key: metadata[key] for key in ("rows", "n_columns", "columns", "dtype") if key in metadata})
    lines = []
    if "rows" in summary:
        shape = (f"{summary['rows']} rows × {summary.get('n_columns', len(summary.get('columns', [])))} columns"
                 if kind == "dataframe" else f"{summary['rows']} rows, dtype {summary.get('dtype')}")
        lines.append(f"{kind}  {shape}")
    if value is not None and head > 0:
        frame = value()
        summary["head"] = frame.head(head).to_string()
        if "rows" not in summary:
            summary["rows"] = len(frame)
            lines.append(f"{kind}  {len(frame)} rows")
        lines.append(summary["head"])
    summary["text"] = "\n".join(lines) or kind


def _describe_model(summary: dict, record: ArtifactInfo, metadata: dict, value: Any, head: int) -> None:
    summary["class"] = metadata.get("estimator") or record.data_type
    if value is not None:
        summary["repr"] = _short_repr(value())
    summary["text"] = summary.get("repr") or f"model {summary['class']}"


def _describe_object(summary: dict, record: ArtifactInfo, metadata: dict, value: Any, head: int) -> None:
    if "len" in metadata:
        summary["len"] = metadata["len"]
    if value is not None:
        summary["repr"] = _short_repr(value())
    summary["text"] = summary.get("repr") or (
        f"{record.data_type} (len {summary['len']})" if "len" in summary else str(record.data_type))


_DESCRIBERS = {"array": _describe_array, "scalar": _describe_scalar, "dataframe": _describe_table,
               "series": _describe_table, "model": _describe_model}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def _short_repr(value: Any) -> str:
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        limiter = reprlib.Repr()
        limiter.maxlist = limiter.maxtuple = limiter.maxdict = limiter.maxset = 20
        limiter.maxstring = limiter.maxother = 200
        text = limiter.repr(value)
    else:
        text = repr(value)
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "…"


def artifact_header(view: Any, run_name: str, step_name: str) -> dict[str, Any]:
    """The fields every summary starts with, from an ``ArtifactView``."""
    record = view.record
    return {
        "run": run_name, "step": step_name, "output": view.name,
        "id": view.id, "type": view.data_type, "materializer": view.materializer, "size": view.size,
        "content_hash": view.content_hash, "uri": view.uri, "path": view.path,
        "produced_by_run": record.run_name, "metadata": view.metadata,
    }


def format_value(value: Any, limit: int = 60) -> str:
    """A parameter or output value, compact: JSON for containers, repr-like for str."""
    if value is None:
        return "None"
    if isinstance(value, str):
        shown = value
    elif isinstance(value, (bool, int, float)):
        shown = repr(value)
    else:
        try:
            shown = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
