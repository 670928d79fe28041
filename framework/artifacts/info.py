"""`ArtifactInfo`: everything needed to find, verify and load one stored artifact.

Why a frozen record: the metadata store keeps it (as `to_dict()` JSON) next to the step
run that produced the artifact, and a load trusts nothing but it: the bytes on disk must
match ``size`` and ``content_hash`` before the materializer named here may read them.
Because those checks rely on the record, `from_dict` validates every field strictly
instead of guessing.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

import attrs

from framework.hashing import HASH_PREFIX

__all__ = ["ArtifactInfo", "ARTIFACT_ID_PATTERN"]

#: Artifact ids are generated (`framework.hashing.new_id`), never user given: 32 hex chars.
ARTIFACT_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_<>][\w<>]*)+$")


def _check_id(_inst: Any, _attr: Any, value: str) -> None:
    if not isinstance(value, str) or not ARTIFACT_ID_PATTERN.match(value):
        raise ValueError(f"Artifact id must be 32 lowercase hex characters, got {value!r}.")


def _check_uri(_inst: Any, _attr: Any, value: str) -> None:
    # Relative posix path that stays inside the store root, whatever the record says.
    if (not isinstance(value, str) or not value or value.startswith("/") or "\\" in value
            or posixpath.normpath(value) != value or value.split("/")[0] == ".."):
        raise ValueError(f"Artifact uri must be a relative path inside the store, got {value!r}.")


def _check_dotted(_inst: Any, attr: Any, value: str) -> None:
    if not isinstance(value, str) or not _DOTTED.match(value):
        raise ValueError(f"ArtifactInfo.{attr.name} must be a dotted 'module.Name', got {value!r}.")


def _check_non_negative_int(_inst: Any, attr: Any, value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"ArtifactInfo.{attr.name} must be an int >= 0, got {value!r}.")


def _check_hash(_inst: Any, _attr: Any, value: str) -> None:
    if not isinstance(value, str) or not value.startswith(HASH_PREFIX):
        raise ValueError(f"Artifact content_hash must start with {HASH_PREFIX!r}, got {value!r}.")


def _check_metadata(_inst: Any, _attr: Any, value: dict) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"Artifact metadata must be a dict, got {type(value).__name__}.")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Artifact metadata must be strict JSON: {exc}") from exc


def _check_signature(_inst: Any, _attr: Any, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 256):
        raise ValueError(f"Artifact signature must be None or a short str, got {value!r}.")


#: Fields a record may lack (records written before they existed).
_OPTIONAL = frozenset({"signature"})


@attrs.frozen
class ArtifactInfo:
    """Where an artifact lives and how to check and load it.

    Fields:
      id: 32-hex artifact id; also names the file.
      uri: path relative to the store root, posix separators (``"ab/ab12…ef.npy"``).
      materializer: dotted name of the materializer class that wrote it.
      data_type: dotted ``module.qualname`` of the saved value's type.
      format_version: the materializer's ``FORMAT_VERSION`` at write time.
      size: byte size of the file.
      content_hash: ``"xxh3_128:<hex>"`` of the file's bytes.
      metadata: small strict-JSON summary for humans (shape, dtype, rows, ...).
      signature: the file's stat signature right after it was written (local stores:
        boot id, device, inode, size, mtime and ctime in ns; else None). A cache check
        whose file still has it skips re-hashing (`ArtifactStore.verify(quick=True)`);
        loads always hash.

    Compare with ``==``; ``hash()`` raises TypeError because ``metadata`` is a dict.
    """

    id: str = attrs.field(validator=_check_id)
    uri: str = attrs.field(validator=_check_uri)
    materializer: str = attrs.field(validator=_check_dotted)
    data_type: str = attrs.field(validator=_check_dotted)
    format_version: int = attrs.field(validator=_check_non_negative_int)
    size: int = attrs.field(validator=_check_non_negative_int)
    content_hash: str = attrs.field(validator=_check_hash)
    metadata: dict = attrs.field(factory=dict, validator=_check_metadata)
    signature: str | None = attrs.field(default=None, validator=_check_signature)

    def to_dict(self) -> dict[str, Any]:
        """A strict-JSON dict (fresh copy; metadata deep-copied through JSON)."""
        d = attrs.asdict(self, recurse=False)
        d["metadata"] = json.loads(json.dumps(self.metadata, allow_nan=False))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ArtifactInfo":
        """Inverse of `to_dict`. Missing or unknown keys and wrong types raise ``ValueError``."""
        if not isinstance(d, dict):
            raise ValueError(f"ArtifactInfo.from_dict expects a dict, got {type(d).__name__}.")
        names = {f.name for f in attrs.fields(cls)}
        missing, unknown = names - d.keys() - _OPTIONAL, d.keys() - names
        if missing or unknown:
            raise ValueError(
                f"Not an artifact record: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}."
            )
        return cls(**d)
