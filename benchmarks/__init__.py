"""Benchmarks: how fast the framework runs, persisting everything, next to what it replaces.

``make bench`` (``python -m benchmarks``) runs each ``bench_*`` module's ``run()`` — a list
of rows ``{measure, value, target, ok, detail}`` — and prints them as one table. Every
ratio is measured side by side in that run; see ``_common`` for the rules and each
module's docstring for exactly what it times:

bench_import  ``import framework.steps, framework.pipelines`` vs numpy + pydantic
bench_seed    the seed's digits pipeline, whole process, cache off and cached, vs plain Python
bench_steps   per-step cost of a 100-step chain, empty store and a store of 10,000 runs
bench_client  ``Client().get_pipeline(p).last_run`` + loading an output, store of 10,000 runs
bench_history ``runs list --where/--sort/--columns`` over 10,000 runs; deleting 1,000 runs; gc after
bench_large   a 1 GB float64 output: save speed, peak memory, memory-mapped load
bench_postgres  the PostgreSQL metadata store next to TinyDB: per-step cost, 32 concurrent
              writers, reads at 100,000 runs (a throwaway cluster; skipped without one)
bench_peers   the seed pipeline on ZenML 0.98 in its own venv (``make bench PEERS=1``)
bench_dask    the Dask orchestrator (its own module; rows marked ``dask*``)
============  ================================================================
=======
===============  ================================================================
bench_import     ``import framework.steps, framework.pipelines`` vs numpy + pydantic
bench_seed       the seed's digits pipeline, whole process, cache off and cached, vs plain Python
bench_steps      per-step cost of a 100-step chain, empty store and a store of 10,000 runs
bench_logs       what capturing step logs adds: per step, and to a step printing 10 MB
bench_client     ``Client().get_pipeline(p).last_run`` + loading an output, store of 10,000 runs
bench_history    ``runs list --where/--sort/--columns`` over 10,000 runs; deleting 1,000 runs; gc after
bench_large      a 1 GB float64 output: save speed, peak memory, verified load
bench_postgres   the PostgreSQL metadata store next to TinyDB: per-step cost, 32 concurrent
                 writers, reads at 100,000 runs (a throwaway cluster; skipped without one)
bench_dashboard  every dashboard page over 10,000 runs (server time, size); a 200-step graph in Chromium
bench_peers      the seed pipeline on ZenML 0.98 in its own venv (``make bench PEERS=1``)
bench_dask       the Dask orchestrator (its own module; rows marked ``dask*``)
bench_mlflow     a step with an MLflow experiment tracker vs the same step without one
===============  ================================================================

``BENCH_QUICK=1`` shrinks every size to check that all of it runs (``tests/test_benchmarks.py``).
"""
