"""The metadata store: pipelines, versions, runs, step runs, artifacts and the cache index.

TinyDB is the engine, but not one ever-growing file: each record kind lives in the file
that the operations using it need, so what a run does costs the same with 10,000 runs
stored as with none. Layout below the store root::

    .lock                          the write lock: filelock's native lock, held per process
                                   on one kept-open descriptor, plus a thread lock
    pipelines.json                 tables pipelines {id, name, created, latest_version,
                                   last_run_id, run_count} and running {run_id, host, pid,
                                   process_start}; grows with pipelines and live runs only
    versions.json                  table versions {pipeline_id, pipeline_name, number, hash,
                                   spec, created}; written only when a new version appears
    runs/<id[:2]>/<id>.json        one per run: tables run (the record), step_runs (execution
                                   order), artifacts
    names/<sha1(name)[:3]>.json    4096 shards of name -> run_id claims
    index/<pipeline_id>/<n>.json   the pipeline's runs {run_id, start_time}, 256 per file,
                                   so list_runs(limit=k) reads only the newest files
    cache/<key[:2]>/<key>.json     one file per cache key: the newest 32 entries
                                   {cache_key, run_id, step_run_id, outputs, artifacts, created}

Files written per operation: create_run 4 (run, name shard, index chunk, pipelines.json);
record_step 1, or 2 for a completed step with a cache key; finish_run 2 (run,
pipelines.json); register_pipeline 0 for a known version, else 2. Reads take no lock and
write nothing; each reads one to three small files.

Transactions (``storage.py``): one file lock, a fresh read of every touched file, and per
changed file: temp file in the same directory, fsync, ``os.replace``, fsync the directory.
Files are written in the order they were first changed, so a crash between two files
leaves only harmless leftovers (a run file nothing points to, an index entry skipped by
readers). The previous version of each file is kept as ``<file>.bak``, a hard link to the
replaced inode (no bytes copied; a copy where hard links are unsupported). An empty,
truncated or unparsable file raises ``StoreCorruptedError`` naming it and the ``.bak`` to
restore; a missing file is an empty database.

Values must be strict JSON (``strict_json.py``); a run whose process died on this host is
read back as ``crashed`` (``liveness.py``) and ``mark_crashed_runs()`` persists that.
"""

from framework.metadata.records import Registration
from framework.metadata.store import MetadataStore

__all__ = ["MetadataStore", "Registration"]
