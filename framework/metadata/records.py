"""Small frozen values the metadata store returns besides plain record dicts."""

from __future__ import annotations

import attrs


@attrs.frozen
class Registration:
    """The outcome of ``MetadataStore.register_pipeline``.

    ``version`` is the number of the version whose hash matched (an existing one, possibly
    older than the latest if the code went back), or of the version just created.
    """

    pipeline_id: str
    version: int
    new_pipeline: bool
    new_version: bool
