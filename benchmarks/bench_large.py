"""One large output: a 1 GB float64 array (16 MB with ``BENCH_QUICK=1``).

In a child process of its own, with the array in memory:

* **save speed**: ``ArtifactStore.save`` (what a step's output goes through: streamed
  ``.npy`` write, content hash computed in a second thread while the bytes are written,
  atomic rename) against ``np.save`` of the same array to a file in the same directory,
  interleaved, files deleted between samples. Target: ≥ 0.5× ``np.save``'s speed.
* **peak memory** during a save, measured apart from the timed ones: the most memory
  allocated at once while saving (``tracemalloc``, which sees numpy's buffers too) and
  the growth of the process's peak RSS. Target: array + extra ≤ 1.2× the array.
* **load**: ``ArtifactStore.load`` verifies the whole file against its hash, then returns
  a memory map (``np.memmap``, copy-on-write) instead of reading 1 GB into memory.
* **hashing never the bottleneck**: xxh3-128 over the in-memory array, against the
  speed at which ``np.save`` writes it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._common import QUICK, child_env, median, repeats, row, run_child, temp_dir

SIZE = (16 if QUICK else 1024) * 1024 * 1024  # bytes


def measure(directory: Path, rounds: int) -> dict[str, Any]:
    import resource
    import tracemalloc

    import numpy as np

    from framework.artifacts import ArtifactStore
    from framework.hashing import hash_bytes, new_id

    arr = np.arange(SIZE // 8, dtype=np.float64)
    store = ArtifactStore(directory / "store")
    plain = directory / "np_save.npy"
    np_times, store_times = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        np.save(plain, arr)
        np_times.append(time.perf_counter() - start)
        plain.unlink()
        start = time.perf_counter()
        info = store.save(arr, artifact_id=new_id())
        store_times.append(time.perf_counter() - start)
        store.delete(info)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    info = store.save(arr, artifact_id=new_id())
    extra = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before

    start = time.perf_counter()
    loaded = store.load(info)
    load_time = time.perf_counter() - start
    is_memmap = isinstance(loaded, np.memmap) and bool(np.array_equal(loaded[-5:], arr[-5:]))
    del loaded

    view = memoryview(arr).cast("B")
    start = time.perf_counter()
    hash_bytes(view)
    hash_time = time.perf_counter() - start
    return {"np_save": median(np_times), "store_save": median(store_times), "extra": extra,
            "rss_growth": rss_growth, "load": load_time, "memmap": is_memmap, "hash": hash_time,
            "size": arr.nbytes}


def run() -> list[dict[str, Any]]:
    with temp_dir("bench-large-") as directory:
        result = run_child("bench_large", "--child", str(directory), str(repeats(3)), env=child_env(directory))
    size_gb = result["size"] / 1e9
    speed = result["np_save"] / result["store_save"]
    memory = (result["size"] + result["extra"]) / result["size"]
    hash_speed, write_speed = size_gb / result["hash"], size_gb / result["np_save"]
    label = f"{result['size'] / 2**30:g} GiB" if result["size"] >= 2**30 else f"{result['size'] / 2**20:g} MiB"
    return [
        row(f"{label} float64 array: save speed vs np.save, same directory", f"{speed:.2f}x", ">= 0.5x",
            speed >= 0.5, detail=f"{size_gb / result['store_save']:.2f} GB/s vs {write_speed:.2f} GB/s"),
        row(f"{label} array: peak memory while saving / array size", f"{memory:.3f}x", "<= 1.2x",
            memory <= 1.2, detail=f"+{result['extra'] / 2**20:.1f} MiB traced, "
                                  f"peak RSS +{max(result['rss_growth'], 0) / 2**20:.1f} MiB"),
        row(f"{label} array: load verifies the hash, returns a memory map", "yes" if result["memmap"] else "NO",
            "yes", result["memmap"], detail=f"{result['load'] * 1000:.0f} ms"),
        row("xxh3 hashing speed / np.save write speed (hashing never the bottleneck)",
            f"{hash_speed / write_speed:.1f}x", ">= 2x", hash_speed >= 2 * write_speed,
            detail=f"{hash_speed:.1f} GB/s vs {write_speed:.2f} GB/s"),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]))))
