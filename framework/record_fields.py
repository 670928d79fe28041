"""The checks each field of a record runs when it is made (`framework.records`).

They are attrs validators: a record that breaks one cannot exist, whether built by the
launcher or read back from a store, so every reader may trust a record's fields. The
messages name the field and what it got.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from framework.hashing import HASH_PREFIX

#: Artifact ids are generated (`framework.hashing.new_id`), never user given: 32 hex chars.
ARTIFACT_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_<>][\w<>]*)+$")


def text(_inst: Any, attr: Any, value: Any) -> None:
    if type(value) is not str or not value:
        raise ValueError(f"{attr.name} must be a non-empty str, got {value!r}")


def optional_text(_inst: Any, attr: Any, value: Any) -> None:
    if value is not None and type(value) is not str:
        raise ValueError(f"{attr.name} must be a str or None, got {value!r}")


def one_of(choices: tuple[str, ...]):
    def check(_inst: Any, attr: Any, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attr.name} must be one of {', '.join(choices)}, got {value!r}")

    return check


def mapping(_inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{attr.name} must be a dict, got {type(value).__name__}")


def artifact_id(_inst: Any, _attr: Any, value: str) -> None:
    if not isinstance(value, str) or not ARTIFACT_ID_PATTERN.match(value):
        raise ValueError(f"Artifact id must be 32 lowercase hex characters, got {value!r}.")


def artifact_uri(_inst: Any, _attr: Any, value: str) -> None:
    # Relative posix path that stays inside the store root, whatever the record says.
    if (not isinstance(value, str) or not value or value.startswith("/") or "\\" in value
            or posixpath.normpath(value) != value or value.split("/")[0] == ".."):
        raise ValueError(f"Artifact uri must be a relative path inside the store, got {value!r}.")


def dotted(_inst: Any, attr: Any, value: str) -> None:
    if not isinstance(value, str) or not _DOTTED.match(value):
        raise ValueError(f"ArtifactInfo.{attr.name} must be a dotted 'module.Name', got {value!r}.")


def non_negative_int(_inst: Any, attr: Any, value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"ArtifactInfo.{attr.name} must be an int >= 0, got {value!r}.")


def content_hash(_inst: Any, _attr: Any, value: str) -> None:
    if not isinstance(value, str) or not value.startswith(HASH_PREFIX):
        raise ValueError(f"Artifact content_hash must start with {HASH_PREFIX!r}, got {value!r}.")


def json_metadata(_inst: Any, _attr: Any, value: dict) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"Artifact metadata must be a dict, got {type(value).__name__}.")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Artifact metadata must be strict JSON: {exc}") from exc


def signature(_inst: Any, _attr: Any, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 256):
        raise ValueError(f"Artifact signature must be None or a short str, got {value!r}.")
