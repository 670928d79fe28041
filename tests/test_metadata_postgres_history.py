"""Run history on PostgreSQL beyond the shared contract: a store written before it upgrades,
a deletion that fails half-way leaves everything, concurrent taggers lose nothing, listing
rows are exactly the documents' rows, pages of the listing meet without gaps or repeats, time
bounds compare instants whatever the offset, and each filter of ``query_runs`` has an index. (The contract itself, on every backend, is
``test_metadata_contract.py``.)"""

from __future__ import annotations

import threading

import psycopg
import pytest

from framework.exceptions import RunInProgressError
from framework.metadata import InMemoryStore
from framework.metadata.checks import RunQuery
from framework.metadata.postgres import PostgresStore, engine, listing, migrations
from framework.records import RunRow
from tests.test_metadata_contract import artifact, make_run, step, ts
from tests.test_metadata_postgres import sql


def _closed(store, name: str, start: int = 0, **extra):
    run = make_run(store, name, start=start, **extra)
    out = artifact()
    record = step(0, run_id=run.id, cache_key=f"key-{name}", outputs={"out": out.id})
    store.finish_run(run.id, status="completed", end_time=ts(start + 1), duration=1.0, steps=[(record, [out])])
    return run


def test_a_store_from_before_run_history_upgrades_and_keeps_every_record(postgres_url, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])  # a release at schema version 1
    old = PostgresStore(postgres_url)
    runs = [_closed(old, f"r{i}", start=i, tags=["old"] if i else [], step_order=["a", "b"]) for i in range(3)]
    before = [old.get_run_by_id(r.id) for r in runs]
    monkeypatch.undo()
    engine.dispose(old.url)

    store = PostgresStore(postgres_url)  # this release's first use: upgraded to version 2
    assert [r.id for r in store.list_runs()] == [r.id for r in reversed(runs)]
    assert sql(postgres_url, "SELECT max(version) FROM schema_migrations") == [(migrations.latest(),)]
    assert [store.get_run_by_id(r.id) for r in runs] == before
    rows = list(store.query_runs())
    assert rows == [RunRow.of(d.run) for d in reversed(before)] and rows[0].steps == 2
    assert [r.name for r in store.query_runs(tags=["old"])] == ["r2", "r1"]
    pipeline = store.get_pipeline("p")
    assert (pipeline.tags, pipeline.notes, pipeline.run_count) == ([], None, 3)
    assert store.update_pipeline("p", add_tags=["kept"]).tags == ["kept"]
    assert store.delete_runs([runs[2].id]) == [runs[2].id]
    assert store.get_pipeline("p").last_run_id == runs[1].id and store.cache_candidates("key-r2") == []


def test_a_deletion_that_fails_half_way_leaves_everything(postgres_store, postgres_url):
    kept = [_closed(postgres_store, f"r{i}", start=i) for i in range(3)]
    counts = "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM step_runs), " \
             "(SELECT count(*) FROM artifacts), (SELECT count(*) FROM cache_entries)"
    assert sql(postgres_url, counts) == [(3, 3, 3, 3)]
    # The counters are updated last, after every row went: make that statement fail.
    sql(postgres_url, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$")
    sql(postgres_url, "CREATE TRIGGER refuse BEFORE UPDATE OR DELETE ON pipelines FOR EACH ROW EXECUTE FUNCTION refuse()")
    with pytest.raises(Exception, match="the disk is full"):
        postgres_store.delete_runs([kept[0].id, kept[2].id])
    with pytest.raises(Exception, match="the disk is full"):
        postgres_store.delete_pipeline("p")
    assert sql(postgres_url, counts) == [(3, 3, 3, 3)]
    assert [r.name for r in postgres_store.query_runs()] == ["r2", "r1", "r0"]
    assert postgres_store.get_run("r0").run.name == "r0" and len(postgres_store.cache_candidates("key-r0")) == 1
    assert len(postgres_store.list_versions("p")) == 1
    sql(postgres_url, "DROP TRIGGER refuse ON pipelines")
    assert postgres_store.delete_runs([kept[0].id, kept[2].id]) == [kept[0].id, kept[2].id]
    assert sql(postgres_url, counts) == [(1, 1, 1, 1)]
    assert postgres_store.get_pipeline("p").last_run_id == kept[1].id


def test_a_live_run_among_many_deletes_none_of_them(postgres_store, postgres_url):
    done = [_closed(postgres_store, f"done{i}", start=i) for i in range(20)]
    live = make_run(postgres_store, "live", start=30)
    with pytest.raises(RunInProgressError, match="live"):
        postgres_store.delete_runs([r.id for r in done] + [live.id])
    assert sql(postgres_url, "SELECT count(*) FROM runs") == [(21,)]
    assert postgres_store.get_pipeline("p").run_count == 21


def test_concurrent_taggers_lose_nothing(postgres_store):
    run = make_run(postgres_store, "r")

    def tagger(worker: int) -> None:
        for i in range(10):
            postgres_store.update_run(run.id, add_tags=[f"t{worker}-{i}"], metadata={f"m{worker}": i})

    threads = [threading.Thread(target=tagger, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stored = postgres_store.get_run("r").run
    assert sorted(stored.tags) == sorted(f"t{w}-{i}" for w in range(6) for i in range(10))
    assert stored.metadata == {f"m{w}": 9 for w in range(6)}
    assert len(list(postgres_store.query_runs(tags=["t0-0", "t5-9"]))) == 1


def test_listing_rows_are_the_documents_rows(postgres_store):
    summary = {"params": {"trainer.C": 1e20}, "metrics": {"scorer.output": 0.5, "count": 3}}
    plain = make_run(postgres_store, "plain")
    rich = make_run(postgres_store, "rich \u2603 \"quoted\"", start=1, api="new", unlisted=True,
                    step_order=["a", "b", "c"], tags=["x", "y"])
    postgres_store.update_run(rich.id, notes="line\nbreak", summary=summary, metadata={"k": 1})
    postgres_store.finish_run(plain.id, status="failed", end_time=ts(2), duration=2.5, error="boom")
    rows = {row.id: row for row in postgres_store.query_runs()}
    for run in (plain, rich):
        assert rows[run.id] == RunRow.of(postgres_store.get_run_by_id(run.id).run)
    assert type(rows[rich.id].summary["params"]["trainer.C"]) is float  # the text as written: 1e20 stays a float
    assert type(rows[rich.id].summary["metrics"]["count"]) is int


def test_pages_of_the_listing_meet_without_gaps_or_repeats(postgres_store, monkeypatch):
    monkeypatch.setattr(listing, "FIRST_PAGE", 2)  # small pages: many page boundaries, on ties too
    monkeypatch.setattr(listing, "MAX_PAGE", 5)
    memory = InMemoryStore()
    for store in (postgres_store, memory):
        for i in range(37):
            run = make_run(store, f"r{i:02d}", pipeline="p" if i % 3 else "q", start=i // 4,  # 4 runs a second
                           id=f"{i * 7919 % 1000:04d}{'0' * 28}", tags=["even"] if i % 2 == 0 else [])
            if i % 5 == 0:
                store.finish_run(run.id, status="completed", end_time=ts(40), duration=1.0)
    for query in ({}, {"pipeline_name": "p"}, {"status": "completed"}, {"tags": ["even"]},
                  {"status": ["running", "completed"], "until": ts(6)}):
        expected = [(r.name, r.id) for r in memory.query_runs(**query)]
        assert [(r.name, r.id) for r in postgres_store.query_runs(**query)] == expected and expected


OFFSETS = ["2024-01-01T05:30:00+05:30", "2023-12-31T19:00:00-05:00", "2024-01-01T00:00:00", "2024-01-01T00:00:00.5+00:00",
           "2024-01-02T13:59:00+14:00", "2023-12-31T10:00:00-14:00", "2024-01-03T00:00:00+00:00"]


@pytest.mark.parametrize("bounds", [
    {"since": "2024-01-01T00:00:00+00:00"}, {"until": "2024-01-01T00:00:00.5+00:00"},
    {"since": "2024-01-01T00:00:00.1", "until": "2024-01-02"}, {"since": "2023-12-31T23:00:00-01:00"},
    {"until": "2024-01-01T00:00:01+00:00", "since": "2023-12-31T10:00:00"},
])
def test_time_bounds_compare_instants_whatever_the_offset(postgres_store, bounds):
    memory = InMemoryStore()  # the reference: every run read and its time parsed
    for store in (postgres_store, memory):
        for i, start in enumerate(OFFSETS):
            make_run(store, f"r{i}", start_time=start)
    expected = [r.name for r in memory.query_runs(**bounds)]
    assert expected and [r.name for r in postgres_store.query_runs(**bounds)] == expected


@pytest.mark.parametrize("query", [
    {"pipeline_name": "p"}, {"status": "completed"}, {"status": ["failed", "crashed"]}, {"tags": ["best"]},
    {"since": "2024-01-01T00:00:00"}, {},
])
def test_each_filter_of_query_runs_has_an_index(postgres_store, postgres_url, query):
    make_run(postgres_store, "r")
    where, params = listing.filters(RunQuery(**query))
    statement = (f"EXPLAIN SELECT listing FROM runs {'WHERE ' + ' AND '.join(where) if where else ''} "
                 "ORDER BY start_time DESC, id DESC LIMIT 100")
    parsed = postgres_store.url
    with psycopg.connect(parsed.connect_url.replace("postgresql+psycopg://", "postgresql://"),
                         options=f"-c search_path={parsed.schema} -c enable_seqscan=off") as conn:
        plan = "\n".join(row[0] for row in conn.execute(statement, params))
    assert "Seq Scan" not in plan, plan
