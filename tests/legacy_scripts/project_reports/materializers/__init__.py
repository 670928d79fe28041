from materializers.report_materializer import EvaluationReport, ReportMaterializer

__all__ = ["EvaluationReport", "ReportMaterializer"]
