"""`DirectoryMaterializer`, exported as `framework.materializers.BaseMaterializer`: runs
materializers written for ZenML 0.2x–0.39 unchanged.

Such a materializer reads and writes *files in a directory*, ``self.uri``, in
``save(data)`` / ``load(data_type)`` (0.2x: ``handle_return`` / ``handle_input``, with the
directory at ``self.artifact.uri``). This store keeps one content-hashed file per output
(SPEC §7), so this class adapts one to the other instead of adding a second kind of
artifact:

* **Save.** The user's method writes into a fresh temporary directory; the directory is
  then packed (``directory_archive.pack``: sorted, fixed timestamps, uncompressed tar)
  into the store's temp file, hashed as it is written, renamed into place. Identical
  files give identical bytes, so steps consuming the artifact stay cached.
* **Load.** The store verifies the bytes first and, because ``LOADS_CODE`` is set (the
  user's ``load`` may unpickle, import, anything), hands over the very bytes it verified,
  read once into memory (an archive costs its size in memory while it loads). They are
  unpacked into a fresh temporary directory (links, absolute or ``..`` names refused)
  and the user's method reads from there. The directory is removed as soon as ``load``
  returns: a value that opens its files again *later* would find them gone (open files
  and memory maps stay valid on POSIX). Such a materializer sets ``KEEP_LOAD_DIR = True``
  and the directory then lives until the process exits.
* **Registration.** Defining a subclass with ``ASSOCIATED_TYPES`` registers it for those
  types (ZenML's rule), as a user materializer: it beats the built-ins for its types,
  and the most specific type along a value's MRO wins. The newest definition of a type
  wins; a subclass that only inherits ``ASSOCIATED_TYPES`` does not take its parent's
  types over; ``SKIP_REGISTRATION = True`` or no types makes a class usable only when
  chosen explicitly. Every subclass is resolvable by its dotted name once defined — and
  only then: a stored record never makes the store import code (SPEC §11).
* ``ASSOCIATED_ARTIFACT_TYPE`` (an `ArtifactType`, its string, or a 0.2x class such as
  ``DataArtifact``; also the 0.2x plural ``ASSOCIATED_ARTIFACT_TYPES``) is checked when the
  class is defined and recorded as ``metadata["artifact_type"]``, with whatever
  ``extract_metadata(data)`` returns that is JSON.

Temporary directories come from `tempfile` (``TMPDIR`` chooses where; a large model needs
that much free space there while it is saved or loaded).
"""

from __future__ import annotations

import json
from typing import IO, Any, ClassVar

from framework.artifacts.dotted import dotted_name, loaded_object
from framework.artifacts.legacy_types import artifact_type_of
from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.artifacts.materializers.registry import register_materializer, remember_materializer
from framework.enums import ArtifactType
from framework.exceptions import MaterializerError

__all__ = ["DirectoryMaterializer"]

_METADATA_ITEM_MAX = 1000  # characters of JSON per extract_metadata entry kept in the record


class _ArtifactView:
    """What 0.2x code reaches as ``self.artifact``: only ``.uri`` mattered to materializers."""

    def __init__(self, owner: DirectoryMaterializer) -> None:
        self._owner = owner

    @property
    def uri(self) -> str:
        return self._owner.uri


class DirectoryMaterializer(BaseMaterializer):
    """Base class of materializers that write files under ``self.uri`` (ZenML style).

    Subclass it with ``ASSOCIATED_TYPES = (MyType,)`` and a ``save(self, data)`` that
    writes files under ``self.uri`` and a ``load(self, data_type)`` that reads them back
    (or ``handle_return`` / ``handle_input``; the most derived definition is used).
    Calling ``super().save(data)`` / ``super().load(data_type)`` is harmless.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[Any] = ArtifactType.BASE
    SKIP_REGISTRATION: ClassVar[bool] = False
    #: True: keep the unpacked directory until the process exits (lazily reading values).
    KEEP_LOAD_DIR: ClassVar[bool] = False
    EXTENSION = ".tar"
    LOADS_CODE = True
    _artifact_type: ClassVar[ArtifactType] = ArtifactType.BASE

    def __init__(self, uri: Any = "", *args: Any, **kwargs: Any) -> None:
        # ZenML passed the directory (0.3x) or an artifact object with ``.uri`` (0.2x).
        self.uri: str = str(getattr(uri, "uri", uri) or "")

    @property
    def artifact(self) -> _ArtifactView:
        """0.2x spelling: ``self.artifact.uri`` is ``self.uri``."""
        return _ArtifactView(self)

    @artifact.setter
    def artifact(self, value: Any) -> None:  # a 0.2x ``__init__`` storing its artifact
        self.uri = str(getattr(value, "uri", "") or "")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name, own = dotted_name(cls), vars(cls)
        spec_name = _first_defined(cls, "ASSOCIATED_ARTIFACT_TYPE", "ASSOCIATED_ARTIFACT_TYPES")
        try:
            cls._artifact_type = artifact_type_of(getattr(cls, spec_name or "ASSOCIATED_ARTIFACT_TYPE"))
        except ValueError as exc:
            raise MaterializerError(f"Materializer `{name}`: {spec_name} is invalid: {exc}") from None
        types = own.get("ASSOCIATED_TYPES")
        if types is not None and not isinstance(types, (tuple, list)):
            raise MaterializerError(f"Materializer `{name}`: ASSOCIATED_TYPES must be a tuple of "
                                    f"classes, got {types!r}; write ASSOCIATED_TYPES = ({types!r},).")
        remember_materializer(cls, replace=True)
        if types and not own.get("SKIP_REGISTRATION", False):
            try:
                register_materializer(cls)
            except (TypeError, ValueError) as exc:
                raise MaterializerError(f"Materializer `{name}` cannot be registered: {exc} "
                                        "Fix its ASSOCIATED_TYPES (a tuple of classes).") from None

    # -- the ZenML interface: override these -----------------------------------------

    def load(self, data_type: Any) -> Any:  # type: ignore[override]
        """Read the value from files under ``self.uri``. The base does nothing."""
        return None

    def save(self, data: Any) -> None:  # type: ignore[override]
        """Write ``data`` as files under ``self.uri`` (an empty local directory)."""

    def handle_input(self, data_type: Any) -> Any:
        """0.2x name of `load`."""
        return None

    def handle_return(self, data: Any) -> None:
        """0.2x name of `save`."""

    def extract_metadata(self, data: Any) -> dict[str, Any]:
        """Small facts about ``data`` to keep in the artifact record (JSON values only)."""
        return {}

    @classmethod
    def can_handle_type(cls, data_type: Any) -> bool:
        """True if ``data_type`` is one of ``ASSOCIATED_TYPES`` or a subclass of one."""
        return isinstance(data_type, type) and any(
            isinstance(tp, type) and issubclass(data_type, tp) for tp in cls.ASSOCIATED_TYPES)

    def validate_type_compatibility(self, data_type: Any) -> None:
        """``TypeError`` unless `can_handle_type` (legacy code calls it; the store does not)."""
        if not self.can_handle_type(data_type):
            raise TypeError(f"{type(self).__name__} cannot read or write {data_type!r}; it handles "
                            f"{self.ASSOCIATED_TYPES!r}.")

    # -- what the store calls ---------------------------------------------------------

    def write_stream(self, value: Any, fileobj: IO[bytes]) -> None:
        import shutil
        import tempfile

        from framework.artifacts.directory_archive import UnsupportedEntryError, pack

        method = self._method("save", "handle_return", "write", "data")
        workdir = tempfile.mkdtemp(prefix="framework-materializer-")
        try:
            self.uri = workdir
            method(value)
            self._metadata = self._metadata_of(value)
            try:
                pack(workdir, fileobj)
            except UnsupportedEntryError as exc:
                raise MaterializerError(
                    f"Materializer `{dotted_name(type(self))}` left {exc} under self.uri; only "
                    "regular files and directories are stored with an artifact. Write (copy) "
                    "the file itself instead.") from None
        finally:
            self.uri = ""
            shutil.rmtree(workdir, ignore_errors=True)

    def read_stream(self, source: Source, data_type: str, **options: Any) -> Any:
        import shutil
        import tempfile

        from framework.artifacts.directory_archive import unpack

        method = self._method("load", "handle_input", "read", "data_type")
        workdir = tempfile.mkdtemp(prefix="framework-materializer-")
        keep = False
        try:
            with self.open_source(source) as f:
                unpack(f, workdir)
            self.uri = workdir
            value = method(self._data_type(data_type))
            keep = bool(self.KEEP_LOAD_DIR)
            return value
        finally:
            if keep:
                _remove_at_exit(workdir)
            else:
                shutil.rmtree(workdir, ignore_errors=True)

    def summary(self, value: Any) -> dict[str, Any]:
        return {**getattr(self, "_metadata", {}), "artifact_type": type(self)._artifact_type.value}

    # -- helpers ------------------------------------------------------------------------

    def _method(self, new: str, old: str, verb: str, arg: str) -> Any:
        """The bound user method: ``new`` or ``old``, whichever the most derived class defines."""
        found = _first_defined(type(self), new, old)
        if found is None:
            raise MaterializerError(
                f"Materializer `{dotted_name(type(self))}` defines neither `{new}(self, {arg})` nor "
                f"`{old}(self, {arg})`, so it cannot {verb} artifacts. Add `{new}` and have it "
                f"{verb} files under self.uri.")
        return getattr(self, found)

    def _data_type(self, recorded: str) -> type:
        """The class the value was saved as, if its module is loaded; else the first
        associated class. Never imports (the name comes from a stored record)."""
        found = loaded_object(recorded)
        if isinstance(found, type):
            return found
        for tp in self.ASSOCIATED_TYPES:
            tp = loaded_object(tp) if isinstance(tp, str) else tp
            if isinstance(tp, type):
                return tp
        return object

    def _metadata_of(self, value: Any) -> dict[str, Any]:
        """JSON entries of ``extract_metadata``; what could not be kept is named, not hidden."""
        try:
            extracted = self.extract_metadata(value) or {}
            items = dict(extracted)
        except Exception as exc:  # metadata is a convenience: never fail the save for it
            return {"metadata_error": f"{type(exc).__name__}: {exc}"[:200]}
        kept, skipped = {}, []
        for key, item in items.items():
            try:
                text = json.dumps(item, allow_nan=False)
            except (TypeError, ValueError):
                text = None
            if isinstance(key, str) and text is not None and len(text) <= _METADATA_ITEM_MAX:
                kept[key] = json.loads(text)
            else:
                skipped.append(str(key))
        if skipped:
            kept["metadata_skipped"] = sorted(skipped)
        return kept


def _first_defined(cls: type, *names: str) -> str | None:
    """Which of ``names`` the most derived class below `DirectoryMaterializer` defines."""
    for klass in cls.__mro__:
        if klass is DirectoryMaterializer:
            return None
        for name in names:
            if name in vars(klass):
                return name
    return None


_KEPT: list[str] = []


def _remove_at_exit(path: str) -> None:
    import atexit
    import shutil

    def remove_kept() -> None:
        for kept in _KEPT:
            shutil.rmtree(kept, ignore_errors=True)

    if not _KEPT:
        atexit.register(remove_kept)
    _KEPT.append(path)
