"""The function pipeline API: ``from framework.pipelines.new import pipeline``."""

from framework.pipelines.new.pipeline import Pipeline, pipeline

__all__ = ["Pipeline", "pipeline"]
