from pipelines.report_pipeline import ReportPipeline

__all__ = ["ReportPipeline"]
