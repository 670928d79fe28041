"""Whether a step may come from the cache, under which key, and which stored run serves it.

Precedence of the caching switch (SPEC §6): the run level (``.run(enable_cache=…)``,
``with_options``) overrides everything, both ways; else the step's own setting; else the
pipeline's; else on. A hit is the newest completed step run under the key whose
artifacts all still exist and verify — this run's own completed steps first, since their
records may still be on their way to the store (a repeated invocation must hit them).
"""

from __future__ import annotations

from typing import Any

from framework.caching import cache_key
from framework.graph import Invocation, PipelineGraph
from framework.records import Artifact, CacheEntry


class CachePolicy:
    """The cache decisions of one run."""

    def __init__(self, graph: PipelineGraph, run_enable_cache: bool | None, metadata: Any, artifacts: Any) -> None:
        self._graph = graph
        self._run_setting = run_enable_cache
        self._metadata = metadata
        self._artifacts = artifacts
        self._completed_here: dict[str, CacheEntry] = {}

    def enabled(self, inv: Invocation) -> bool:
        for setting in (self._run_setting, inv.enable_cache, self._graph.enable_cache):
            if setting is not None:
                return setting
        return True

    def key(self, inv: Invocation, inputs: dict[str, Artifact]) -> str:
        """The step's cache key: code, parameters, input content hashes, outputs, store."""
        outputs = {name: [tp, inv.output_materializers.get(name)] for name, tp in inv.outputs.items()}
        return cache_key(code=inv.code_fingerprint, parameters=dict(inv.call_values),
                         inputs={arg: artifact.content_hash for arg, artifact in inputs.items()},
                         outputs=outputs, artifact_store=self._artifacts.url)

    def lookup(self, key: str) -> CacheEntry | None:
        """The entry that serves ``key``, or None (a miss: the step executes)."""
        here = self._completed_here.get(key)
        for entry in ([here] if here else []) + self._metadata.cache_candidates(key):
            artifacts = entry.artifacts
            if all(aid in artifacts and self._artifacts.verify(artifacts[aid], quick=True)
                   for aid in entry.outputs.values()):
                return entry
        return None

    def completed(self, entry: CacheEntry) -> None:
        """A step of this run completed under ``entry.cache_key``: later invocations may use it."""
        self._completed_here[entry.cache_key] = entry
