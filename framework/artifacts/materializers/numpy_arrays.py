"""numpy arrays and scalars as ``.npy`` files, never pickled, memory-mapped when large.

Why ``.npy`` with ``allow_pickle=False``: it is numpy's own exact format (dtype, shape,
memory order) and loading it cannot run code. Object arrays would need pickle inside the
file, so they are refused at save time with the fix instead of silently pickled.

Why a hand-rolled write for contiguous arrays: ``np.save`` into anything but a real file
copies the data chunk by chunk (``tobytes``). Writing the standard header and then
memoryview slices of the array's own buffer streams it with no copy at all, so saving a
1 GB array costs no extra memory and the store can hash the bytes on their way to disk.

Loading reads from the bytes the store verified (in memory, without a second copy: the
array is a view of them); ``mmap=True`` on a local store instead returns a copy-on-write
memory map of the checked file: pages are read on demand, and writing to the array changes
only this process's copy, never the stored artifact.
"""

from __future__ import annotations

import math
from typing import IO, Any

from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.exceptions import MaterializerError

__all__ = ["NumpyMaterializer"]

_WRITE_CHUNK = 8 * 1024 * 1024
_ARRAY_TYPES = ("numpy.ndarray", "numpy.memmap")


class NumpyMaterializer(BaseMaterializer):
    """``np.ndarray`` (and ``np.memmap``) and numpy scalars such as ``np.float64``."""

    ASSOCIATED_TYPES = ("numpy.ndarray", "numpy.generic")
    EXTENSION = ".npy"
    SUPPORTS_MMAP = True

    @classmethod
    def unsupported_reason(cls, value: Any) -> str | None:
        import numpy as np

        # Subclasses such as np.ma.MaskedArray or np.matrix would lose their mask or type
        # in a .npy file; let them fall back to pickle (with a warning) instead.
        if type(value) in (np.ndarray, np.memmap) or isinstance(value, np.generic):
            return None
        return f"a .npy file would drop what {type(value).__qualname__} adds to ndarray"

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        import numpy as np

        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise MaterializerError(
                f"Refusing to store a numpy array of dtype {arr.dtype!s}: it holds Python "
                "objects, which .npy can only store by pickling. Convert it to a concrete "
                "dtype (e.g. `arr.astype(float)` or `arr.astype(str)`), or register a "
                "materializer for it with `framework.artifacts.register_materializer`."
            )
        if not _write_contiguous(arr, fileobj):
            np.lib.format.write_array(fileobj, arr, allow_pickle=False)

    def load(self, source: Source, data_type: str, mmap: bool | None = None) -> Any:
        import numpy as np

        if isinstance(source, str) and mmap:
            arr = np.load(source, mmap_mode="c", allow_pickle=False)
        elif hasattr(source, "getbuffer"):  # bytes in memory (the verified ones): a view, no copy
            arr = _view_of(source)
        else:
            with self.open_source(source) as f:
                arr = np.load(f, allow_pickle=False)
        if data_type not in _ARRAY_TYPES and arr.ndim == 0:
            return arr[()]  # a numpy scalar of the recorded dtype, e.g. np.float64
        return arr

    def summary(self, value: Any) -> dict[str, Any]:
        import numpy as np

        out: dict[str, Any] = {"dtype": str(value.dtype)}
        if isinstance(value, np.generic):
            item = value.item()
            if isinstance(item, (bool, int, str)) or (isinstance(item, float) and math.isfinite(item)):
                if not isinstance(item, str) or len(item) <= 100:
                    out["value"] = item
        else:
            out["shape"] = list(value.shape)
        return out


def _view_of(buffer: Any) -> Any:
    """The array in ``.npy`` bytes held in memory, as a view of them (``np.load`` would copy:
    twice the memory for a large array). Falls back to ``np.load`` for what a view cannot
    be (object dtypes are refused by ``allow_pickle=False`` there)."""
    import numpy as np

    fmt = np.lib.format
    buffer.seek(0)
    version = fmt.read_magic(buffer)
    reader = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
    if reader is not None:
        shape, fortran, dtype = reader(buffer)
        if not dtype.hasobject:
            count = math.prod(shape)
            flat = np.frombuffer(buffer.getbuffer(), dtype=dtype, count=count, offset=buffer.tell())
            return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    buffer.seek(0)
    return np.load(buffer, allow_pickle=False)


def _write_contiguous(arr: Any, fileobj: IO[bytes]) -> bool:
    """Write header + raw buffer of a C- or F-contiguous array; False if not applicable.

    Produces exactly what ``np.save`` writes (format 1.0, or 2.0 for huge headers). Returns
    False before writing anything when the fast path does not apply (non-contiguous
    arrays, headers that need format 3.0), so the caller can use numpy's writer instead.
    """
    import numpy as np

    fmt = np.lib.format
    if arr.dtype.itemsize == 0:
        return False
    if arr.flags.c_contiguous:
        data = arr
    elif arr.flags.f_contiguous:
        data = arr.T  # numpy stores Fortran-ordered arrays as the C-ordered transpose
    else:
        return False
    header = fmt.header_data_from_array_1_0(arr)
    for writer in (fmt.write_array_header_1_0, fmt.write_array_header_2_0):
        try:
            writer(_HeaderProbe(), header)  # raises before any byte reaches fileobj
        except (ValueError, UnicodeEncodeError):
            continue
        writer(fileobj, header)
        break
    else:
        return False
    buf = memoryview(data.reshape(-1).view(np.uint8))
    for start in range(0, len(buf), _WRITE_CHUNK):
        fileobj.write(buf[start:start + _WRITE_CHUNK])
    return True


class _HeaderProbe:
    """A sink that swallows the header, to test whether a format version can encode it."""

    def write(self, data: bytes) -> int:
        return len(data)
