"""Where each record lives below the store root (see the package docstring for the picture).

Every path is built from a generated id or a hash, never from a user-given string, so a
run name such as ``../x`` can never name a file.
"""

from __future__ import annotations

import hashlib
import re

from framework.metadata.checks import is_safe_id

PIPELINES = "pipelines.json"  # tables: pipelines, running
VERSIONS = "versions.json"  # table: versions
INDEX_CHUNK = 64  # index entries per per-pipeline index file



def run_file(run_id: str) -> str:
    """The run record: table run (one doc). Small, so listings stay cheap."""
    return f"runs/{run_id[:2]}/{run_id}.json"


def steps_file(run_id: str, chunk: int = 0) -> str:
    """The run's step runs and artifacts: tables step_runs (execution order), artifacts.

    Chunk 0 is ``<id>.steps.json``; once a chunk holds ``STEPS_CHUNK`` step runs, the next
    write starts ``<id>.steps.<n>.json``, so recording a step never rewrites a file that
    grows with the length of the run. Readers read chunks 0, 1, … up to the first missing.
    """
    if chunk == 0:
        return f"runs/{run_id[:2]}/{run_id}.steps.json"
    return f"runs/{run_id[:2]}/{run_id}.steps.{chunk}.json"


STEPS_CHUNK = 16  # step runs per steps file chunk
STEPS_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{2,128}\.steps(\.[0-9]+)?\.json$")


def name_file(name: str) -> str:
    """Name claims, 4096 shards by sha1 of the name: table names {name, run_id}."""
    return f"names/{hashlib.sha1(name.encode('utf-8')).hexdigest()[:3]}.json"


def cache_file(cache_key: str) -> str:
    """One small file per cache key: table entries (newest last, capped)."""
    stem = cache_key if is_safe_id(cache_key) else hashlib.sha1(cache_key.encode()).hexdigest()
    return f"cache/{stem[:2]}/{stem}.json"


def index_file(pipeline_id: str, chunk: int) -> str:
    """A pipeline's run index, ``INDEX_CHUNK`` runs per file: table runs {run_id, start_time}."""
    return f"index/{pipeline_id}/{chunk:06d}.json"
