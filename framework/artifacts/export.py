"""Writing an artifact's value in a format other tools open: ``framework artifacts export``.

By the destination's suffix (a directory gets ``<name>.<default suffix>``; a path without
a suffix gets the default one):

==========================  ======================  =======================================
value                       suffixes (default first) written with
==========================  ======================  =======================================
numpy array                 .npy, .csv (1-d, 2-d)   ``numpy.save`` (no pickle), ``savetxt``
pandas DataFrame / Series   .parquet, .csv          ``to_parquet``, ``to_csv``
scikit-learn estimator      .skops                  ``skops.io.dump`` (``skops.io.load`` opens it)
pydantic model              .json                   ``model_dump_json``
JSON builtins               .json                   ``json.dump`` (strict: no NaN)
==========================  ======================  =======================================

Anything else is refused with a message saying how to load it in Python instead. The file
is written beside its destination under a temp name and renamed into place, so a failed
export leaves nothing half written; an existing file is replaced only when asked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from framework.exceptions import ArtifactError

_JSON_SCALARS = (str, int, float, bool, type(None))


def _kind(value: Any) -> str | None:
    module = type(value).__module__.split(".")[0]
    if module == "numpy" and type(value).__name__ == "ndarray":
        return "array"
    if module == "pandas" and type(value).__name__ in ("DataFrame", "Series"):
        return "frame"
    if module == "sklearn" or hasattr(value, "get_params") and hasattr(value, "fit"):
        return "model"
    if hasattr(value, "model_dump_json") and hasattr(type(value), "model_fields"):
        return "pydantic"
    if _is_json(value):
        return "json"
    return None


def _is_json(value: Any) -> bool:
    if isinstance(value, _JSON_SCALARS):
        return not (isinstance(value, float) and value != value)
    if isinstance(value, (list, tuple)):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_json(item) for key, item in value.items())
    return False


SUFFIXES = {"array": (".npy", ".csv"), "frame": (".parquet", ".csv"), "model": (".skops",),
            "pydantic": (".json",), "json": (".json",)}


def _write_array(value: Any, path: str, suffix: str) -> None:
    import numpy as np

    if suffix == ".npy":
        with open(path, "wb") as handle:
            np.save(handle, value, allow_pickle=False)
    elif value.ndim > 2 or value.dtype.kind not in "biufc":
        raise ArtifactError(f"A {value.ndim}-d {value.dtype} array cannot be written as CSV; export it as .npy.")
    else:
        np.savetxt(path, value, delimiter=",", fmt="%s" if value.dtype.kind in "biu" else "%.17g")


def _write_frame(value: Any, path: str, suffix: str) -> None:
    frame = value.to_frame() if type(value).__name__ == "Series" else value
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path)


def _write_model(value: Any, path: str, suffix: str) -> None:
    import skops.io

    skops.io.dump(value, path)


def _write_pydantic(value: Any, path: str, suffix: str) -> None:
    Path(path).write_text(value.model_dump_json(indent=2), encoding="utf-8")


def _write_json(value: Any, path: str, suffix: str) -> None:
    Path(path).write_text(json.dumps(value, indent=2, allow_nan=False), encoding="utf-8")


_WRITERS: dict[str, Callable[[Any, str, str], None]] = {
    "array": _write_array, "frame": _write_frame, "model": _write_model, "pydantic": _write_pydantic,
    "json": _write_json}


def destination(kind: str, dest: str | os.PathLike[str], name: str) -> Path:
    """Where the export goes: inside ``dest`` if it is a directory, else ``dest`` (the
    default suffix added if it has none)."""
    path = Path(dest)
    default = SUFFIXES[kind][0]
    if path.is_dir() or str(dest).endswith(("/", os.sep)):
        return path / f"{name}{default}"
    return path if path.suffix else path.with_name(path.name + default)


def export_value(value: Any, dest: str | os.PathLike[str], *, name: str, what: str,
                 overwrite: bool = False) -> Path:
    """Write ``value`` to ``dest`` (see the module docstring); return the path written.
    ``what`` names the artifact in errors (run, step, output)."""
    kind = _kind(value)
    if kind is None:
        raise ArtifactError(
            f"{what} is a {type(value).__module__}.{type(value).__qualname__}, which has no export format "
            "(arrays, DataFrames, scikit-learn models, pydantic models and JSON values do). Load it in Python "
            "instead: Client().get_run(RUN).steps[STEP].outputs[OUTPUT].load().")
    path = destination(kind, dest, name)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES[kind]:
        raise ArtifactError(f"{what} ({type(value).__qualname__}) can be exported as {', '.join(SUFFIXES[kind])}, "
                            f"not {suffix}; choose a destination ending in one of those.")
    if path.exists() and not overwrite:
        raise ArtifactError(f"{path} exists already; choose another destination or pass --force to replace it.")
    if not path.parent.is_dir():
        raise ArtifactError(f"The directory {path.parent} does not exist; create it first.")
    from framework.io.atomic import temp_path

    temp = temp_path(str(path))
    temp_with_suffix = temp[: -len(".tmp")] + suffix  # some writers go by the suffix
    try:
        _WRITERS[kind](value, temp_with_suffix, suffix)
        os.replace(temp_with_suffix, path)
    except BaseException:
        Path(temp_with_suffix).unlink(missing_ok=True)
        raise
    return path
