"""Artifact records as the metadata store keeps them: an ``ArtifactInfo`` plus provenance.

Provenance (which run, step and output produced the bytes) lives beside the
artifact store's own fields, so one record both locates and explains an artifact.
"""

from __future__ import annotations

from typing import Any

import attrs

def make_record(info: Any, **provenance: Any) -> dict[str, Any]:
    record = info.to_dict()
    record.update(provenance)
    return record


def info_of(record: dict[str, Any]):
    """The ``ArtifactInfo`` inside a stored artifact record."""
    from framework.artifacts import ArtifactInfo

    names = {f.name for f in attrs.fields(ArtifactInfo)}
    return ArtifactInfo.from_dict({k: v for k, v in record.items() if k in names})
