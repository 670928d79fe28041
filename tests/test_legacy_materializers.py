"""Materializers written for ZenML 0.2x–0.39 run unchanged (SPEC §9, §7, §11).

Steps return custom objects, pipelines run, outputs are read back through the `Client`
and received by downstream steps; the store keeps its rules (one verified, content-hashed
file per output) and never lets an archive escape its unpack directory.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import tempfile
from typing import Any, Type

import attrs
import pytest

from framework.artifacts import ArtifactStore, DataArtifact, ModelArtifact, SchemaArtifact
from framework.artifacts.materializers import (
    BuiltinsMaterializer,
    materializer_by_name,
    materializer_for_value,
    unregister_materializer,
)
from framework.client import Client
from framework.enums import ArtifactType
from framework.exceptions import ArtifactError, MaterializerError
from framework.hashing import hash_bytes, new_id
from framework.io import fileio
from framework.materializers import BaseMaterializer
from framework.pipelines import pipeline as legacy_pipeline
from framework.pipelines.new import pipeline
from framework.steps import step

# -- the user's code, as legacy projects write it ------------------------------------------

LOADED_AS: list[type] = []  # the data_type each load received


class Doc:
    def __init__(self, title: str, words: list[str]) -> None:
        self.title, self.words = title, words


class Memo(Doc):
    """A subclass: handled by Doc's materializer (nearest registered ancestor)."""


class DocMaterializer(BaseMaterializer):  # 0.3x style
    ASSOCIATED_TYPES = (Doc,)
    ASSOCIATED_ARTIFACT_TYPE = ArtifactType.DATA

    def load(self, data_type: Type[Any]) -> Doc:
        super().load(data_type)
        LOADED_AS.append(data_type)
        with fileio.open(os.path.join(self.uri, "doc.json"), "r") as f:
            meta = json.load(f)
        with fileio.open(os.path.join(self.uri, "body", "words.txt"), "rb") as f:
            words = f.read().decode().split("\n")
        return data_type(meta["title"], words)

    def save(self, doc: Doc) -> None:
        super().save(doc)
        with fileio.open(os.path.join(self.uri, "doc.json"), "w") as f:
            json.dump({"title": doc.title}, f)
        fileio.makedirs(os.path.join(self.uri, "body"))
        with fileio.open(os.path.join(self.uri, "body", "words.txt"), "wb") as f:
            f.write("\n".join(doc.words).encode())

    def extract_metadata(self, doc: Doc) -> dict:
        return {"title": doc.title, "n_words": len(doc.words)}


class Ledger:
    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows


class LedgerMaterializer(BaseMaterializer):  # 0.2x style: handle_*, self.artifact.uri, plural
    ASSOCIATED_TYPES = [Ledger]
    ASSOCIATED_ARTIFACT_TYPES = (DataArtifact, SchemaArtifact)

    def handle_input(self, data_type: Type[Any]) -> Ledger:
        super().handle_input(data_type)
        with open(os.path.join(self.artifact.uri, "rows.json")) as f:
            return Ledger(json.load(f))

    def handle_return(self, ledger: Ledger) -> None:
        super().handle_return(ledger)
        with open(os.path.join(self.artifact.uri, "rows.json"), "w") as f:
            json.dump(ledger.rows, f, sort_keys=True)


class Blob:
    def __init__(self, data: bytes) -> None:
        self.data = data


class BlobMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Blob,)
    ASSOCIATED_ARTIFACT_TYPE = ModelArtifact

    def load(self, data_type):
        with open(os.path.join(self.uri, "blob.bin"), "rb") as f:
            return Blob(f.read())

    def save(self, blob):
        with open(os.path.join(self.uri, "blob.bin"), "wb") as f:
            f.write(blob.data)


class ReversedBlobMaterializer(BlobMaterializer):
    """Chosen only explicitly: no types of its own, so it does not take Blob over."""

    def load(self, data_type):
        return Blob(super().load(data_type).data[::-1])

    def save(self, blob):
        super().save(Blob(blob.data[::-1]))


# -- steps ---------------------------------------------------------------------------------

@step
def write_doc(title: str = "notes") -> Doc:
    return Doc(title, ["alpha", "beta"])


@step
def write_memo() -> Doc:
    return Memo("memo", ["gamma"])


@step
def count_words(doc: Doc) -> int:
    assert isinstance(doc, Doc)
    return len(doc.words) * 10 + len(doc.title)


@step(enable_cache=False)
def fresh_doc() -> Doc:
    return Doc("fresh", ["same", "bytes"])


@step
def describe(doc: Doc) -> str:
    return f"{type(doc).__name__}:{doc.title}:{','.join(doc.words)}"


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """Materializer temp directories go here, so a test can see what is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def registered():
    """Unregister materializer classes a test defines for shared types (dict ...)."""
    added: list[type] = []
    yield added.append
    for cls in added:
        unregister_materializer(cls)


# -- through pipelines and the client ------------------------------------------------------

def test_zenml_materializer_round_trips_through_a_pipeline_and_the_client(backend):
    @pipeline
    def docs_pipeline():
        count_words(doc=write_doc(title="notes"))

    run = docs_pipeline()
    assert run.status == "completed"
    loaded = Client().get_run(run.name).steps["write_doc"].output
    doc = loaded.load()
    assert type(doc) is Doc and (doc.title, doc.words) == ("notes", ["alpha", "beta"])
    assert run.steps["count_words"].output.load() == 25  # the downstream step received the Doc
    assert loaded.materializer == f"{__name__}.DocMaterializer"
    assert loaded.uri.endswith(".tar")
    assert loaded.metadata == {"title": "notes", "n_words": 2, "artifact_type": "DataArtifact"}


def test_0_2x_materializer_with_handle_methods_in_a_legacy_pipeline():
    @step
    def make_ledger() -> Ledger:
        return Ledger({"b": 2, "a": 1})

    @step
    def total(ledger: Ledger) -> int:
        return sum(ledger.rows.values())

    @legacy_pipeline
    def ledger_pipeline(step_1, step_2):
        step_2(step_1())

    ledger_pipeline(step_1=make_ledger(), step_2=total()).run(run_name="ledgers")
    run = Client().get_run("ledgers")
    assert run.steps["total"].output.load() == 3
    ledger = run.steps["step_1"].output.load()
    assert type(ledger) is Ledger and ledger.rows == {"a": 1, "b": 2}
    assert run.steps["step_1"].output.metadata == {"artifact_type": "DataArtifact"}


def test_a_subclass_value_uses_the_nearest_materializer_and_loads_as_its_class():
    LOADED_AS.clear()

    @pipeline
    def memo_pipeline():
        describe(doc=write_memo())

    run = memo_pipeline()
    assert run.steps["describe"].output.load() == "Memo:memo:gamma"
    assert run.steps["write_memo"].output.materializer.endswith("DocMaterializer")
    assert type(run.steps["write_memo"].output.load()) is Memo
    assert LOADED_AS == [Memo, Memo]


def test_identical_outputs_give_identical_bytes_so_the_next_step_is_cached():
    @pipeline
    def fresh_pipeline():
        describe(doc=fresh_doc())

    first = fresh_pipeline()
    second = fresh_pipeline()
    assert second.steps["fresh_doc"].status == "completed"  # enable_cache=False: ran again
    assert second.steps["describe"].status == "cached"
    assert (first.steps["fresh_doc"].output.content_hash
            == second.steps["fresh_doc"].output.content_hash)


# -- registry -----------------------------------------------------------------------------

def test_definition_registers_and_the_most_specific_type_wins(store):
    assert materializer_for_value(Doc("a", [])) is DocMaterializer
    assert materializer_for_value(Memo("a", [])) is DocMaterializer

    class Report(Doc):
        pass

    class ReportMaterializer(BaseMaterializer):
        ASSOCIATED_TYPES = (Report,)

        def save(self, data):
            with open(os.path.join(self.uri, "title"), "w") as f:
                f.write(data.title)

        def load(self, data_type):
            with open(os.path.join(self.uri, "title")) as f:
                return Report(f.read(), [])

    try:
        assert materializer_for_value(Report("r", [])) is ReportMaterializer
        assert materializer_for_value(Memo("m", [])) is DocMaterializer
        info = store.save(Report("quarterly", ["x"]), artifact_id=new_id())
        assert store.load(info).title == "quarterly"
    finally:
        unregister_materializer(ReportMaterializer)


def test_a_user_materializer_beats_the_builtins_for_its_types(store, registered):
    class UpperDict(BaseMaterializer):
        ASSOCIATED_TYPES = (dict,)

        def save(self, data):
            with open(os.path.join(self.uri, "d.json"), "w") as f:
                json.dump({k.upper(): v for k, v in data.items()}, f)

        def load(self, data_type):
            with open(os.path.join(self.uri, "d.json")) as f:
                return json.load(f)

    registered(UpperDict)
    info = store.save({"a": 1}, artifact_id=new_id())
    assert store.load(info) == {"A": 1} and info.materializer.endswith("UpperDict")
    assert materializer_for_value([1]) is BuiltinsMaterializer  # other types unaffected


def test_a_subclass_inheriting_types_does_not_take_them_over():
    assert materializer_for_value(Blob(b"x")) is BlobMaterializer
    assert materializer_by_name(f"{__name__}.ReversedBlobMaterializer") is ReversedBlobMaterializer


def test_explicit_materializer_by_class_and_by_dotted_name(store):
    info = store.save(Blob(b"abc"), artifact_id=new_id(), materializer=ReversedBlobMaterializer)
    assert info.materializer == f"{__name__}.ReversedBlobMaterializer"
    with tarfile.open(store.path_of(info)) as tar:
        assert tar.extractfile("blob.bin").read() == b"cba"
    assert store.load(info).data == b"abc"

    by_name = materializer_by_name(f"{__name__}.ReversedBlobMaterializer")
    info = store.save(Blob(b"xy"), artifact_id=new_id(), materializer=by_name)
    assert store.load(info).data == b"xy"


def test_skip_registration_and_legacy_registry_object(store):
    from framework.materializers.materializer_registry import materializer_registry

    class Token:
        pass

    class TokenMaterializer(BaseMaterializer):
        ASSOCIATED_TYPES = (Token,)
        SKIP_REGISTRATION = True

        def save(self, data):
            open(os.path.join(self.uri, "t"), "w").close()

        def load(self, data_type):
            return data_type()

    assert not materializer_registry.is_registered(Token)
    materializer_registry.register_materializer_type(Token, TokenMaterializer)
    try:
        assert materializer_registry[Token] is TokenMaterializer
        assert isinstance(store.load(store.save(Token(), artifact_id=new_id())), Token)
    finally:
        unregister_materializer(TokenMaterializer)


@pytest.mark.parametrize("spec, expected", [
    (ArtifactType.MODEL, "ModelArtifact"), ("SchemaArtifact", "SchemaArtifact"), ("STATISTICS", "StatisticsArtifact"),
    (ModelArtifact, "ModelArtifact"), ((DataArtifact,), "DataArtifact"), (ArtifactType.DATA_ANALYSIS, "DataAnalysisArtifact"),
])
def test_artifact_type_spellings_are_recorded(store, spec, expected):
    class Kinded(BaseMaterializer):
        ASSOCIATED_ARTIFACT_TYPE = spec

        def save(self, data):
            open(os.path.join(self.uri, "x"), "w").close()

    info = store.save(Blob(b""), artifact_id=new_id(), materializer=Kinded)
    assert info.metadata["artifact_type"] == expected
    assert BlobMaterializer._artifact_type is ArtifactType.MODEL


def test_invalid_class_definitions_fail_at_once_naming_the_class():
    with pytest.raises(MaterializerError, match=r"BadKind.*ASSOCIATED_ARTIFACT_TYPE.*ArtifactType.DATA"):
        class BadKind(BaseMaterializer):
            ASSOCIATED_ARTIFACT_TYPE = "Spreadsheet"

    with pytest.raises(MaterializerError, match=r"BadTypes.*tuple"):
        class BadTypes(BaseMaterializer):
            ASSOCIATED_TYPES = Blob

    with pytest.raises(MaterializerError, match=r"NotAType.*ASSOCIATED_TYPES"):
        class NotAType(BaseMaterializer):
            ASSOCIATED_TYPES = (42,)


# -- errors --------------------------------------------------------------------------------

def test_a_materializer_without_save_or_load_is_a_clear_error(store):
    class Empty(BaseMaterializer):
        pass

    with pytest.raises(MaterializerError, match=r"Empty.*neither `save\(self, data\)` nor `handle_return"):
        store.save(Blob(b""), artifact_id=new_id(), materializer=Empty)


def test_a_failing_load_names_context_and_materializer(store):
    class Broken(BlobMaterializer):
        def load(self, data_type):
            raise RuntimeError("corrupt header")

    info = store.save(Blob(b"1"), artifact_id=new_id(), materializer=Broken)
    with pytest.raises(ArtifactError, match=r"run `r`, step `s`.*Broken.*corrupt header"):
        store.load(info, context="run `r`, step `s`, output `o`")


def test_a_link_written_by_save_is_refused_naming_the_materializer(store, temp_root):
    class Linker(BaseMaterializer):
        def save(self, data):
            os.symlink("/etc/hostname", os.path.join(self.uri, "host"))

    with pytest.raises(MaterializerError, match=r"Linker.*`host` is a symbolic link"):
        store.save(Blob(b""), artifact_id=new_id(), materializer=Linker)
    assert list(store.iter_artifact_files()) == [] and os.listdir(temp_root) == []


def _forged(store, members):
    """A stored Blob artifact whose file (and record) are replaced by a crafted tar."""
    info = store.save(Blob(b"ok"), artifact_id=new_id())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, extra in members:
            member = tarfile.TarInfo(name)
            member.type = kind
            if kind == tarfile.SYMTYPE or kind == tarfile.LNKTYPE:
                member.linkname = extra
                tar.addfile(member)
            elif kind == tarfile.REGTYPE:
                member.size = len(extra)
                tar.addfile(member, io.BytesIO(extra))
            else:
                tar.addfile(member)
    data = buffer.getvalue()
    with open(store.path_of(info), "wb") as f:
        f.write(data)
    return attrs.evolve(info, size=len(data), content_hash=hash_bytes(data), signature=None)


ESCAPES = {
    "dotdot": [("../escaped-{tag}", tarfile.REGTYPE, b"x")],
    "nested_dotdot": [("a/../../escaped-{tag}", tarfile.REGTYPE, b"x")],
    "absolute": [("{tmp}/escaped-{tag}", tarfile.REGTYPE, b"x")],
    "symlink": [("link", tarfile.SYMTYPE, "{tmp}"), ("link/escaped-{tag}", tarfile.REGTYPE, b"x")],
    "hardlink": [("hard", tarfile.LNKTYPE, "/etc/passwd")],
    "device": [("dev", tarfile.CHRTYPE, "")],
    "duplicate": [("blob.bin", tarfile.REGTYPE, b"a"), ("blob.bin", tarfile.REGTYPE, b"b")],
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_archive_members_that_could_escape_are_refused(store, temp_root, case):
    tag = new_id()
    members = [(name.format(tag=tag, tmp=temp_root), kind,
                extra.format(tag=tag, tmp=temp_root) if isinstance(extra, str) else extra)
               for name, kind, extra in ESCAPES[case]]
    info = _forged(store, members)
    with pytest.raises(ArtifactError, match=r"BlobMaterializer.*(outside|link|not a regular file|twice)"):
        store.load(info, context="run `r`, step `s`, output `o`")
    assert not any(tag in name for _root, _dirs, files in os.walk(temp_root.parent) for name in files)
    assert os.listdir(temp_root) == []  # the unpack directory was removed


def test_loading_never_imports_a_module_the_record_names(store, tmp_path, monkeypatch):
    module = tmp_path / "zm_planted.py"
    marker = tmp_path / "imported"
    module.write_text(f"open({str(marker)!r}, 'w').close()\n"
                      "from framework.materializers import BaseMaterializer\n"
                      "class Planted(BaseMaterializer):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    info = store.save(Blob(b"x"), artifact_id=new_id())
    planted = attrs.evolve(info, materializer="zm_planted.Planted", data_type="zm_planted.Thing")
    with pytest.raises(MaterializerError, match="not registered in this process"):
        store.load(planted)
    assert "zm_planted" not in sys.modules and not marker.exists()


# -- temp directories ----------------------------------------------------------------------

def test_temp_directories_are_removed_after_save_and_load(store, temp_root):
    seen: list[str] = []

    class Spy(BlobMaterializer):
        def load(self, data_type):
            seen.append(self.uri)
            return super().load(data_type)

    info = store.save(Blob(b"1"), artifact_id=new_id(), materializer=Spy)
    assert os.listdir(temp_root) == []
    assert store.load(info).data == b"1"
    assert seen and not os.path.exists(seen[0]) and os.listdir(temp_root) == []


def test_keep_load_dir_keeps_files_for_values_that_read_lazily(store, temp_root):
    class LazyBlob:
        def __init__(self, path):
            self.path = path

        def read(self):
            with open(self.path, "rb") as f:
                return f.read()

    class Lazy(BlobMaterializer):
        KEEP_LOAD_DIR = True

        def load(self, data_type):
            return LazyBlob(os.path.join(self.uri, "blob.bin"))

    info = store.save(Blob(b"later"), artifact_id=new_id(), materializer=Lazy)
    assert store.load(info).read() == b"later"


def test_archives_are_plain_deterministic_tars(store):
    a = store.save(Doc("t", ["w"]), artifact_id=new_id())
    b = store.save(Doc("t", ["w"]), artifact_id=new_id())
    assert a.content_hash == b.content_hash
    with tarfile.open(store.path_of(a)) as tar:
        assert tar.getnames() == ["body", "body/words.txt", "doc.json"]
        assert {m.mtime for m in tar.getmembers()} == {0}
    assert store.save(Doc("t", ["v"]), artifact_id=new_id()).content_hash != a.content_hash


def test_a_remote_store_keeps_the_same_rules():
    remote = ArtifactStore(f"memory://zm-{new_id()}")
    info = remote.save(Doc("remote", ["r"]), artifact_id=new_id())
    assert info.uri.endswith(".tar") and remote.verify(info)
    doc = remote.load(info)
    assert (doc.title, doc.words) == ("remote", ["r"])


def test_legacy_import_paths():
    from framework.artifacts.materializers import DirectoryMaterializer
    from framework.materializers.base_materializer import BaseMaterializer as Legacy

    assert Legacy is BaseMaterializer is DirectoryMaterializer
    assert str(ArtifactType.DATA) == "DataArtifact" and ArtifactType("ModelArtifact") is ArtifactType.MODEL
