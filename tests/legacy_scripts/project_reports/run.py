"""Trains trees of two depths and compares their reports (a script without a main guard)."""

from framework.post_execution import get_pipeline
from pipelines import ReportPipeline
from steps import SplitterParams, TreeParams, reporter, splitter, tree_trainer, wine_loader

for depth in (2, 4):
    ReportPipeline(
        loader=wine_loader(),
        splitter=splitter(SplitterParams(test_every=3)),
        trainer=tree_trainer(TreeParams(max_depth=depth)),
        reporter=reporter(),
    ).run(run_name=f"tree_depth_{depth}")

reports = {}
for run in get_pipeline(pipeline=ReportPipeline).runs:
    report = run.get_step(step="reporter").output.read()
    reports[run.name] = report
    print(run.name, report, report.confusion.trace())

assert set(reports) == {"tree_depth_2", "tree_depth_4"}
assert all(0.5 < r.accuracy <= 1.0 for r in reports.values())
