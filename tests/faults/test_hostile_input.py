"""Hostile input: names that look like paths, symlinks planted in the store, tampered
pickles, values JSON cannot hold. Nothing escapes the home, nothing untrusted is unpickled,
nothing non-JSON reaches the store."""

from __future__ import annotations

import datetime as dt
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pytest
from _helpers import audit, child_env, client, run_files, strict_json_files, unexpected_paths

from framework import pipeline, step
from framework.exceptions import ArtifactError, ArtifactVerificationError, MaterializerError, StepInterfaceError
from framework.pipelines import pipeline as legacy_pipeline
from framework.steps import BaseParameters

PATHLIKE = ["../../x", "/etc/passwd", "a/b", "a\\b", "a\x00b", "x" * 300, "ｘ／ｙ", "․․", "..", "tab\there",
            "name\u202e", ""]
HARMLESS = ["CON", "nul", "Ünïcödé name", "запуск-1", "実験テスト_run", "x" * 150]


def _tree(root: Path, skip: Path) -> set[str]:
    return {str(p) for p in root.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture
def outside(tmp_path, home):
    """Fails the test if anything appears outside the home (near it or at the usual targets)."""
    neighbours = [tmp_path.parent, tmp_path.parent.parent]
    before = (_tree(tmp_path, home), [set(os.listdir(d)) for d in neighbours], os.stat("/etc/passwd").st_mtime)
    yield tmp_path
    after = (_tree(tmp_path, home), [set(os.listdir(d)) for d in neighbours], os.stat("/etc/passwd").st_mtime)
    assert after[0] == before[0], f"files created outside the home: {after[0] - before[0]}"
    for now, then in zip(after[1], before[1]):  # pytest's own dirs may appear (other workers, tests)
        assert all(n.startswith(("popen-gw", "test_", "pytest")) for n in now - then), now - then
    assert after[2] == before[2]
    assert not Path("/x").exists()
    if home.exists():
        assert unexpected_paths(home) == []


@step
def emit(n: int = 3) -> int:
    return n


def _channels():
    """Ways a user-given name reaches the framework; each runs one pipeline with it."""
    def run_name(name):
        @pipeline
        def named_run():
            emit()
        return named_run.with_options(run_name=name)(), lambda run: run.name == name

    def step_name_decorator(name):
        @step(name=name)
        def decorated() -> int:
            return 1

        @pipeline
        def with_named_step():
            decorated()
        return with_named_step(), lambda run: next(iter(run.steps.values())).name == name

    def step_name_configure(name):
        configured = emit().configure(name=name)

        @legacy_pipeline
        def legacy_named(step_1):
            step_1()
        return legacy_named(step_1=configured).run(), lambda run: name in run.steps

    def step_name_with_options(name):
        @pipeline
        def with_options_named():
            emit.with_options(name=name)()
        return with_options_named(), lambda run: next(iter(run.steps.values())).name == name

    def pipeline_name(name):
        @pipeline(name=name)
        def renamed():
            emit()
        return renamed.with_options(run_name="fixed-run-name")(), lambda run: run.pipeline_name == name

    def legacy_pipeline_name(name):
        @legacy_pipeline(name=name)
        def legacy_renamed(step_1):
            step_1()
        return legacy_renamed(step_1=emit()).run(run_name="legacy-fixed"), lambda run: run.pipeline_name == name

    def invocation_id(name):
        @pipeline
        def with_id():
            emit(id=name)
        return with_id(), lambda run: name in run.steps

    def output_name(name):
        def annotated():
            return 5
        annotated.__annotations__ = {"return": Annotated[int, name]}  # a real (not string) annotation
        annotated = step(annotated)

        @pipeline
        def with_output():
            annotated()
        return with_output(), lambda run: list(run.steps["annotated"].outputs) == [name]

    return {f.__name__: f for f in (run_name, step_name_decorator, step_name_configure, step_name_with_options,
                                    pipeline_name, legacy_pipeline_name, invocation_id, output_name)}


CHANNELS = _channels()


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize("name", PATHLIKE, ids=repr)
def test_path_like_names_are_rejected_before_anything_is_written(outside, home, channel, name):
    with pytest.raises((ValueError, StepInterfaceError)) as info:
        CHANNELS[channel](name)
    assert "name" in str(info.value) or "id" in str(info.value)
    assert run_files(home) == []


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize("name", HARMLESS, ids=repr)
def test_odd_but_harmless_names_are_keys_never_paths(outside, home, channel, name):
    run, stored = CHANNELS[channel](name)
    assert run.status == "completed"
    assert stored(client(home).get_run(run.name))
    audit(home)


# ---------------------------------------------------------------------- symlinks

@step
def make_list(n: int) -> list:
    return list(range(n))


@step
def total_of(values: list) -> int:
    return sum(values)


@pipeline
def linked(n: int = 10):
    total_of(values=make_list(n=n))


def test_symlinked_shard_directories_pointing_outside_are_never_written_through(tmp_path, home):
    linked(n=1)  # creates the store
    target = tmp_path / "elsewhere"
    target.mkdir()
    artifacts = home / "artifacts"
    for i in range(256):
        shard = artifacts / f"{i:02x}"
        if shard.exists():
            for f in shard.iterdir():
                f.unlink()
            shard.rmdir()
        shard.symlink_to(target, target_is_directory=True)
    with pytest.raises(ArtifactError) as info:
        linked(n=20)
    assert "outside the store root" in str(info.value) and "`make_list`" in str(info.value)
    assert list(target.iterdir()) == []
    run = client(home).list_runs()[0]
    assert run.status == "failed" and run.steps["total_of"].status == "skipped"


def test_an_artifact_replaced_by_a_symlink_outside_is_not_followed(tmp_path, home):
    first = linked(n=30)
    output = client(home).get_run(first.name).steps["make_list"].output
    path = Path(output.path)
    copy = tmp_path / "copy.json"
    copy.write_bytes(path.read_bytes())  # identical bytes: only the location is wrong
    path.unlink()
    path.symlink_to(copy)
    with pytest.raises(ArtifactVerificationError) as info:
        client(home).get_run(first.name).steps["make_list"].output.load()
    assert "outside the store root" in str(info.value)
    again = linked(n=30)
    assert again.steps["make_list"].status == "completed"  # not served from the symlink
    assert again.steps["make_list"].output.load() == list(range(30))
    assert copy.read_bytes() == Path(again.steps["make_list"].output.path).read_bytes()


def test_a_symlinked_metadata_file_is_replaced_never_written_through(tmp_path, home):
    linked(n=5)
    store_file = home / "metadata" / "pipelines.json"
    outside_copy = tmp_path / "pipelines-outside.json"
    outside_copy.write_bytes(store_file.read_bytes())
    before = outside_copy.read_bytes()
    store_file.unlink()
    store_file.symlink_to(outside_copy)
    linked(n=6)
    assert outside_copy.read_bytes() == before
    assert not store_file.is_symlink()
    assert [r.status for r in client(home).list_runs()] == ["completed", "completed"]


# ---------------------------------------------------------------------- pickles

class Opaque:
    """No materializer knows it: stored with pickle (and a warning)."""

    def __init__(self, payload: str) -> None:
        self.payload = payload


class Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@step
def opaque(text: str) -> Opaque:
    return Opaque(text)


@step
def unwrap(value: Opaque) -> str:
    return value.payload


@pipeline
def pickled(text: str = "x" * 200):
    unwrap(value=opaque(text=text))


@pytest.mark.parametrize("same_size", [True, False])
def test_a_tampered_pickle_is_never_unpickled(tmp_path, home, same_size):
    with pytest.warns(UserWarning, match="pickle"):
        first = pickled()
    output = client(home).get_run(first.name).steps["opaque"].output
    path = Path(output.path)
    assert path.suffix == ".pkl"
    marker = tmp_path / "PWNED"
    evil = pickle.dumps(Evil(str(marker)))
    original = path.read_bytes()
    if same_size:
        assert len(evil) < len(original)
        evil += b"\x00" * (len(original) - len(evil))  # pickle ignores bytes after STOP
    path.write_bytes(evil)
    # read back through the client
    with pytest.raises(ArtifactVerificationError):
        client(home).get_run(first.name).steps["opaque"].output.load()
    assert not marker.exists()
    # through the command line, in another process
    done = subprocess.run([sys.executable, "-m", "framework", "artifacts", "show", first.name, "opaque"],
                          env=child_env(home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "opaque" in done.stderr
    assert not marker.exists()
    # the next run: a cache miss, the step runs again; nothing unpickles the tampered file
    with pytest.warns(UserWarning, match="pickle"):
        again = pickled()
    assert again.steps["opaque"].status == "completed"
    assert again.steps["unwrap"].output.load() == "x" * 200
    assert not marker.exists()


# ---------------------------------------------------------------------- values

@step
def objects() -> np.ndarray:
    return np.array([1, "a", None], dtype=object)


@step
def consume(values: np.ndarray) -> int:
    return len(values)


@pipeline
def object_arrays():
    consume(values=objects())


def test_numpy_object_arrays_are_refused_at_save(home):
    with pytest.raises(MaterializerError) as info:
        object_arrays()
    assert "`objects`" in str(info.value) and "`output`" in str(info.value) and "object" in str(info.value)
    run = client(home).list_runs()[0]
    assert run.status == "failed" and run.steps["consume"].status == "skipped"
    assert not list((home / "artifacts").rglob("*.npy"))


@step
def takes(a: Any, b: Any, c: Any, d: Any) -> str:
    return f"{type(a).__name__} {type(b).__name__} {type(c).__name__} {d!r}"


class When(BaseParameters):
    moment: dt.datetime
    ratio: float = 0.5


@step
def with_params(params: When) -> str:
    return params.moment.isoformat()


@pipeline
def valued(ratio: float = 0.1):
    takes(a=np.float64(0.5), b=np.int64(3), c=(1, 2), d=math.nan)
    with_params(When(moment=dt.datetime(2024, 1, 2, 3, 4, 5)))


def test_numpy_scalars_tuples_nan_and_datetimes_are_stored_as_strict_json(home):
    run = valued(ratio=np.float64(0.25))
    params = run.steps["takes"].parameters
    assert params == {"a": 0.5, "b": 3, "c": [1, 2], "d": "nan"}
    assert type(params["a"]) is float and type(params["b"]) is int
    assert run.steps["takes"].output.load() == "float64 int64 tuple nan"  # the step got the real values
    assert run.steps["with_params"].parameters == {"moment": "2024-01-02T03:04:05", "ratio": 0.5}
    assert run.pipeline_parameters == {"ratio": 0.25} and type(run.pipeline_parameters["ratio"]) is float
    assert strict_json_files(home) > 5  # every store file parses as strict JSON (no NaN token)


def test_values_json_cannot_hold_are_refused_naming_the_key_path(home):
    @step
    def plain(cfg: dict) -> int:
        return len(cfg)

    @pipeline
    def nested():
        plain(cfg={"outer": {"when": dt.datetime(2024, 1, 1)}})

    with pytest.raises(StepInterfaceError) as info:
        nested()
    assert "`plain`" in str(info.value) and "cfg['outer']['when']" in str(info.value)

    @pipeline
    def takes_when(when: Any = None):
        plain(cfg={})

    with pytest.raises(StepInterfaceError) as info:
        takes_when(when=dt.datetime(2024, 1, 1))
    assert "`when`" in str(info.value)

    @pipeline
    def extra_values():
        plain(cfg={})

    with pytest.raises(ValueError) as info:
        extra_values.with_options(extra={"owner": {"since": dt.date(2024, 1, 1)}})()
    assert "extra.owner.since" in str(info.value)
    assert run_files(home) == []  # refused before anything was written


@pytest.mark.parametrize("name, words", [
    ("r\u0430n", ["CYRILLIC SMALL LETTER A", "one script"]),  # 'rаn': a Cyrillic a
    ("r\u057dn", ["ARMENIAN", "one script"]),  # 'rսn'
    ("run\u00a0", ["no-break space"]),  # a trailing no-break space
    (" run", ["starts or ends with a space"]),
])
def test_names_that_pass_for_other_names_are_refused_before_anything_is_written(home, name, words):
    from framework.steps import step as make_step

    with pytest.raises(ValueError) as info:
        _one_step_pipeline().with_options(run_name=name)()
    assert all(word in str(info.value) for word in words), str(info.value)
    def anything() -> int:
        return 1

    with pytest.raises(Exception) as info:
        make_step(name=name)(anything)
    assert all(word in str(info.value) for word in words), str(info.value)
    assert not (home / "metadata").exists() or client(home).list_runs() == []


def test_composed_and_decomposed_names_are_one_name(home):
    import unicodedata

    from framework.exceptions import DuplicateRunNameError

    composed, decomposed = "café", unicodedata.normalize("NFD", "café")
    assert composed != decomposed
    first = _one_step_pipeline().with_options(run_name=decomposed)()
    assert first.name == composed  # stored in its NFC form
    assert client(home).get_run(decomposed).id == client(home).get_run(composed).id == first.id
    with pytest.raises(DuplicateRunNameError):
        _one_step_pipeline().with_options(run_name=composed)()


def _one_step_pipeline():
    from framework import pipeline as make_pipeline
    from framework import step as make_step

    @make_step
    def one() -> int:
        return 1

    @make_pipeline
    def named():
        one()

    return named


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"k": value}
    return value


def _bulky_steps():
    from framework import step as make_step
    from framework.steps import BaseParameters

    class Bulky(BaseParameters):
        n: object = None

    @make_step
    def takes(n: object = None) -> int:
        return 1

    def takes_params(params: Bulky) -> int:
        return 1

    takes_params.__annotations__["params"] = Bulky  # a local class: give the annotation itself
    return Bulky, takes, make_step(takes_params)


@pytest.mark.parametrize("value, words", [
    (10 ** 5000, ["`n`", "more than 4000 digits"]),
    (_deep(1000), ["`n`", "nested more than 64 levels"]),
    ("x" * (2 * 1024 * 1024), ["`n`", "bytes as stored", "artifact"]),
], ids=["huge int", "1000-deep dict", "2 MiB string"])
@pytest.mark.parametrize("how", ["step argument", "parameters object", "pipeline argument"])
def test_oversized_parameters_are_named_errors_before_anything_is_written(home, value, words, how):
    """A huge integer, a 1,000-deep dict or megabytes of text: a clear error naming the
    parameter, never a raw RecursionError/ValueError, and no run record."""
    from framework import pipeline as make_pipeline
    from framework.exceptions import StepInterfaceError

    bulky, takes, takes_params = _bulky_steps()

    @make_pipeline
    def with_argument(n: object = None):
        if how == "step argument":
            takes(n=value)
        elif how == "parameters object":
            takes_params(bulky(n=value))
        else:
            takes()

    with pytest.raises(StepInterfaceError) as info:
        with_argument(n=value) if how == "pipeline argument" else with_argument()
    assert all(word in str(info.value) for word in words), str(info.value)
    assert not (home / "metadata").exists() or client(home).list_runs() == []
