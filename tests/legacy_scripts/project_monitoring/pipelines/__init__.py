from pipelines.monitoring import drift_pipeline
