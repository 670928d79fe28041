"""Which artifacts may run code when they load, and the keyed hash that vouches for them.

Unpickling runs code, and so does rebuilding a skops file that names arbitrary types (a
reduce node can call ``os.system``). The content hash every artifact carries proves the
bytes are the ones recorded — not who recorded them: anyone who can write to a shared
artifact directory (or a metadata store) can write a record to match a crafted file. So a
load runs code only when

* the record carries a **keyed hash** (``Artifact.mac``: HMAC-SHA256 over the artifact's id,
  content hash, materializer, type and size) made with this home's secret key — the
  framework signed it when the step that wrote it finished — or
* the caller opted in for this load: ``load(allow_pickle=True)`` (trust everything in it),
  or ``load(trusted_types=[...])`` (skops: trust these types besides skops's defaults).

Otherwise pickles are refused and skops files load with skops's default trust, naming the
types they would need. The key is ``$FRAMEWORK_ARTIFACT_KEY`` (hex) if set — several homes
or machines that share a store and trust each other set the same one — else the file
``<home>/artifact.key`` (created, mode 0600, when this home first signs something).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

import attrs

KEY_ENV = "FRAMEWORK_ARTIFACT_KEY"
KEY_FILE = "artifact.key"
MAC_PREFIX = "hmac-sha256:"

__all__ = ["KEY_ENV", "KEY_FILE", "NO_TRUST", "ArtifactKey", "Trust"]


@attrs.frozen
class Trust:
    """What one load may run: ``code`` — anything the file asks for (unpickling, any type
    in a skops file) — or else only skops's default types plus ``types``."""

    code: bool = False
    types: frozenset = frozenset()

    def refusal(self, what: str, needs: str) -> str:
        """The message for a load this trust does not cover: why, and the ways to opt in."""
        return (f"{what} {needs}, which runs code, and it carries no keyed hash of this home "
                "(written by another home or an older release, or altered), so it is not loaded. "
                "If you trust where it came from, load it with `.load(allow_pickle=True)`, or share the "
                f"writing home's key through ${KEY_ENV}.")


#: The trust of a load nobody vouched for: skops's default types, no unpickling.
NO_TRUST = Trust()


class ArtifactKey:
    """This home's secret for signing artifact records, read (or made) on first use."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self._path = Path(path) if path is not None else None
        self._secret: bytes | None = None

    def _load(self, create: bool) -> bytes | None:
        if self._secret is not None:
            return self._secret
        shared = os.environ.get(KEY_ENV)
        if shared:
            self._secret = bytes.fromhex(shared)
        elif self._path is not None:
            try:
                self._secret = bytes.fromhex(self._path.read_text().strip())
            except FileNotFoundError:
                if create:
                    self._secret = _create(self._path)
        return self._secret

    def sign(self, record: Any) -> str:
        """The keyed hash of ``record`` (creating the key if this home has none yet)."""
        secret = self._load(create=True)
        if secret is None:
            raise RuntimeError("No key to sign artifacts with: give the store a key file or set "
                               f"${KEY_ENV}.")
        return MAC_PREFIX + _mac(secret, record)

    def verifies(self, record: Any) -> bool:
        """True if ``record`` carries a keyed hash this home's key made."""
        mac = getattr(record, "mac", None)
        if not isinstance(mac, str) or not mac.startswith(MAC_PREFIX):
            return False
        secret = self._load(create=False)
        return secret is not None and hmac.compare_digest(mac[len(MAC_PREFIX):], _mac(secret, record))


def _mac(secret: bytes, record: Any) -> str:
    message = "\n".join([record.id, record.content_hash, record.materializer, record.data_type, str(record.size)])
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def _create(path: Path) -> bytes:
    """A new random key, mode 0600, published whole (written to a temp file, then hard-linked
    into place, which fails if the name exists); a key another process published first wins,
    and both then use it."""
    from framework.io.atomic import temp_path

    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    temp = temp_path(str(path))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secret.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return bytes.fromhex(path.read_text().strip())
    finally:
        os.unlink(temp)
    return secret
