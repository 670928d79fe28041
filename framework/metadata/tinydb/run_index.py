"""Listing runs newest first from the per-pipeline index files, reading only what is needed.

Each pipeline's index is ``index/<pipeline_id>/<n>.json``: ``{run_id, start_time}`` entries,
at most ``layout.INDEX_CHUNK`` per file, in creation order; the pipeline record's
``index_chunk`` names the newest file.
Creation order is start-time order except when concurrent launchers interleave, so each
file is merged with one older file of look-ahead before its entries are released.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

from framework.metadata.tinydb import presence
from framework.metadata.tinydb.files import StoreFiles


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return (entry.get("start_time") or "", entry.get("run_id") or "")


def _chunk(files: StoreFiles, pipeline: dict[str, Any], chunk: int) -> list[dict[str, Any]]:
    docs = (presence.index_chunk(files, pipeline, chunk).get("runs") or {}).values()
    return sorted(docs, key=_key, reverse=True)


def pipeline_newest_first(files: StoreFiles, pipeline: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One pipeline's index entries by start time, newest first, reading files lazily."""
    chunk = pipeline.get("index_chunk", 0)
    pending = _chunk(files, pipeline, chunk)
    for older_chunk in range(chunk - 1, -1, -1):
        older = _chunk(files, pipeline, older_chunk)
        if not older:
            continue
        bound = _key(older[0])
        cut = 0
        while cut < len(pending) and _key(pending[cut]) >= bound:
            cut += 1
        yield from pending[:cut]
        pending = sorted(pending[cut:] + older, key=_key, reverse=True)
    yield from pending


def newest_first(files: StoreFiles, pipelines: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The index entries of all ``pipelines`` merged, newest start time first."""
    # (key, entry) pairs merge without a key function (keys are unique: they hold the run id).
    streams = [((_key(entry), entry) for entry in pipeline_newest_first(files, pipeline)) for pipeline in pipelines]
    return (entry for _key_, entry in heapq.merge(*streams, reverse=True))
