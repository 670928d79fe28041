"""pandas DataFrame and Series as Parquet (pyarrow), with an exact round trip.

Why Parquet: typed, columnar, compact, readable by every data tool, and loading it runs
no code. pyarrow already restores most pandas details from the metadata it embeds
(index and its names, RangeIndex, categoricals, time zones, nullable dtypes, MultiIndex).
This module fills the gaps it leaves, recorded under the ``b"framework"`` schema key:

* a Series is written as a one-column frame; its ``name`` (any JSON-able label) is kept;
* column labels that are not unique strings (ints, mixed, a RangeIndex) are written under
  positional names and restored, with their dtype and name, on load;
* every column's and index level's dtype is recorded and cast back when Parquet changed
  it (``datetime64[s]`` comes back as ``[ms]``; object columns of strings come back as
  ``str`` and are rebuilt as ``object`` with ``None`` kept).

Object columns holding anything but strings, bytes, dates or decimals (lists, mixed
types) would not come back equal, so `unsupported_reason` sends such frames to the pickle
fallback (with a warning) instead. pandas and pyarrow are imported only inside methods.
"""

from __future__ import annotations

import json
import warnings
from typing import IO, Any

from framework.artifacts.materializers import tagged_json
from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.exceptions import MaterializerError

__all__ = ["PandasMaterializer"]

_META_KEY = b"framework"
_SERIES_COLUMN = "__framework_series__"
_SAFE_OBJECT_KINDS = {"string", "bytes", "empty", "date", "decimal"}


class PandasMaterializer(BaseMaterializer):
    """``pandas.DataFrame`` and ``pandas.Series`` as ``.parquet``."""

    # pandas >= 3 reports public classes under ``pandas``; older ones under pandas.core.
    ASSOCIATED_TYPES = ("pandas.DataFrame", "pandas.core.frame.DataFrame",
                        "pandas.Series", "pandas.core.series.Series")
    EXTENSION = ".parquet"

    @classmethod
    def unsupported_reason(cls, value: Any) -> str | None:
        import pandas as pd

        frame = value.to_frame() if isinstance(value, pd.Series) else value
        for i, dtype in enumerate(frame.dtypes):
            if dtype == object:
                kind = pd.api.types.infer_dtype(frame.iloc[:, i], skipna=True)
                if kind not in _SAFE_OBJECT_KINDS:
                    return (f"column {frame.columns[i]!r} is an object column holding {kind} "
                            "values, which Parquet cannot store exactly")
        try:
            _columns_record(frame.columns)
            if isinstance(value, pd.Series):
                tagged_json.dumps(_label(value.name))
        except tagged_json.Unsupported as exc:
            return f"a column or series label cannot be stored exactly ({exc})"
        return None

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        record: dict[str, Any] = {"kind": "frame"}
        if isinstance(value, pd.Series):
            record = {"kind": "series", "name": tagged_json.dumps(_label(value.name)).decode()}
            frame = value.to_frame(name=_SERIES_COLUMN)
        else:
            frame = value
        record["columns"] = _columns_record(frame.columns)
        if record["columns"] is not None:
            frame = frame.set_axis([f"__framework_col_{i}__" for i in range(frame.shape[1])], axis=1)
        record["dtypes"] = [str(t) for t in frame.dtypes]
        record["index_dtypes"] = [str(t) for t in _levels(frame.index)]
        try:
            with warnings.catch_warnings():
                # pyarrow < 26 reads tz-aware columns through `Series.values`, which pandas 3.1
                # deprecates: its own internals, nothing the user can act on (the data is exact).
                warnings.filterwarnings("ignore", message="Series.values returning an ndarray that drops timezone")
                table = pa.Table.from_pandas(frame)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise MaterializerError(
                f"Cannot write this {type(value).__name__} as Parquet: {exc}. Convert the "
                "offending column to a Parquet-friendly dtype, or register a materializer "
                "with `framework.artifacts.register_materializer`."
            ) from exc
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(record).encode()
        pq.write_table(table.replace_schema_metadata(meta), fileobj)

    def load(self, source: Source, data_type: str) -> Any:
        import pyarrow.parquet as pq

        with self.open_source(source) as f:
            table = pq.read_table(f)
        record = json.loads(table.schema.metadata[_META_KEY])
        frame = table.to_pandas()
        _restore_dtypes(frame, table, record)
        if record["columns"] is not None:
            frame.columns = _columns_from_record(record["columns"])
        if record["kind"] == "series":
            series = frame.iloc[:, 0]
            series.name = tagged_json.loads(record["name"])
            return series
        return frame

    def summary(self, value: Any) -> dict[str, Any]:
        import pandas as pd

        if isinstance(value, pd.Series):
            return {"rows": len(value), "dtype": str(value.dtype)}
        return {"rows": value.shape[0], "columns": [str(c) for c in value.columns[:50]],
                "n_columns": value.shape[1]}


def _label(label: Any) -> Any:
    """numpy scalars → Python values so labels like ``np.int64(3)`` can be recorded."""
    return label.item() if hasattr(label, "item") and hasattr(label, "dtype") else label


def _levels(index: Any) -> list:
    return list(index.dtypes) if hasattr(index, "levels") else [index.dtype]


def _columns_record(columns: Any) -> dict[str, Any] | None:
    """None when pyarrow restores the labels itself; else what `_columns_from_record` needs."""
    import pandas as pd

    name = tagged_json.dumps(_label(columns.name)).decode()
    if isinstance(columns, pd.RangeIndex):
        return {"range": [columns.start, columns.stop, columns.step], "name": name}
    if isinstance(columns, pd.MultiIndex):
        return None
    if columns.is_unique and all(type(c) is str for c in columns):
        return None
    labels = tagged_json.dumps([_label(c) for c in columns]).decode()
    return {"labels": labels, "dtype": str(columns.dtype), "name": name}


def _columns_from_record(record: dict[str, Any]) -> Any:
    import pandas as pd

    name = tagged_json.loads(record["name"])
    if "range" in record:
        return pd.RangeIndex(*record["range"], name=name)
    return pd.Index(tagged_json.loads(record["labels"]), dtype=record["dtype"], name=name)


def _restore_dtypes(frame: Any, table: Any, record: dict[str, Any]) -> None:
    """Cast columns and index levels back to the dtypes they had when saved (in place)."""
    import pandas as pd

    pandas_meta = json.loads(table.schema.metadata[b"pandas"])
    for i, wanted in enumerate(record["dtypes"]):
        if str(frame.dtypes.iloc[i]) == wanted:
            continue
        if wanted == "object":  # rebuild from Arrow so missing values stay None
            field = pandas_meta["columns"][i]["field_name"]
            values = table.column(field).to_numpy(zero_copy_only=False)
            frame.isetitem(i, pd.Series(values, index=frame.index, dtype=object, copy=False))
        else:
            frame.isetitem(i, frame.iloc[:, i].astype(wanted))
    wanted_index = record["index_dtypes"]
    if [str(t) for t in _levels(frame.index)] == wanted_index:
        return
    if isinstance(frame.index, pd.MultiIndex):
        frame.index = frame.index.set_levels(
            [lvl.astype(t) for lvl, t in zip(frame.index.levels, wanted_index)])
    else:
        frame.index = frame.index.astype(wanted_index[0])
