"""The dashboard over HTTP (FastAPI's TestClient), its SVG graph, its export and its command."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # newer starlette prefers httpx2 but works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from click.testing import CliRunner

from framework import Client, stacks
from framework.dashboard import create_app, export_site
from framework.dashboard.dag import STATUS_COLORS, DagNode, render_dag
from tests import dashboard_store as store

NOTES = "Tuned by hand.\n<b>not bold</b> & kept\n" + "n" * 1500  # longer than a page shows


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One store for the read-only tests: three trial runs (two tagged ``best``, one with
    long notes), a pipeline named like a script tag (its run tagged and noted so too),
    and a failed run."""
    home = tmp_path_factory.mktemp("dashboard") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_HOME", str(home))
        names = store.run_trials()
        xss = store.run_trials(store.xss_trials, (0.5,), store.XSS_RUN)[0]
        failed = store.run_failing()
        artifacts = store.run_artifacts(note="n" * 5000)
        nested = store.nested_pipeline().name
        client = Client()
        client.tag_run(names[0], "best", "baseline")
        client.tag_run(names[2], "best")
        client.note_run(names[0], NOTES)
        client.tag_pipeline("trials", "production")
        client.note_pipeline("trials", "Weekly retraining.\n" + "p" * 1500)
        client.tag_run(xss, store.XSS)  # a tag may hold markup: shown as text
        client.note_run(xss, store.XSS_RUN)
    return home, {"trials": names, "xss": xss, "failed": failed, "artifacts": artifacts, "nested": nested}


@pytest.fixture
def runs(shared):
    return shared[1]


@pytest.fixture
def client(shared):
    return Client(stacks.default_stack(shared[0]))


@pytest.fixture
def web(client):
    return TestClient(create_app(client))


def q(name: str) -> str:
    return quote(name, safe="")


# ---------------------------------------------------------------- pages
def test_pipelines_page_lists_versions_run_counts_and_last_status(web, runs):
    page = web.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "trials" in page.text and "failing" in page.text
    row = re.search(r'<a class="strong" href="/pipelines/trials"[^>]*>trials</a>.*?</tr>', page.text, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "3"]  # 1 version, 3 runs
    assert runs["trials"][-1] in row and "status-completed" in row
    assert "status-failed" in page.text


def test_pipeline_page_shows_runs_with_status_duration_and_parameters(web, runs):
    page = web.get("/pipelines/trials")
    assert page.status_code == 200
    for name in runs["trials"]:
        assert f'href="/runs/{q(name)}"' in page.text
    assert "pipeline:C" in page.text and "new_trainer.C" in page.text and ">0.01<" in page.text
    assert "scorer.output" in page.text  # metrics beside the parameters
    assert " ms<" in page.text or " s<" in page.text  # durations
    assert "loader → new_trainer → scorer → table" in page.text  # the version's steps


def test_run_page_draws_the_dag_with_cached_steps_linked_to_their_origin(web, runs):
    first, second = runs["trials"][0], runs["trials"][1]
    page = web.get(f"/runs/{q(second)}")
    assert page.status_code == 200
    svg = re.search(r"<svg class=\"dag\".*?</svg>", page.text, re.S).group(0)
    assert re.search(r'data-step="loader" data-status="cached"', svg)
    assert re.search(r'data-step="new_trainer" data-status="completed"', svg)
    link = re.search(r'<a class="dag-cached-link" data-step="loader" href="([^"]+)"', svg)
    assert link and link.group(1) == f"/runs/{q(first)}/steps/loader"
    assert 'stroke-dasharray' in svg and "cached ↗" in svg
    assert 'data-poll' not in page.text  # a finished run is not polled


def test_step_panel_shows_parameters_outputs_and_previews(web, runs):
    run = runs["trials"][1]
    trainer = web.get(f"/runs/{q(run)}/steps/new_trainer").text
    assert 'id="step-parameters"' in trainer and "<th>C</th><td>1</td>" in trainer
    assert "LogisticRegression" in trainer  # the model's repr, loaded because it is small
    loader = web.get(f"/runs/{q(run)}/steps/loader").text
    assert "shape (30, 3) · dtype float64" in loader and "numpy.ndarray" in loader
    assert "Cached: outputs reused from" in loader and f"/runs/{q(runs['trials'][0])}/steps/loader" in loader
    scorer = web.get(f"/runs/{q(run)}/steps/scorer").text
    assert "value 1.0" in scorer or "value 0." in scorer
    table = web.get(f"/runs/{q(run)}/steps/table").text
    assert 'class="grid frame"' in table and "<th>a</th>" in table  # a DataFrame head


def test_failed_step_shows_its_error_and_skipped_dependants(web, runs):
    page = web.get(f"/runs/{runs['failed']}/steps/explode")
    assert page.status_code == 200
    assert 'id="step-error"' in page.text and "ValueError" in page.text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.text and "<b>not bold</b>" not in page.text
    assert re.search(r'data-step="explode" data-status="failed"', page.text)
    assert re.search(r'data-step="after" data-status="skipped"', page.text)
    assert STATUS_COLORS["failed"][1] in page.text


def test_compare_highlights_differences_and_plots_trials(web, runs):
    a, b, c = runs["trials"]
    page = web.get(f"/compare?pipeline=trials&runs={q(a)}&runs={q(c)}")
    assert page.status_code == 200
    rows = re.findall(r'<tr class="(diff)?" data-key="([^"]+)"', page.text)
    assert ("diff", "new_trainer.C") in rows and ("diff", "pipeline:C") in rows
    assert any(key == "scorer.output" for _d, key in rows)
    plot = re.search(r'<svg class="trials".*?</svg>', page.text, re.S).group(0)
    assert plot.count('class="trial"') == 3 and "log scale" in plot
    assert 'selected>pipeline:C<' in page.text or 'selected>new_trainer.C<' in page.text
    # one run given: compared with the newest others of its pipeline
    single = web.get(f"/compare?runs={q(a)}")
    assert single.status_code == 200 and single.text.count('class="trial"') == 3


def test_run_in_progress_is_polled_and_its_pending_steps_shown(home):
    web = TestClient(create_app(Client()))
    with store.running_run() as name:
        page = web.get(f"/runs/{name}")
        assert f'data-poll="/api/runs/{name}"' in page.text
        assert re.search(r'data-step="gate" data-status="running"', page.text)
        api = web.get(f"/api/runs/{name}").json()
        assert api["status"] == "running" and "gate=running" in api["signature"]
        store.GATE.set()
    done = web.get(f"/api/runs/{name}").json()
    assert done["status"] == "completed" and done["signature"] != api["signature"]


def test_run_page_shows_tags_linked_to_the_tagged_runs_and_notes_cut_and_escaped(web, runs):
    first = runs["trials"][0]
    page = web.get(f"/runs/{q(first)}").text
    tags = re.search(r'<span class="tags" id="run-tags">.*?</span></dd>', page, re.S).group(0)
    assert re.findall(r'<a class="tag" href="([^"]+)" data-tag="([^"]+)"', tags) == [
        ("/pipelines/trials?tag=best", "best"), ("/pipelines/trials?tag=baseline", "baseline")]
    notes = re.search(r'<div class="notes" id="run-notes">(.*?)</div>', page, re.S).group(1)
    assert notes.startswith("Tuned by hand.\n&lt;b&gt;not bold&lt;/b&gt; &amp; kept\nnnn") and "<b>" not in page
    assert "n" * 1500 not in notes and f"all {len(NOTES)} chars" in notes
    link = re.search(r'<a class="more" href="([^"]+)"', notes).group(1).replace("&amp;", "&")
    assert link == f"/runs/{q(first)}/values?key=notes"
    whole = web.get(link)
    assert whole.text == NOTES and whole.headers["content-type"].startswith("text/plain")
    untagged = web.get(f"/runs/{q(runs['trials'][1])}").text
    assert 'id="run-tags"' not in untagged and 'id="run-notes"' not in untagged
    assert web.get(f"/runs/{q(runs['trials'][1])}/values", params={"key": "notes"}).status_code == 404


def test_pipeline_page_shows_its_tags_and_notes_and_each_runs_tags(web, runs):
    page = web.get("/pipelines/trials").text
    head = re.search(r'<section class="card annotations" id="pipeline-annotations">.*?</section>', page, re.S).group(0)
    assert '<span class="tag" data-tag="production">production</span>' in head  # not a run filter
    assert "Weekly retraining.\npppp" in head and "p" * 1500 not in head and "all 1519 chars" in head
    assert 'href="/notes?pipeline=trials"' in head
    assert web.get("/notes", params={"pipeline": "trials"}).text == "Weekly retraining.\n" + "p" * 1500
    assert web.get("/notes", params={"pipeline": "failing"}).status_code == 404  # no notes
    rows = {m.group(1): re.findall(r'data-tag="([^"]+)"', m.group(0))
            for m in re.finditer(r'<a class="strong" href="/runs/([^"]+)".*?</tr>', page, re.S)}
    first, second, third = (q(n) for n in runs["trials"])
    assert rows == {first: ["best", "baseline"], second: [], third: ["best"]}
    assert 'id="tag-filter"' not in page


def test_tag_filter_lists_only_tagged_runs_and_keeps_the_other_filters(web, runs):
    page = web.get("/pipelines/trials", params={"tag": "best"}).text
    assert re.findall(r'<a class="strong" href="/runs/([^"]+)"', page) == [q(runs["trials"][2]), q(runs["trials"][0])]
    chip = re.search(r'<p class="filter" id="tag-filter">.*?</p>', page, re.S).group(0)
    assert 'data-tag="best"' in chip and 'href="/pipelines/trials">× clear the tag filter' in chip
    assert '<input type="hidden" name="tag" value="best">' in page  # a search keeps the tag
    failed = web.get("/pipelines/trials", params={"tag": "best", "status": "failed"}).text
    assert "No runs tagged “best”" in failed and 'href="/pipelines/trials?status=failed">× clear' in failed
    search = web.get("/pipelines/trials", params={"tag": "baseline", "q": runs["trials"][0][-5:]}).text
    assert re.findall(r'<a class="strong" href="/runs/([^"]+)"', search) == [q(runs["trials"][0])]
    assert f'href="/pipelines/trials?q={runs["trials"][0][-5:]}&amp;tag=best"' in search  # badges keep the search
    for tag in ("nobody", "a,b", " "):  # unknown, impossible, empty (no filter)
        response = web.get("/api/pipelines/trials", params={"tag": tag})
        assert response.status_code == 200
        assert len(response.json()["runs"]) == (3 if tag == " " else 0), tag


def test_tag_filter_shows_a_run_in_progress_with_what_it_has_so_far(home):
    web = TestClient(create_app(Client()))
    with store.running_run() as name:
        Client().tag_run(name, "watched")  # its listing row has no summary yet: read from its steps
        listed = web.get("/api/pipelines/live", params={"tag": "watched"}).json()["runs"]
        assert [(r["name"], r["status"], r["tags"]) for r in listed] == [(name, "running", ["watched"])]
        assert {"key": "pipeline:C", "text": "3"} in [{k: v[k] for k in ("key", "text")}
                                                     for v in listed[0]["parameters"]["items"]]
        store.GATE.set()


# ---------------------------------------------------------------- JSON
def test_api_serves_the_same_data(web, runs):
    pipelines = web.get("/api/pipelines").json()
    assert {p["name"] for p in pipelines} == {"trials", store.XSS, "failing", "artifacts", "nested"}
    detail = web.get("/api/pipelines/trials").json()
    assert [r["name"] for r in detail["runs"]] == runs["trials"][::-1]  # newest first
    run = web.get(f"/api/runs/{q(runs['trials'][1])}").json()
    nodes = {n["id"]: n for n in run["graph"]["nodes"]}
    assert nodes["loader"]["status"] == "cached"
    assert nodes["loader"]["cached_from"]["run"] == runs["trials"][0]
    assert ["loader", "new_trainer"] in run["graph"]["edges"]
    step = web.get(f"/api/runs/{q(runs['trials'][1])}/steps/loader").json()
    x_train = next(o for o in step["outputs"] if o["name"] == "X_train")
    assert x_train["metadata"] == {"dtype": "float64", "shape": [30, 3]}
    compared = web.get("/api/compare", params={"runs": runs["trials"][:2]}).json()
    assert next(r for r in compared["parameters"] if r["key"] == "new_trainer.C")["differs"] is True
    trials = web.get("/api/trials", params={"pipeline": "trials", "x": "new_trainer.C"}).json()
    assert [p["x"] for p in trials["points"]] == [0.01, 1.0, 100.0] and trials["y"] == "scorer.output"


def test_api_has_tags_and_all_of_the_notes(web, runs):
    run = web.get(f"/api/runs/{q(runs['trials'][0])}").json()
    assert run["tags"] == ["best", "baseline"] and run["notes"] == NOTES
    assert run["notes_shown"]["cut"] and run["notes_shown"]["chars"] == len(NOTES)
    plain = web.get(f"/api/runs/{q(runs['trials'][1])}").json()
    assert plain["tags"] == [] and plain["notes"] is None and plain["notes_shown"] is None
    pipeline = web.get("/api/pipelines/trials").json()
    assert pipeline["tags"] == ["production"] and pipeline["notes"].startswith("Weekly retraining.")
    assert [r["tags"] for r in pipeline["runs"]] == [["best"], [], ["best", "baseline"]]
    tagged = web.get("/api/pipelines/trials", params={"tag": "best"}).json()
    assert [r["name"] for r in tagged["runs"]] == [runs["trials"][2], runs["trials"][0]]
    assert tagged["page"]["tag"] == "best" and tagged["page"]["total"] is None


# ---------------------------------------------------------------- safety
def test_user_given_names_are_escaped_everywhere(web, runs):
    xss_run = runs["xss"]
    assert "<script>" in xss_run
    pages = ["/", f"/pipelines/{q(store.XSS)}", f"/runs/{q(xss_run)}", f"/runs/{q(xss_run)}/steps/loader",
             f"/compare?pipeline={q(store.XSS)}", f"/runs/{q(xss_run)}/steps/new_trainer"]
    for path in pages:
        page = web.get(path)
        assert page.status_code == 200, path
        scripts = [s for s in re.findall(r"<script[^>]*>", page.text) if s != '<script src="/static/echarts.min.js">']
        assert scripts == ['<script src="/static/dashboard.js" defer>'], (path, scripts)
        assert "&lt;script&gt;alert(" in page.text, path
        assert "<img" not in page.text and "&lt;img src=x onerror=alert(" in page.text, path


def test_unknown_names_are_404(web, runs):
    for path in ("/runs/no-such-run", "/runs/no-such-run/steps/x", f"/runs/{q(runs['trials'][0])}/steps/nope",
                 "/pipelines/nope", "/compare?pipeline=nope", "/compare?runs=nope", "/nowhere"):
        page = web.get(path)
        assert page.status_code == 404, path
        assert "Not found" in page.text
    for path in ("/api/runs/no-such-run", "/api/pipelines/nope", "/api/runs/x/steps/y", "/api/compare?runs=nope"):
        response = web.get(path)
        assert response.status_code == 404 and "detail" in response.json(), path


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/api/runs/x", "/static/dashboard.css", "/nowhere"])
def test_only_get_is_answered(home, method, path):
    web = TestClient(create_app(Client()))
    response = web.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/app.py", "/static/%2e%2e%2f%2e%2e%2fsetup.cfg",
    "/static/templates/base.html", "/static/../../../etc/passwd", "/static/__init__.py", "/static/",
    "/static/dashboard.css/../app.py",
])
def test_static_files_come_only_from_the_package_list(home, path):
    web = TestClient(create_app(Client()))
    response = web.get(path)
    assert response.status_code == 404, path
    assert "import" not in response.text and "root:" not in response.text


def test_static_assets_and_headers(home):
    web = TestClient(create_app(Client()))
    css = web.get("/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert web.get("/static/dashboard.js").status_code == 200
    head = web.head("/static/dashboard.css")
    assert head.status_code == 200 and head.content == b""
    page = web.get("/")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_loopback_app_refuses_foreign_host_headers(home):
    web = TestClient(create_app(Client(), allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1")
    assert web.get("/").status_code == 200
    assert web.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_dashboard_reads_but_never_writes_the_store(web, runs, shared):
    home = shared[0]
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    for path in ("/", "/pipelines/trials", f"/runs/{q(runs['trials'][1])}", f"/runs/{runs['failed']}/steps/explode",
                 "/compare?pipeline=trials", "/api/pipelines"):
        assert web.get(path).status_code == 200
    after = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    assert after == before


# ---------------------------------------------------------------- the SVG graph
def test_dag_colours_statuses_and_links_cached_steps():
    nodes = [
        DagNode("load", "load", "cached", href="s/load", cached_from_href="runs/origin", cached_from_label="origin"),
        DagNode("train", "train", "completed", href="s/train"),
        DagNode("eval", "eval", "failed", href="s/eval", selected=True),
        DagNode("report", "<b>report</b>", "skipped"),
        DagNode("live", "live", "running"),
    ]
    svg = render_dag(nodes, [("load", "train"), ("train", "eval"), ("eval", "report"), ("load", "live")])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for node in nodes:
        fill, stroke, _ink = STATUS_COLORS[node.status]
        block = re.search(rf'data-step="{node.id}" data-status="{node.status}".*?</(a|g)>', svg, re.S).group(0)
        assert f'fill="{fill}"' in block and f'stroke="{stroke}"' in block
    assert '<a class="dag-cached-link" data-step="load" href="runs/origin">' in svg
    assert svg.count("stroke-dasharray") == 1  # only the cached node is dashed
    assert svg.count('class="dag-edge"') == 4
    assert "&lt;b&gt;report&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'stroke-width="3.2"' in svg  # the selected step
    assert '<a href="s/train"' in svg and 'data-step="report"' in svg and '<g class="dag-node status-skipped"' in svg


# ---------------------------------------------------------------- export
class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs.extend(v for k, v in attrs if k in ("href", "src", "action") and v is not None)


def test_export_writes_self_contained_pages_with_relative_links(client, tmp_path):
    out = tmp_path / "site"
    files = export_site(out, client)
    assert (out / "index.html").is_file() and len(files) >= 1 + 3 + 3 + 5 * 2
    assert (out / "static" / "echarts.min.js").is_file() and (out / "static" / "echarts.LICENSE.txt").is_file()
    assert any(p.name.endswith(".npy") for p in (out / "files").iterdir())  # downloads work offline
    assert list((out / "outputs").glob("*.html")) and list((out / "values").glob("*.txt"))
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<style>" in text and 'rel="stylesheet"' not in text, path
        parser = _Refs()
        parser.feed(text)
        for ref in parser.refs:
            if ref.startswith("data:image/png;base64,"):  # an array drawn as an image, inline
                continue
            assert not re.match(r"^(/|[a-z]+:|//)", ref), (path, ref)
            target = (path.parent / ref.split("#")[0]).resolve()
            assert target.is_file() and out.resolve() in target.parents, (path, ref)
        assert "<script>alert(" not in text and "<img src=x" not in text and "<b onmouseover" not in text
    run_page = (out / "runs").glob("*.html")
    assert any("dag-cached-link" in p.read_text(encoding="utf-8") for p in run_page)
    notes = [p.read_text(encoding="utf-8") for p in (out / "notes").glob("*.txt")]  # linked from the pipeline page
    assert notes == ["Weekly retraining.\n" + "p" * 1500]
    assert NOTES in [p.read_text(encoding="utf-8") for p in (out / "values").glob("*.txt")]  # from the run page
    pipeline_pages = [p.read_text(encoding="utf-8") for p in (out / "pipelines").glob("trials-*.html")]
    assert all('<span class="tag" data-tag="best">' in p and 'class="tag" href' not in p
               for p in pipeline_pages)  # tags shown, not linked: a snapshot cannot filter


# ---------------------------------------------------------------- the command
def test_command_export_and_help(shared, tmp_path, monkeypatch):
    from framework.cli import main

    monkeypatch.setenv("FRAMEWORK_HOME", str(shared[0]))
    result = CliRunner().invoke(main, ["dashboard", "--help"])
    assert result.exit_code == 0 and "--host" in result.output and "export" in result.output
    result = CliRunner().invoke(main, ["dashboard", "export", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "snap" / "index.html").is_file() and "index.html" in result.output


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("0.0.0.0", True)])
def test_command_prints_the_url_and_warns_off_loopback(home, monkeypatch, host, warned):
    import uvicorn

    from framework.cli import main

    served = {}
    monkeypatch.setattr(uvicorn.Server, "run",
                        lambda self, sockets=None: served.update(port=sockets[0].getsockname()[1]))
    result = CliRunner().invoke(main, ["dashboard", "--host", host, "--port", "0"])
    assert result.exit_code == 0, result.output
    port = served["port"]
    assert f"http://127.0.0.1:{port}/" in result.output
    assert ("Warning" in result.output) is warned


def test_command_reports_a_taken_port(home):
    import socket

    from framework.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["dashboard", "--port", str(port)])
    assert result.exit_code == 1 and f"Cannot listen on 127.0.0.1:{port}" in result.output


def test_importing_the_dashboard_does_not_import_fastapi():
    code = "import framework, framework.dashboard, framework.commands.dashboard, sys; print('fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
