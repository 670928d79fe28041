"""`BaseMaterializer`: the contract between a value's type and its bytes on disk.

Why so small: the artifact store owns everything that is the same for every format —
paths, temp files and renames, hashing, verification, fsspec. A materializer only turns
one value into a byte stream and back, so writing a new one takes a dozen lines::

    class TorchMaterializer(BaseMaterializer):
        ASSOCIATED_TYPES = ("torch.nn.modules.module.Module",)   # no torch import needed
        EXTENSION = ".pt"

        def save(self, value, fileobj):
            torch.save(value, fileobj)

        def load(self, source, data_type):
            with self.open_source(source) as f:
                return torch.load(f)

    framework.artifacts.register_materializer(TorchMaterializer)
"""

from __future__ import annotations

import contextlib
from typing import IO, Any, ClassVar, Iterator, Union

__all__ = ["BaseMaterializer", "Source"]

#: What `BaseMaterializer.load` receives: a local filesystem path (``str``) or an open,
#: readable, seekable binary file object (fsspec files, or an in-memory buffer of
#: verified bytes).
Source = Union[str, IO[bytes]]


class BaseMaterializer:
    """Writes values of some types to a binary stream and reads them back.

    Class attributes:
      ASSOCIATED_TYPES: classes or dotted ``"module.QualName"`` strings this materializer
        handles (including subclasses). Strings let heavy libraries be matched without
        importing them.
      EXTENSION: file suffix including the dot (``".npy"``), or ``""``.
      FORMAT_VERSION: bump when the byte layout changes; the store refuses to load
        artifacts written with a newer version than the installed materializer knows.
      SEEKABLE_WRITE: ``False`` (default) means `save` only calls ``write`` on its
        file object, so the store hashes bytes as they stream past. Set ``True`` if `save`
        must seek or read back; the store then hands it the real temp file and hashes the
        finished file (one extra read).
      SUPPORTS_MMAP: ``True`` if `load` accepts an ``mmap`` keyword (numpy does).
      LOADS_CODE: ``True`` if loading runs code beyond this class's own (pickle, a user's
        directory materializer): never memory-mapped, always loaded from the bytes verified.
      NEEDS_TRUST: ``True`` if what a file may make `load` run depends on the file (pickle;
        skops types): `load` then gets a ``trust`` keyword (``framework.artifacts.trust``)
        and must refuse what it does not cover.

    Materializers are instantiated with no arguments for every save/load, so keep them
    stateless. The store drives them through `write_stream`/`read_stream` and asks the
    same instance for its `summary` right after writing.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()
    EXTENSION: ClassVar[str] = ""
    FORMAT_VERSION: ClassVar[int] = 1
    SEEKABLE_WRITE: ClassVar[bool] = False
    SUPPORTS_MMAP: ClassVar[bool] = False
    LOADS_CODE: ClassVar[bool] = False
    NEEDS_TRUST: ClassVar[bool] = False

    @classmethod
    def unsupported_reason(cls, value: Any) -> str | None:
        """``None`` if this materializer stores ``value`` exactly, else a short reason why not.

        Consulted when a materializer is chosen by type (default: everything is fine).
        A reason — say, a list holding arrays for the JSON materializer — makes the store
        fall back to pickle with a warning quoting it, instead of writing something that
        would not round trip. Keep it cheap: it runs on every save.
        """
        return None

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        """Write ``value`` to ``fileobj`` (binary, writable, not seekable unless SEEKABLE_WRITE).

        Do not close ``fileobj``. Raise `framework.exceptions.MaterializerError` to refuse
        a value with a message that says how to fix it.
        """
        raise NotImplementedError

    def load(self, source: Source, data_type: str) -> Any:
        """Read the value back. ``source`` is a local path or an open binary file object
        (see `open_source`); ``data_type`` is the dotted type name recorded at save time.
        The store only calls this after the bytes matched their recorded hash."""
        raise NotImplementedError

    def write_stream(self, value: Any, fileobj: IO[bytes]) -> None:
        """What the store calls to write a value: `save`, unless a family of materializers
        works differently (the directory-based ZenML ones, see ``directory.py``)."""
        self.save(value, fileobj)

    def read_stream(self, source: Source, data_type: str, **options: Any) -> Any:
        """What the store calls to read a value back: `load` (``options``: ``mmap``)."""
        return self.load(source, data_type, **options)

    def summary(self, value: Any) -> dict[str, Any]:
        """A small strict-JSON dict describing ``value`` for humans (shape, rows, ...).

        Kept in the artifact record, so it must stay tiny; default: nothing.
        """
        return {}

    @staticmethod
    @contextlib.contextmanager
    def open_source(source: Source) -> Iterator[IO[bytes]]:
        """Yield a readable binary file for ``source``; closes it only if it opened it."""
        if isinstance(source, str):
            with open(source, "rb") as f:
                yield f
        else:
            yield source
