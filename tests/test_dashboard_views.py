"""Pages that scale and views of every kind, over HTTP (FastAPI's TestClient): pages of
runs and their search, clipped values and the page with all of a value, artifact pages
and downloads (escaping included), nested pipelines as groups, the layout's geometry,
and an export split into the same pages."""

from __future__ import annotations

import random
import re
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from benchmarks.dashboard_fill import fill
from framework import Client, stacks
from framework.dashboard import create_app, export_site
from framework.dashboard.layout import layout
from tests import dashboard_store as store


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """120 runs of ``wide`` (summaries with a 10,000-character parameter), 49 small pipelines."""
    home = tmp_path_factory.mktemp("filled") / "home"
    fill(home, 120, big_run=False)
    return home


@pytest.fixture
def web(filled):
    return TestClient(create_app(Client(stacks.default_stack(filled))))


def names(page: str) -> list[str]:
    return re.findall(r'<a class="strong" href="/runs/([^"]+)"', page)


# ---------------------------------------------------------------- pages and search
def test_runs_come_in_pages_with_totals_and_links(web):
    first = web.get("/pipelines/wide").text
    assert names(first)[:2] == ["wide-00119", "wide-00118"] and len(names(first)) == 50
    assert "Runs 1–50 of 120" in first and 'href="/pipelines/wide?page=2"' in first
    third = web.get("/pipelines/wide?page=3").text
    assert names(third) == [f"wide-{i:05d}" for i in range(19, -1, -1)] and 'rel="next"' not in third
    api = web.get("/api/pipelines/wide", params={"page": 2}).json()
    assert api["page"]["total"] == 120 and api["page"]["has_next"] and api["page"]["number"] == 2
    assert [r["name"] for r in api["runs"]][0] == "wide-00069"
    assert web.get("/pipelines/wide?page=nonsense").status_code == 200  # a bad number is page 1


def test_search_and_status_filter_are_answered_by_the_store(web):
    found = web.get("/pipelines/wide", params={"q": "0011"}).text
    assert names(found) == [f"wide-{i:05d}" for i in range(119, 109, -1)] + ["wide-00011"]
    assert "Runs 1–11" in found and " of " not in re.search(r"Runs 1–11[^<]*", found).group(0)
    failed = web.get("/api/pipelines/wide", params={"status": "failed"}).json()
    assert {r["status"] for r in failed["runs"]} == {"failed"} and len(failed["runs"]) == 7
    none = web.get("/pipelines/wide", params={"q": "<script>"}).text
    assert "No runs match “&lt;script&gt;”" in none
    home = web.get("/", params={"q": "pipeline_1"}).text
    assert re.findall(r'href="/pipelines/(pipeline_\d+)"', home) == [f"pipeline_{i}" for i in range(10, 20)]
    assert len(re.findall(r'<td class="name"><a class="strong"', web.get("/").text)) == 50
    assert "Pipelines 1–50 of 50" in web.get("/").text


def test_tag_filter_is_paged_and_combines_with_status_and_search(web):
    first = web.get("/pipelines/wide", params={"tag": "sweep"}).text  # every even run
    assert names(first) == [f"wide-{i:05d}" for i in range(118, 18, -2)]
    assert "Runs 1–50" in first and " of " not in re.search(r"Runs 1–50[^<]*", first).group(0)
    assert 'href="/pipelines/wide?tag=sweep&amp;page=2"' in first  # the pager keeps the filter
    second = web.get("/pipelines/wide", params={"tag": "sweep", "page": 2}).text
    assert names(second) == [f"wide-{i:05d}" for i in range(18, -1, -2)] and 'rel="next"' not in second
    assert 'href="/pipelines/wide?tag=sweep"' in second and 'rel="prev"' in second
    failed = web.get("/api/pipelines/wide", params={"tag": "sweep", "status": "failed"}).json()
    assert [r["name"] for r in failed["runs"]] == ["wide-00118", "wide-00084", "wide-00050", "wide-00016"]
    searched = web.get("/pipelines/wide", params={"tag": "sweep", "q": "0011", "status": "completed"}).text
    assert names(searched) == ["wide-00116", "wide-00114", "wide-00112", "wide-00110"]
    assert 'href="/pipelines/wide?q=0011&amp;status=completed&amp;tag=best"' not in searched  # not tagged best
    assert 'href="/pipelines/wide?q=0011&amp;status=completed&amp;tag=sweep"' in searched  # badges keep filters
    rare = web.get("/api/pipelines/wide", params={"tag": "best"}).json()
    assert [r["name"] for r in rare["runs"]] == ["wide-00100", "wide-00000"] and not rare["page"]["has_next"]
    assert rare["runs"][0]["parameters"]["items"][0]["key"] == "pipeline:seed"  # from the listing row's summary
    assert rare["runs"][0]["tags"] == ["sweep", "best"]


def test_long_values_are_clipped_and_linked_to_all_of_them(web):
    page = web.get("/pipelines/wide").text
    assert "x" * 100 not in page and "all 10000 chars" in page
    link = re.search(r'<a class="more" href="([^"]+)">all 10000 chars</a>', page).group(1).replace("&amp;", "&")
    whole = web.get(link)
    assert whole.status_code == 200 and whole.text == "x" * 10_000
    assert whole.headers["content-type"].startswith("text/plain")
    assert web.get("/runs/wide-00119/values", params={"key": "nope"}).status_code == 404
    assert len(page.encode()) < 120_000  # 50 rows, each value clipped


# ---------------------------------------------------------------- artifacts
@pytest.fixture(scope="module")
def artifacts_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("artifacts") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_HOME", str(home))
        run = store.run_artifacts(note="<b>" + "n" * 300 + "</b>")
        nested = store.nested_pipeline().name
    return home, run, nested


@pytest.fixture
def aweb(artifacts_home):
    return TestClient(create_app(Client(stacks.default_stack(artifacts_home[0]))))


def test_artifact_pages_escape_every_cell_and_column_name(aweb, artifacts_home):
    run = artifacts_home[1]
    page = aweb.get(f"/runs/{quote(run)}/steps/frame/outputs/output")
    assert page.status_code == 200 and 'data-kind="dataframe"' in page.text
    assert "&lt;b onmouseover=alert(&#39;col&#39;)&gt;c&lt;/b&gt;" in page.text
    assert "&lt;script&gt;alert(&#39;cell&#39;)&lt;/script&gt;" in page.text
    assert "<b onmouseover" not in page.text and "<script>alert" not in page.text
    panel = aweb.get(f"/runs/{quote(run)}/steps/frame").text
    assert "<b onmouseover" not in panel and "<script>alert" not in panel
    json_page = aweb.get(f"/runs/{quote(run)}/steps/config/outputs/output").text
    assert "&#34;&lt;i&gt;net&lt;/i&gt;&#34;" in json_page or "&quot;&lt;i&gt;net&lt;/i&gt;&quot;" in json_page
    assert "<i>net</i>" not in json_page
    text_page = aweb.get(f"/runs/{quote(run)}/steps/report/outputs/output").text
    assert "&lt;tag&gt; &amp; more" in text_page
    for path in (f"/runs/{quote(run)}/steps/config", f"/runs/{quote(run)}", "/pipelines/artifacts"):
        body = aweb.get(path).text
        assert "<b>nnn" not in body, path  # the long parameter, clipped and escaped


def test_array_page_has_statistics_histogram_and_an_image(aweb, artifacts_home):
    page = aweb.get(f"/runs/{quote(artifacts_home[1])}/steps/picture/outputs/output").text
    assert 'data-kind="array"' in page and "shape (32, 32)" in page
    chart = re.search(r"data-chart='([^']+)'", page).group(1)
    assert '"type": "histogram"' in chart.replace("&#34;", '"') or '"histogram"' in chart
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', page)
    assert '<script src="/static/echarts.min.js">' in page


def test_downloads_serve_the_verified_file_and_nothing_else(aweb, artifacts_home):
    run = artifacts_home[1]
    client = Client(stacks.default_stack(artifacts_home[0]))
    artifact = client.get_run(run).steps["picture"].output
    got = aweb.get(f"/runs/{quote(run)}/steps/picture/outputs/output/download")
    assert got.status_code == 200 and got.content == Path(artifact.path).read_bytes()
    assert got.headers["content-disposition"] == 'attachment; filename="output.npy"'
    assert got.headers["content-type"] == "application/octet-stream"
    assert aweb.get(f"/runs/{quote(run)}/steps/picture/outputs/nope/download").status_code == 404
    Path(artifact.path).write_bytes(b"tampered")
    broken = aweb.get(f"/runs/{quote(run)}/steps/picture/outputs/output/download")
    assert broken.status_code == 409 and "altered" in broken.text and b"tampered" not in broken.content


def test_nested_pipeline_calls_are_groups_of_the_graph(aweb, artifacts_home):
    nested = artifacts_home[2]
    graph = aweb.get(f"/api/runs/{nested}").json()["graph"]
    groups = {n["id"]: n["group"] for n in graph["nodes"]}
    assert groups["source"] == [] and groups["combine"] == ["feature_block"] and groups["combine_2"] == ["feature_block_2"]
    page = aweb.get(f"/runs/{nested}").text
    assert page.count('class="dag-group"') == 2 and 'data-group="feature_block_2"' in page


# ---------------------------------------------------------------- layout geometry
def _inside(x: float, y: float, box) -> bool:
    return box.x + 1 < x < box.x + box.w - 1 and box.y + 1 < y < box.y + box.h - 1


@pytest.mark.parametrize("seed", range(6))
def test_layout_never_overlaps_boxes_nor_runs_an_edge_under_one(seed):
    rng = random.Random(seed)
    ids = [f"s{i}" for i in range(60)]
    groups = {i: () for i in ids}  # as traced: a nested call adds a run of consecutive steps
    for name, start, stop in (("g0", 5, 20), ("g1", 25, 40), ("g2", 45, 52)):
        for i in ids[start:stop]:
            groups[i] = (name,)
    for i in ids[8:12]:
        groups[i] = ("g0", "inner")  # a group inside a group
    edges = [(ids[rng.randrange(k)], ids[k]) for k in range(1, 60) for _ in range(rng.randrange(1, 3))]
    drawing = layout([(i, rng.choice([150, 200, 260]), rng.choice([52, 68, 84]), groups[i]) for i in ids], edges)
    boxes = list(drawing.nodes.values())
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            p, q = boxes[a], boxes[b]
            assert not (p.x < q.x + q.w and q.x < p.x + p.w and p.y < q.y + q.h and q.y < p.y + p.h)
    for _src, _dst, points in drawing.edges:
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            for t in range(1, 20):
                x, y = x1 + (x2 - x1) * t / 20, y1 + (y2 - y1) * t / 20
                assert not any(_inside(x, y, box) for box in boxes), (x, y)
    for node, path in groups.items():
        for depth in range(1, len(path) + 1):
            g, n = drawing.groups[path[:depth]], drawing.nodes[node]
            assert g.x <= n.x and n.x + n.w <= g.x + g.w and g.y <= n.y and n.y + n.h <= g.y + g.h


def test_groups_that_would_feed_each_other_both_ways_are_drawn_without_groups():
    drawing = layout([("a", 150, 52, ("g",)), ("b", 150, 52, ()), ("c", 150, 52, ("g",))], [("a", "b"), ("b", "c")])
    assert set(drawing.nodes) == {"a", "b", "c"} and not drawing.groups


# ---------------------------------------------------------------- export
def test_export_splits_lists_into_the_same_pages(filled, tmp_path):
    out = tmp_path / "site"
    export_site(out, Client(stacks.default_stack(filled)))
    pages = sorted(p.name for p in (out / "pipelines").glob("wide-*.html"))
    assert len(pages) == 3 and any(".p3." in p for p in pages)
    third = next(p for p in (out / "pipelines").glob("wide-*.p3.html")).read_text(encoding="utf-8")
    assert "Runs 101–120 of 120" in third and 'rel="prev"' in third
    assert len(list((out / "runs").glob("*.html"))) == 169  # every run of every pipeline
    values = list((out / "values").glob("*.txt"))
    assert values and all(v.read_text() == "x" * 10_000 for v in values if "note" in v.name)


# ---------------------------------------------------------------- step logs (StepView.logs / log_info)
def test_step_logs_panel_shows_the_tail_and_what_was_kept():
    from types import SimpleNamespace

    from framework.dashboard import artifact_views
    from framework.dashboard.pages import Pages

    info = {"uri": "logs/x.log", "size": 50_000, "cut": True, "complete": True}
    step = SimpleNamespace(logs="<b>line</b>\n" * 5000, log_info=info, record=SimpleNamespace(logs=info))
    logs = artifact_views._logs(step)
    assert logs["cut"] and len(logs["text"]) == artifact_views.LOG_TAIL_CHARS and logs["info"] == info
    assert artifact_views._logs(SimpleNamespace(log_info=None, record=SimpleNamespace(logs=None))) is None
    run = {"name": "r", "pipeline": "p", "version": 1, "status": "completed", "signature": "", "step_counts": {},
           "pipeline_parameters": {"items": []}, "metrics": {"items": []}, "metadata": {"items": []},
           "graph": {"nodes": [], "edges": []}, "steps": [], "step_total": 0,
           "steps_page": {"total": 0, "size": 50, "query": None}}
    panel = {"key": "s", "name": "s", "status": "completed", "parameters": [], "inputs": [], "outputs": [],
             "metadata": [], "logs": logs, "cached_from": None}
    html = Pages().run(run, panel)
    assert 'id="step-logs"' in html and "&lt;b&gt;line&lt;/b&gt;" in html and "<b>line" not in html
    assert 'href="/runs/r/steps/s/logs"' in html and "the middle of a long log was not kept" in html
