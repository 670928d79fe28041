"""The TinyDB backend of the metadata store: JSON files below one directory.

Not one ever-growing file: each record kind lives in the file
that the operations using it need, so what a run does costs the same with 10,000 runs
stored as with none. Layout below the store root::

    .lock                          the write lock (filelock's native lock; excludes threads too)
    store.json                     the store's id, format and whether it is sealed (``identity``)
    leases/<run id>                the lease each run in progress holds (``leases``: an flock)
    pipelines.json                 tables pipelines {id, name, created, latest_version,
                                   last_run_id, run_count, index_chunk}, running
                                   {run_id, host, pid, process_start, lease}, shards (which
                                   names shards were written) and store (a copy of the id);
                                   grows with pipelines and live runs only
    versions.json                  table versions {pipeline_id, pipeline_name, number, hash,
                                   spec, created}; written only when a new version appears
    runs/<id[:2]>/<id>.json        the run record (table run) and which index chunk lists it
                                   (table index {chunk})
    runs/<id[:2]>/<id>.steps.json  its step runs (table step_runs, execution order) and
                                   artifacts (table artifacts); a run's later step runs go
                                   to <id>.steps.1.json, .2, … (16 per chunk, ``layout``)
    names/<sha1(name)[:3]>.json    4096 shards of name -> run_id claims
    index/<pipeline_id>/<n>.json   the pipeline's runs {run_id, start_time, row}, 64 per file,
                                   so list_runs(limit=k) reads only the newest files; ``row``
                                   is the run's listing fields (``rows``), so query_runs
                                   reads these files and no run file
    cache/<key[:2]>/<key>.json     one file per cache key: the newest 8 entries
                                   {cache_key, run_id, step_run_id, outputs, artifacts, created}

Files written per operation: create_run 4 (run, name shard, index chunk, pipelines.json);
record_step 1 (steps file), or 2 for a completed step with a cache key (+ its cache file);
finish_run 3 (run, its index chunk, pipelines.json); update_run 2 (run, index chunk);
register_pipeline 0 for a known version, else 2. delete_runs rewrites the name shards,
index chunks, cache files and pipelines.json that mention the runs, then removes their
run and steps files (``deletion``; ``Transaction.remove``).
Reads take no lock and write nothing: get_run reads the name shard, the run and its steps
file; get_pipeline/last_run pipelines.json (+ the run); cache_candidates one cache file;
list_runs(limit=k) the newest index files and k run records.

Transactions (``files.py``): one file lock, a fresh read of every touched file, and for
the changed files: temp files in their directories, all fsynced at once (concurrent
fsyncs share journal commits), ``os.replace`` of each, then one fsync per directory — for
a run's step records deferred to the run's last transaction, and never for cache files
(an index: a lost update is a cache miss; see ``docs/architecture.md``).
Files are written in the order they were first changed, so a crash between two files
leaves only harmless leftovers (a run file nothing points to, an index entry skipped by
readers). The previous version of each file is kept as ``<file>.bak``, a hard link to the
replaced inode (no bytes copied; a copy where hard links are unsupported). An empty,
truncated or unparsable file raises ``StoreCorruptedError`` naming it and the ``.bak`` to
restore; a missing file is an empty database.

Every file ends with a checksum of its content (``seal``), so damage that is still valid
JSON is refused like a truncated file; a removed file is caught from the files that point at
it (``presence``); ``framework doctor`` checks every file and ``--repair`` rebuilds what is
derived from the run records (``doctor``, ``rebuild``).

Values must be strict JSON (``framework.metadata.checks``); a run whose lease is free (or,
without one, whose process died on this host) is read back as ``crashed``
(``framework.liveness``; the store adds ``process_start`` to runs it creates on this host so a
reused pid is caught) and ``mark_crashed_runs()`` persists that.
Step run ids are the caller's and unique within their run: ``get_step_run(run_id,
step_run_id)``. A cache key keeps its newest 8 entries; older ones only ever served when
all newer ones had lost their artifacts.
"""

from framework.metadata.tinydb.store import TinyDBStore

__all__ = ["TinyDBStore"]
