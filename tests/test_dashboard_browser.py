"""The dashboard end to end: a real uvicorn server, headless Chromium driven by Playwright.

Outside CI the tests skip (saying why) when Chromium or Playwright is missing. In CI
(``CI`` set) as root with apt-get, ``.ci/run`` installs Chromium, so there they must run
and a missing browser fails them. Screenshots of every page
go to ``$DASHBOARD_SCREENSHOTS`` if set, else to the test's temporary directory.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from framework import Client
from tests import dashboard_browser
from tests import dashboard_store as store
from tests.dashboard_browser import serving

browser, page, shots = dashboard_browser.browser, dashboard_browser.page, dashboard_browser.shots  # fixtures

ROOT = Path(__file__).resolve().parents[1]


def test_seed_example_twice_shows_both_runs_the_cached_dag_and_the_comparison(home, page, shots):
    for _ in range(2):  # `python examples/first_pipeline.py`, twice (in-process: no second sklearn import)
        runpy.run_path(str(ROOT / "examples" / "first_pipeline.py"), run_name="__main__")
    first, second = [r.name for r in Client().get_pipeline("first_pipeline").runs][::-1]
    expect = pytest.importorskip("playwright.sync_api").expect

    with serving(home) as base:
        page.goto(base + "/")
        expect(page.locator("#pipelines")).to_contain_text("first_pipeline")
        page.screenshot(path=str(shots / "1-pipelines.png"), full_page=True)

        page.get_by_role("link", name="first_pipeline", exact=True).click()
        expect(page.locator("#runs tbody tr")).to_have_count(2)
        expect(page.locator("#runs")).to_contain_text(first)
        expect(page.locator("#runs")).to_contain_text(second)
        page.screenshot(path=str(shots / "2-pipeline.png"), full_page=True)

        page.get_by_role("link", name=second, exact=True).click()
        expect(page.locator("h1")).to_have_text(second)
        loader = page.locator('svg.dag a.dag-node[data-step="step_1"]')
        expect(loader).to_have_attribute("data-status", "cached")
        expect(page.locator('svg.dag a.dag-node[data-step="step_2"]')).to_have_attribute("data-status", "cached")
        cached_link = page.locator('svg.dag a.dag-cached-link[data-step="step_1"]')
        expect(cached_link).to_have_count(1)
        page.screenshot(path=str(shots / "3-run-cached-dag.png"), full_page=True)

        page.locator('svg.dag a.dag-node[data-step="step_2"]').click()
        panel = page.locator("#step-panel")
        expect(panel.locator("h2")).to_have_text("svc_trainer")
        expect(panel).to_contain_text("Cached: outputs reused from")
        expect(panel).to_contain_text("SVC(gamma=0.001)")
        page.screenshot(path=str(shots / "4-step.png"), full_page=True)

        page.locator('svg.dag a.dag-cached-link[data-step="step_1"]').click()
        expect(page.locator("h1")).to_have_text(first)  # the run the cached outputs came from
        expect(page.locator('svg.dag a.dag-node[data-step="step_1"]')).to_have_attribute("data-status", "completed")
        expect(page.locator("#step-panel h2")).to_have_text("digits_data_loader")
        expect(page.locator("#step-panel")).to_contain_text("shape (1437, 64) · dtype float64")

        page.get_by_role("link", name="Compare with other runs").click()
        table = page.locator("#compare-table")
        expect(table.locator("thead th")).to_have_count(3)
        expect(table).to_contain_text(first)
        expect(table).to_contain_text(second)
        page.screenshot(path=str(shots / "5-compare.png"), full_page=True)


def test_trials_plot_failed_run_and_a_run_updating_while_watched(home, page, shots):
    store.run_trials()
    failed = store.run_failing()
    expect = pytest.importorskip("playwright.sync_api").expect

    with serving(home) as base:
        page.goto(base + "/pipelines/trials")
        page.locator("#runs tbody input[type=checkbox]").nth(2).check()
        page.get_by_role("button", name="Compare selected runs").click()
        expect(page.locator("#compare-table thead th")).to_have_count(4)
        expect(page.locator('#compare-table tr.diff[data-key="new_trainer.C"]')).to_have_count(1)
        expect(page.locator("svg.trials circle.trial")).to_have_count(3)
        page.wait_for_load_state("load")  # the script that auto-submits runs once the charting library loaded
        page.select_option("select[name=x]", "new_trainer.C")  # auto-submits
        expect(page.locator("svg.trials")).to_contain_text("new_trainer.C")
        expect(page.locator("svg.trials circle.trial")).to_have_count(3)
        page.screenshot(path=str(shots / "6-trials.png"), full_page=True)

        page.goto(f"{base}/runs/{failed}")
        expect(page.locator('svg.dag [data-step="explode"]')).to_have_attribute("data-status", "failed")
        expect(page.locator('svg.dag [data-step="after"]')).to_have_attribute("data-status", "skipped")
        page.locator('svg.dag a[data-step="explode"]').click()
        expect(page.locator("#step-error")).to_contain_text("boom: <b>not bold</b>")  # shown as text
        page.screenshot(path=str(shots / "7-failed.png"), full_page=True)

        with store.running_run() as name:
            page.goto(f"{base}/runs/{name}")
            expect(page.locator("#run")).to_have_attribute("data-status", "running")
            expect(page.locator('svg.dag [data-step="gate"]')).to_have_attribute("data-status", "running")
            page.screenshot(path=str(shots / "8-running.png"), full_page=True)
            store.GATE.set()  # the run finishes; the page notices within a poll or two
            expect(page.locator("#run")).to_have_attribute("data-status", "completed", timeout=15_000)
            expect(page.locator('svg.dag [data-step="gate"]')).to_have_attribute("data-status", "completed")
        page.goto("about:blank")  # stop the page's polling before its server goes away


def test_clicking_a_tag_badge_lists_the_runs_with_that_tag(home, page, shots):
    first, second, third = store.run_trials()
    client = Client()
    client.tag_run(first, "best")
    client.tag_run(third, "best", "baseline")
    client.note_run(third, "Kept for the report.\n<b>not bold</b>")
    expect = pytest.importorskip("playwright.sync_api").expect

    with serving(home) as base:
        page.goto(base + "/pipelines/trials")
        rows = page.locator("#runs tbody tr")
        expect(rows).to_have_count(3)
        page.locator('#runs a.tag[data-tag="best"]').first.click()
        expect(page).to_have_url(re.compile(r"/pipelines/trials\?tag=best$"))
        expect(rows).to_have_count(2)
        expect(page.locator("#runs")).not_to_contain_text(second)
        expect(page.locator("#tag-filter")).to_contain_text("best")
        page.screenshot(path=str(shots / "9-tag-filter.png"), full_page=True)

        page.get_by_role("searchbox").fill(third[-6:])  # a search within the tag keeps it
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"tag=best"))
        expect(rows).to_have_count(1)

        page.get_by_role("link", name=third, exact=True).click()
        expect(page.locator("#run-notes")).to_have_text("Kept for the report.\n<b>not bold</b>")  # text, not markup
        page.locator('#run-tags a[data-tag="baseline"]').click()  # the run's badge: that tag's runs
        expect(page.locator("h1")).to_have_text("trials")
        expect(rows).to_have_count(1)
        page.get_by_role("link", name="× clear the tag filter").click()
        expect(rows).to_have_count(3)
        page.goto("about:blank")  # leave the page before its server goes away
