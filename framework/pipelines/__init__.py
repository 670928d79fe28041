"""Pipelines. ``pipeline``/``BasePipeline`` here are the legacy class API;
the function API lives in ``framework.pipelines.new``."""

from framework.pipelines.base_pipeline import BasePipeline
from framework.pipelines.legacy import pipeline

__all__ = ["BasePipeline", "pipeline"]
