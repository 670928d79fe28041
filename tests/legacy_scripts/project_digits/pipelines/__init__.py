from pipelines.training_pipeline import training_pipeline

__all__ = ["training_pipeline"]
