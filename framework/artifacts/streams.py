"""`HashingWriter`: a write-only file wrapper that hashes and counts bytes as they pass.

Why: hashing while writing avoids reading a just-written (possibly huge) file back.
For large writes the hash runs in a helper thread *while* the same buffer is written to
disk (xxhash and file writes both release the GIL), so hashing adds almost nothing to
the time of a big save. Each ``write`` waits for its hash before returning, so callers
may reuse their buffer afterwards, and the bytes are hashed in write order.

The wrapper is deliberately not seekable: formats that seek back (zip with a seekable
file, some writers) would make a streamed hash wrong, and they fall back gracefully when
``seek`` is unsupported. Closing the wrapper never closes the underlying file; the store
owns that file so it can fsync it.
"""

from __future__ import annotations

import io
from typing import IO, Any

from framework.hashing import format_digest, new_hasher

__all__ = ["HashingWriter"]

#: Writes at least this big are hashed in parallel with the disk write.
_PARALLEL_MIN_BYTES = 1024 * 1024


class HashingWriter(io.RawIOBase):
    """Forward writes to ``raw`` while hashing them; see `content_hash` and `size`."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._hasher = new_hasher()
        self._size = 0
        self._pool: Any = None  # a ThreadPoolExecutor, made for the first large write

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    @property
    def content_hash(self) -> str:
        """``"xxh3_128:<hex>"`` of the bytes written so far."""
        return format_digest(self._hasher)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._size

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed HashingWriter")
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        n = view.nbytes
        if n >= _PARALLEL_MIN_BYTES:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(1, thread_name_prefix="framework-hash")
            pending = self._pool.submit(self._hasher.update, view)
            try:
                self._write_all(view)
            finally:
                pending.result()
        else:
            self._write_all(view)
            self._hasher.update(view)
        self._size += n
        return n

    def _write_all(self, view: memoryview) -> None:
        # Raw (unbuffered) files may write partially; buffered ones write everything.
        while view:
            written = self._raw.write(view)
            if written is None or written >= len(view):
                return
            view = view[written:]

    def flush(self) -> None:
        if not self.closed and not getattr(self._raw, "closed", False):
            self._raw.flush()

    def close(self) -> None:
        """Stop the hashing thread; the underlying file stays open (the store closes it)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        super().close()
