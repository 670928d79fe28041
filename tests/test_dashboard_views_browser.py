"""What a user sees in Chromium: the 200-step graph, 10,000 runs in pages, every artifact
view and the compare page's charts — with screenshots of each (see ``dashboard_browser``).

Assertions are about what is on screen: boxes taken from the DOM never overlap, no edge
runs under a box, every name cut short carries its full text as a tooltip, pages turn and
searches narrow, charts are drawn, and no script error or Content-Security-Policy
violation is logged (the ``page`` fixture fails the test on any).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from framework import Client
from tests import dashboard_browser
from tests import dashboard_store as store
from tests.dashboard_browser import serving

browser, page, shots = dashboard_browser.browser, dashboard_browser.page, dashboard_browser.shots  # fixtures

ROOT = Path(__file__).resolve().parents[1]
RUNS = 10_000

# Every node's box, every label against its box and its tooltip, and edges sampled along
# their length against every box (SVG user units: the same whatever the zoom).
GEOMETRY = """() => {
  const boxes = [...document.querySelectorAll('svg.dag .dag-node')].map(n => {
    const r = n.querySelector('rect'), t = n.querySelector('text.dag-label').getBBox();
    return {id: n.dataset.step, label: n.dataset.label, group: n.dataset.group || '',
            cut: n.querySelector('text.dag-label').dataset.cut === '1',
            title: n.querySelector('title').textContent,
            x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height'),
            tx: t.x, ty: t.y, tw: t.width, th: t.height};
  });
  const under = [];
  for (const path of document.querySelectorAll('svg.dag path.dag-edge')) {
    const length = path.getTotalLength();
    for (let i = 1; i < 60; i++) {
      const p = path.getPointAtLength(length * i / 60);
      for (const b of boxes) {
        if (p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1) { under.push([path.dataset.from, path.dataset.to, b.id]); }
      }
    }
  }
  const groups = [...document.querySelectorAll('svg.dag .dag-group')].map(g => {
    const r = g.querySelector('rect');
    return {name: g.dataset.group, x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height')};
  });
  return {boxes, under, groups};
}"""


@contextlib.contextmanager
def leaving(page) -> Iterator[None]:
    """Leave the page before its server stops (nothing it still loads can fail then)."""
    try:
        yield
    finally:
        page.goto("about:blank")


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def check_graph(page) -> dict:
    found = page.evaluate(GEOMETRY)
    boxes = found["boxes"]
    overlapping = [(a["id"], b["id"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _overlap(a, b)]
    assert not overlapping, overlapping[:5]
    assert not found["under"], found["under"][:5]
    for box in boxes:  # every label inside its box; a cut one has its full name as the tooltip
        assert box["tx"] >= box["x"] and box["tx"] + box["tw"] <= box["x"] + box["w"] + 0.5, box
        assert box["ty"] >= box["y"] and box["ty"] + box["th"] <= box["y"] + box["h"], box
        assert box["title"].startswith(box["label"] + " — "), box
    groups = {g["name"]: g for g in found["groups"]}
    for box in boxes:
        if box["group"]:
            g = groups[box["group"]]
            assert g["x"] <= box["x"] and box["x"] + box["w"] <= g["x"] + g["w"], (box, g)
            assert g["y"] <= box["y"] and box["y"] + box["h"] <= g["y"] + g["h"], (box, g)
    top = [g for g in found["groups"] if "/" not in g["name"]]
    assert not [(a["name"], b["name"]) for i, a in enumerate(top) for b in top[i + 1:] if _overlap(a, b)]
    return found


@pytest.fixture(scope="module")
def big_home(tmp_path_factory) -> tuple[Path, str]:
    """A store of 10,000 runs of a pipeline whose newest run has 200 steps in 20 groups."""
    home = tmp_path_factory.mktemp("dashboard-10k") / "home"
    done = subprocess.run([sys.executable, "-m", "benchmarks.dashboard_fill", str(home), str(RUNS)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return home, f"wide-{RUNS - 1:05d}"


def test_a_200_step_graph_is_readable_pans_and_zooms(big_home, page, shots):
    expect = pytest.importorskip("playwright.sync_api").expect
    home, run = big_home
    with serving(home) as base, leaving(page):
        page.goto(f"{base}/runs/{run}")
        expect(page.locator("svg.dag .dag-node")).to_have_count(200)
        expect(page.locator("svg.dag .dag-group")).to_have_count(20)
        page.screenshot(path=str(shots / "10-wide-graph.png"))
        found = check_graph(page)
        assert any(b["cut"] or "\n" not in b["label"] for b in found["boxes"])
        long_name = page.locator('svg.dag .dag-node[data-step="transform_05_4_with_a_rather_long_name"]')
        assert long_name.locator("tspan").count() == 2  # wrapped over two lines, not cut
        svg = page.locator("svg.dag")
        before = svg.get_attribute("viewBox")
        page.get_by_role("button", name="+").click()
        zoomed = svg.get_attribute("viewBox")
        assert float(zoomed.split()[2]) < float(before.split()[2])  # zoomed in: a narrower window
        box = page.locator("#dag").bounding_box()
        page.mouse.move(box["x"] + 300, box["y"] + 200)
        page.mouse.down()
        page.mouse.move(box["x"] + 100, box["y"] + 100, steps=5)
        page.mouse.up()
        assert svg.get_attribute("viewBox").split()[:2] != zoomed.split()[:2]  # dragged: panned
        page.get_by_role("button", name="Fit").click()
        page.screenshot(path=str(shots / "11-wide-graph-fit.png"))
        fit = [float(v) for v in svg.get_attribute("viewBox").split()]
        assert fit[2] >= float(svg.get_attribute("data-width")) - 1 or fit[3] >= float(svg.get_attribute("data-height")) - 1
        page.locator('svg.dag a.dag-node[data-step="report"]').click()  # still a link after panning
        expect(page.locator("#step-panel h2")).to_have_text("report")
        expect(page.locator("#steps tbody tr.selected")).to_have_count(1)  # its page of the table


def test_10000_runs_in_pages_searchable_on_the_server(big_home, page, shots):
    expect = pytest.importorskip("playwright.sync_api").expect
    home, _run = big_home
    with serving(home) as base, leaving(page):
        page.goto(f"{base}/pipelines/wide")
        rows = page.locator("#runs tbody tr")
        expect(rows).to_have_count(50)
        expect(page.locator("#runs-pager .pager-count")).to_have_text("Runs 1–50 of 10,000")
        expect(rows.first).to_contain_text("wide-09999")
        page.screenshot(path=str(shots / "12-pipeline-10000-runs.png"))
        page.get_by_role("link", name="Next ›").click()
        expect(page.locator("#runs-pager .pager-count")).to_have_text("Runs 51–100 of 10,000")
        expect(rows.first).to_contain_text("wide-09949")
        assert "page=2" in page.url
        page.get_by_role("link", name="‹ Previous").click()
        expect(rows.first).to_contain_text("wide-09999")
        page.get_by_placeholder("Search runs by name").fill("0999")
        page.get_by_role("button", name="Search").click()
        expect(rows).to_have_count(11)  # wide-00999 and wide-09990 … wide-09999
        assert all("0999" in text for text in page.locator("#runs tbody td.name a.strong").all_inner_texts())
        page.screenshot(path=str(shots / "13-pipeline-search.png"))
        page.goto(f"{base}/pipelines/wide?status=failed")
        expect(rows).to_have_count(50)
        assert set(page.locator("#runs tbody .badge").all_inner_texts()) == {"failed"}
        clipped = page.locator("#runs a.more").first  # a 10,000-character parameter, clipped
        expect(clipped).to_have_text("all 10000 chars")
        clipped.click()
        assert page.locator("body").inner_text().strip() == "x" * 10_000


def test_every_artifact_view(home, page, shots):
    expect = pytest.importorskip("playwright.sync_api").expect
    run = store.run_artifacts(note="short")
    trials = store.run_trials(values=(0.5,))[0]
    with serving(home) as base, leaving(page):
        page.goto(f"{base}/runs/{run}/steps/frame")
        page.get_by_role("link", name="View").click()
        view = page.locator("#artifact-view")
        expect(view).to_have_attribute("data-kind", "dataframe")
        expect(page.locator("#column-stats tbody tr")).to_have_count(4)
        expect(page.locator("#frame-head tbody tr")).to_have_count(10)
        expect(page.locator("#frame-tail tbody tr")).to_have_count(5)
        expect(page.locator("#frame-head thead th").nth(2)).to_have_text(store.XSS_COLUMN)  # shown as text
        expect(page.locator("#frame-head tbody td").nth(1)).to_have_text(store.XSS_CELL)
        page.screenshot(path=str(shots / "20-artifact-dataframe.png"), full_page=True)
        download = page.request.get(base + page.locator("#download").get_attribute("href"))
        assert download.ok and download.body()[:4] == b"PAR1"  # the Parquet file itself

        page.goto(f"{base}/runs/{run}/steps/picture/outputs/output")
        expect(view).to_have_attribute("data-kind", "array")
        expect(page.locator("#histogram svg")).to_have_count(1)  # drawn by the charting library
        image = page.locator("#array-images img")
        assert image.evaluate("img => img.naturalWidth") == 32 and image.evaluate("img => img.complete")
        expect(page.locator("#array-stats")).to_contain_text("255")
        page.screenshot(path=str(shots / "21-artifact-array-image.png"), full_page=True)

        page.goto(f"{base}/runs/{trials}/steps/new_trainer/outputs/output")
        expect(view).to_have_attribute("data-kind", "model")
        expect(page.locator("#model-params")).to_contain_text("0.5")
        expect(page.locator("#model-fitted")).to_contain_text("coef_")
        page.screenshot(path=str(shots / "22-artifact-model.png"), full_page=True)

        page.goto(f"{base}/runs/{run}/steps/config/outputs/output")
        expect(view).to_have_attribute("data-kind", "json")
        expect(page.locator("#value-text")).to_contain_text('"name": "<i>net</i>"')
        page.screenshot(path=str(shots / "23-artifact-json.png"), full_page=True)

        page.goto(f"{base}/runs/{run}/steps/report/outputs/output")
        expect(view).to_have_attribute("data-kind", "text")
        expect(page.locator("#value-text")).to_contain_text("<tag> & more")
        page.screenshot(path=str(shots / "24-artifact-text.png"), full_page=True)


def test_step_panel_shows_metadata_and_nested_groups(home, page, shots):
    import attrs

    expect = pytest.importorskip("playwright.sync_api").expect
    run = store.run_artifacts(note="short")
    nested = store.nested_pipeline().name
    client = Client()
    step = client.get_run(run).steps["with_metadata"]
    client.metadata_store.record_steps(step.record.run_id, [(attrs.evolve(
        step.record, metadata={"accuracy": 0.91, "<em>": "not emphasised"},
        output_metadata={"output": {"threshold": 0.5}}), [])])
    with serving(home) as base, leaving(page):
        page.goto(f"{base}/runs/{run}/steps/with_metadata")
        expect(page.locator("#step-metadata")).to_contain_text("<em>")
        expect(page.locator("#step-metadata")).to_contain_text("not emphasised")
        expect(page.locator(".added-metadata")).to_contain_text("threshold")
        page.screenshot(path=str(shots / "25-step-metadata.png"), full_page=True)
        page.goto(f"{base}/runs/{nested}")
        expect(page.locator("svg.dag .dag-group")).to_have_count(2)
        found = check_graph(page)
        assert {b["group"] for b in found["boxes"]} == {"", "feature_block", "feature_block_2"}
        page.screenshot(path=str(shots / "26-nested-groups.png"))


def test_compare_page_charts(home, page, shots):
    expect = pytest.importorskip("playwright.sync_api").expect
    store.run_trials(values=(0.01, 0.1, 1.0, 10.0, 100.0))
    with serving(home) as base, leaving(page):
        page.goto(f"{base}/compare?pipeline=trials")
        expect(page.locator("#compare-table thead th")).to_have_count(6)
        expect(page.locator("#metrics-chart svg")).to_have_count(1)
        expect(page.locator("#parallel-chart svg")).to_have_count(1)
        assert page.locator("#parallel-chart svg path").count() >= 5  # a line per run, and the axes
        expect(page.locator("svg.trials circle.trial")).to_have_count(5)
        page.screenshot(path=str(shots / "30-compare.png"), full_page=True)
        page.get_by_placeholder("Search runs by name").fill("no-such-run")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#choose-runs .choice")).to_have_count(5)  # the compared runs stay ticked
        assert re.search(r"No runs match", page.locator(".choose .pager").inner_text())
