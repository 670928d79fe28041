"""What a framework home holds, as plain data two homes can be compared by.

``snapshot_store()`` reads the active home through the public ``framework.client.Client``:
every pipeline, every run of it (oldest first, unlisted runs included), and per run its
status and its steps in execution order with their status, parameters and outputs. Outputs
are loaded and reduced by ``comparable()`` to builtins and numpy arrays: an array stays an
array, a DataFrame becomes its columns, dtypes, index and values, a fitted model becomes
its class, its parameters and its predictions on a fixed input, any other object its class
and attributes. ``differences(a, b)`` lists where two snapshots differ, one readable line
per difference (arrays are compared with ``np.array_equal``).

Run as a script (``python store_snapshot.py OUT``), it pickles the snapshot of the home
named by ``FRAMEWORK_HOME`` to OUT. The current directory goes first on ``sys.path``, so
types defined in a project's own modules load as they did in the project. Types defined in
a script's ``__main__`` cannot be loaded by any other process; such an output is reduced
to what its record says about it (type, materializer, content hash of the stored bytes).
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import numpy as np

#: Run names keep their pattern, not their timestamp: "first_pipeline-{date}-{time}".
_DATE = re.compile(r"\d{4}_\d{2}_\d{2}")
_TIME = re.compile(r"\d{2}_\d{2}_\d{2}_\d{6}")


def normalized_run_name(name: str) -> str:
    return _TIME.sub("{time}", _DATE.sub("{date}", name))


def unreadable(message: str) -> dict[str, str]:
    """An output that could not be loaded: plain data (it crosses processes as a pickle) that
    equals nothing else, not even another unreadable output, so a comparison reports it."""
    import uuid

    return {"unreadable": message, "never equal": uuid.uuid4().hex}


# ---------------------------------------------------------------------------- values
def _probe(n_features: int) -> np.ndarray:
    """A fixed input for models: the same numbers in every process."""
    return np.random.default_rng(12345).normal(size=(16, n_features))


def _model(value: Any) -> dict[str, Any] | None:
    """A fitted scikit-learn-like model as its class, parameters and outputs on the probe."""
    n_features = getattr(value, "n_features_in_", None)
    if not isinstance(n_features, int) or not hasattr(value, "get_params"):
        return None
    probe = _probe(n_features)
    out: dict[str, Any] = {
        "kind": "model",
        "type": f"{type(value).__module__}.{type(value).__qualname__}",
        "params": comparable(value.get_params(deep=False)),
    }
    for method in ("predict", "transform"):
        if hasattr(value, method):
            out[method] = np.asarray(getattr(value, method)(probe))
    return out


def comparable(value: Any) -> Any:
    """``value`` reduced to builtins and numpy arrays (picklable without the user's code)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value
    if type(value) is dict:
        return {str(k): comparable(v) for k, v in value.items()}
    if type(value) is list:
        return [comparable(v) for v in value]
    if isinstance(value, (dict, list, tuple, set, frozenset)):  # other containers keep their kind
        items = value.items() if isinstance(value, dict) else value
        items = sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
        return {"kind": type(value).__name__, "items": [comparable(v) for v in items]}
    module = type(value).__module__
    if module.startswith("pandas") and hasattr(value, "to_numpy"):
        out = {"kind": type(value).__name__, "values": value.to_numpy(), "index": value.index.to_numpy()}
        if hasattr(value, "columns"):
            out["columns"] = [str(c) for c in value.columns]
            out["dtypes"] = [str(d) for d in value.dtypes]
        else:
            out["name"] = value.name
            out["dtypes"] = [str(value.dtype)]
        return out
    model = _model(value)
    if model is not None:
        return model
    if hasattr(value, "model_dump"):  # pydantic models, BaseParameters included
        return {"kind": type(value).__qualname__, "fields": comparable(value.model_dump())}
    if hasattr(value, "__dict__"):
        return {"kind": type(value).__qualname__, "attributes": comparable(vars(value))}
    return {"kind": type(value).__qualname__, "repr": repr(value)}


def _stored_output(artifact: Any) -> Any:
    """An output's value, or what its record says when its type lives in a script's __main__."""
    try:
        return comparable(artifact.load())
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        record = artifact.to_dict()
        names = f"{record.get('data_type')} {record.get('materializer')}"
        if "__main__" in names:
            return {
                "kind": "stored bytes (type defined in a script)",
                "data_type": record.get("data_type"),
                "materializer": record.get("materializer"),
                "content_hash": record.get("content_hash"),
            }
        return unreadable(f"cannot load: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------- the store
def snapshot_store() -> dict[str, Any]:
    """Every pipeline of the active home: its runs (oldest first) with their steps."""
    from framework.client import Client

    client = Client()
    pipelines: dict[str, Any] = {}
    for pipeline in sorted(client.list_pipelines(), key=lambda p: p.name):
        runs = []
        for run in reversed(client.list_runs(pipeline_name=pipeline.name)):
            steps = []
            for view in run.steps.values():
                steps.append({
                    "name": view.name,
                    "status": view.status,
                    "parameters": comparable(view.parameters),
                    "outputs": {name: _stored_output(a) for name, a in sorted(view.outputs.items())},
                })
            runs.append({
                "name": normalized_run_name(run.name),
                "status": run.status,
                "unlisted": bool(run.to_dict().get("unlisted")),
                "steps": steps,
            })
        pipelines[pipeline.name] = runs
    return {"pipelines": pipelines}


# ---------------------------------------------------------------------------- comparison
def differences(expected: Any, actual: Any, where: str = "store") -> list[str]:
    """Every place where two snapshots (or parts of them) differ, as readable lines."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        if not (isinstance(expected, np.ndarray) and isinstance(actual, np.ndarray)):
            return [f"{where}: {_short(expected)} != {_short(actual)}"]
        if expected.dtype != actual.dtype or expected.shape != actual.shape:
            return [f"{where}: array {expected.dtype}{expected.shape} != {actual.dtype}{actual.shape}"]
        equal_nan = expected.dtype.kind in "fc"
        if not np.array_equal(expected, actual, equal_nan=equal_nan):
            return [f"{where}: arrays differ ({_short(expected)} != {_short(actual)})"]
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in [k for k in expected if k not in actual]:
            lines.append(f"{where}: `{key}` missing")
        for key in [k for k in actual if k not in expected]:
            lines.append(f"{where}: unexpected `{key}`")
        for key in [k for k in expected if k in actual]:
            lines += differences(expected[key], actual[key], f"{where}.{key}")
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)} items "
                    f"({_labels(expected)} != {_labels(actual)})"]
        lines = []
        for i, (a, b) in enumerate(zip(expected, actual)):
            lines += differences(a, b, f"{where}[{_label(a, i)}]")
        return lines
    if isinstance(expected, float) and isinstance(actual, float):
        if expected == actual or (math.isnan(expected) and math.isnan(actual)):
            return []
    elif type(expected) is type(actual) and expected == actual:
        return []
    return [f"{where}: {_short(expected)} != {_short(actual)}"]


def _label(item: Any, index: int) -> str:
    return repr(item["name"]) if isinstance(item, dict) and "name" in item else str(index)


def _labels(items: list) -> str:
    return "[" + ", ".join(_label(item, i) for i, item in enumerate(items)) + "]"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


if __name__ == "__main__":
    import os
    import pickle

    sys.path[0] = os.getcwd()  # the project's modules, not this directory's
    with open(sys.argv[1], "wb") as out:
        pickle.dump(snapshot_store(), out)
