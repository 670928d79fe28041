"""Arrays as PNG images (``data:`` URIs) for the artifact page: numpy and zlib only.

Why not a plotting or imaging library: an image view needs nothing but the pixels, and
the page must not load images from anywhere but itself (the Content-Security-Policy
allows ``data:`` images). Values are scaled from the array's own minimum and maximum to
0–255; large images are sampled down to ``MAX_SIDE`` pixels a side; small ones are shown
enlarged by the browser (CSS ``image-rendering: pixelated``).
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

MAX_SIDE = 512


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode(pixels: Any) -> bytes:
    """PNG bytes of a uint8 array ``(H, W)`` (gray), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA)."""
    import numpy as np

    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color = {1: 0, 3: 2, 4: 6}[channels]
    rows = pixels.reshape(height, width * channels)
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rows], axis=1).tobytes()  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _scaled(array: Any) -> Any:
    import numpy as np

    values = np.asarray(array, dtype=np.float64)
    step = max(1, -(-max(values.shape[:2]) // MAX_SIDE))
    values = values[::step, ::step]
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if 0 <= lo and hi <= 255 and hi > 1 and np.issubdtype(np.asarray(array).dtype, np.integer):
        lo, hi = 0.0, 255.0  # 8-bit images keep their own levels
    span = hi - lo or 1.0
    scaled = np.nan_to_num((values - lo) / span * 255.0, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def data_uris(array: Any, layout: dict[str, Any]) -> list[str]:
    """``data:image/png`` URIs of ``array`` read as ``layout`` says (see
    ``framework.reports.artifact_values.image_layout``): one image, or the first of a stack."""
    images = [array] if array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3, 4) and layout["count"] == 1) \
        else [array[i] for i in range(layout["count"])]
    out = []
    for image in images:
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        out.append("data:image/png;base64," + base64.b64encode(encode(_scaled(image))).decode("ascii"))
    return out
