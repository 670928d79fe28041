"""Materializers: exact round trips per family, refusals, fallbacks and the registry.

Every round trip goes through the public store (save → load), so a test fails if either
the materializer or the way the store drives it breaks.
"""

from __future__ import annotations

import enum
import json
import math
import typing
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

from framework.artifacts import ArtifactStore, BaseMaterializer, register_materializer
from framework.artifacts.materializers import (
    BuiltinsMaterializer,
    NumpyMaterializer,
    PandasMaterializer,
    PickleMaterializer,
    PydanticMaterializer,
    SklearnMaterializer,
    materializer_by_name,
    materializer_for_type,
    materializer_for_value,
    unregister_materializer,
)
from framework.exceptions import ArtifactError, MaterializerError
from framework.hashing import new_id


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


def roundtrip(store, value, **kwargs):
    """Save and load without any pickle-fallback warning; return (loaded, info)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = store.save(value, artifact_id=new_id(), **kwargs)
    return store.load(info), info


def assert_identical(a, b, path="value"):
    """Equal values *and* equal types all the way down (1 != 1.0, tuple != list); NaN == NaN."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys/order differ"
        for k in a:
            assert_identical(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), path
    else:
        assert a == b, path


# -- builtins ------------------------------------------------------------------------

BUILTIN_VALUES = {
    "int": 3, "big_int": 2**100, "neg": -7, "float": 1.5, "float_integral": 2.0,
    "neg_zero": -0.0, "nan": math.nan, "inf": math.inf, "ninf": -math.inf, "true": True,
    "none": None, "str": "héllo ☃", "surrogate": "\ud800x", "empty_str": "", "bytes": b"\x00\xff",
    "list": [1, 2.0, "3", None, True], "tuple": (1, (2, 3), []), "empty_tuple": (),
    "set": {3, 1, 2}, "frozenset": frozenset({"a", "b"}), "empty_set": set(),
    "dict": {"a": 1, "b": [1.0, {"c": None}]}, "empty": {}, "int_keys": {1: "a", 2: "b"},
    "mixed_keys": {1: "int", "1": "str", 1.5: "float", (1, 2): "tuple", None: "none", False: "f"},
    "nested": {"xs": [(1, 2.0), {"k": {4, 5}}], "nan": [math.nan, math.inf]},
    "marker_lookalike": {"__framework_json__": 1, "value": [1, 2]},
    "tag_lookalike": {"tuple": [1, 2]},
    "list_of_tag_lookalikes": [{"set": [1]}, (1,)],
}


@pytest.mark.parametrize("name", sorted(BUILTIN_VALUES))
def test_builtins_round_trip_exactly(store, name):
    value = BUILTIN_VALUES[name]
    loaded, info = roundtrip(store, value)
    assert info.materializer.endswith("BuiltinsMaterializer")
    assert info.uri.endswith(".json")
    if isinstance(value, (set, frozenset)):
        assert type(loaded) is type(value) and loaded == value
    else:
        assert_identical(value, loaded)


def test_lossless_values_are_stored_as_plain_readable_json(store):
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": 1.0}}
    _, info = roundtrip(store, value)
    with open(store.path_of(info), "rb") as f:
        assert json.load(f) == value


def test_equal_sets_give_equal_bytes_whatever_the_insertion_order(store):
    a = {"pear", "apple", "fig", 3, (1, 2)}
    b = set(reversed(list(a)))
    _, info_a = roundtrip(store, a)
    _, info_b = roundtrip(store, b)
    assert info_a.content_hash == info_b.content_hash


def test_builtins_summary_is_small_json(store):
    assert roundtrip(store, 42)[1].metadata == {"value": 42}
    assert roundtrip(store, [1, 2, 3])[1].metadata == {"len": 3}
    assert roundtrip(store, "x" * 1000)[1].metadata == {"len": 1000}
    assert roundtrip(store, math.nan)[1].metadata == {"value": "nan"}


def test_list_of_arrays_falls_back_to_pickle_with_a_warning_naming_the_element(store):
    value = [np.arange(3), np.ones(2)]
    with pytest.warns(UserWarning, match=r"value\[0\] is a numpy.ndarray.*register_materializer"):
        info = store.save(value, artifact_id=new_id())
    assert info.materializer.endswith("PickleMaterializer")
    loaded = store.load(info, allow_pickle=True)
    assert all(np.array_equal(x, y) for x, y in zip(loaded, value))


class Color(enum.IntEnum):
    RED = 1


def test_int_subclass_is_not_flattened_to_int(store):
    with pytest.warns(UserWarning, match="test_materializers.Color"):
        info = store.save(Color.RED, artifact_id=new_id())
    assert store.load(info, allow_pickle=True) is Color.RED


class Opaque:
    def __init__(self, x):
        self.x = x


def test_unknown_type_pickles_with_warning_naming_type_and_fix(store):
    with pytest.warns(UserWarning) as record:
        info = store.save(Opaque(5), artifact_id=new_id())
    message = str(record[0].message)
    assert "test_materializers.Opaque" in message
    assert "framework.artifacts.register_materializer" in message
    assert store.load(info, allow_pickle=True).x == 5
    assert info.data_type.endswith("test_materializers.Opaque")


# -- numpy ---------------------------------------------------------------------------

NUMPY_ARRAYS = {
    "int8": np.array([-1, 0, 127], dtype=np.int8),
    "uint64": np.array([0, 2**64 - 1], dtype=np.uint64),
    "float16": np.array([1.5, np.nan, np.inf], dtype=np.float16),
    "float32_2d": np.arange(12, dtype=np.float32).reshape(3, 4),
    "complex": np.array([1 + 2j, -0.5j]),
    "bool": np.array([True, False]),
    "datetime": np.array(["2020-01-01T00:00:00", "NaT"], dtype="datetime64[ns]"),
    "timedelta": np.array([1, 2], dtype="timedelta64[s]"),
    "unicode": np.array(["a", "héllo"]),
    "bytes": np.array([b"ab", b"c"]),
    "structured": np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "big_endian": np.array([1, 2, 3], dtype=">i4"),
    "zero_d": np.array(5.0),
    "empty": np.zeros((0, 3)),
    "three_d": np.arange(24).reshape(2, 3, 4),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "strided": np.arange(20)[::3],
    "transposed_view": np.arange(12).reshape(3, 4).T[1:],
}


@pytest.mark.parametrize("name", sorted(NUMPY_ARRAYS))
def test_numpy_arrays_round_trip_exactly(store, name):
    arr = NUMPY_ARRAYS[name]
    loaded, info = roundtrip(store, arr)
    assert type(loaded) is np.ndarray
    assert loaded.dtype == arr.dtype and loaded.shape == arr.shape
    np.testing.assert_array_equal(loaded, arr)
    assert info.uri.endswith(".npy")
    assert info.metadata == {"dtype": str(arr.dtype), "shape": list(arr.shape)}


def test_fortran_order_is_kept_and_files_are_byte_identical_to_np_save(store, tmp_path):
    for arr in (NUMPY_ARRAYS["fortran"], NUMPY_ARRAYS["float32_2d"], NUMPY_ARRAYS["strided"],
                NUMPY_ARRAYS["structured"], NUMPY_ARRAYS["zero_d"]):
        loaded, info = roundtrip(store, arr)
        if arr.ndim == 2:
            assert loaded.flags.f_contiguous == arr.flags.f_contiguous
        np.save(tmp_path / "ref.npy", arr)
        with open(store.path_of(info), "rb") as ours:
            assert ours.read() == (tmp_path / "ref.npy").read_bytes()


@pytest.mark.parametrize("scalar", [np.float64(0.1), np.float32(-2.5), np.int16(-3), np.uint8(255),
                                    np.bool_(True), np.complex64(1 + 1j), np.datetime64("2021-05-01"),
                                    np.str_("hi")])
def test_numpy_scalars_round_trip_with_their_exact_type(store, scalar):
    loaded, info = roundtrip(store, scalar)
    assert type(loaded) is type(scalar) and loaded == scalar
    assert info.materializer.endswith("NumpyMaterializer")


def test_object_arrays_are_refused_naming_dtype_and_fix(store):
    arr = np.array([{"a": 1}, None], dtype=object)
    with pytest.raises(MaterializerError, match=r"dtype object.*astype.*register_materializer") as exc:
        store.save(arr, artifact_id=new_id())
    assert isinstance(exc.value, ArtifactError)
    assert list(store.iter_artifact_files()) == []
    assert not [p for p in Path(store.url).rglob("*") if p.is_file()]  # no temp file either


def test_masked_arrays_keep_their_mask_via_pickle_fallback(store):
    arr = np.ma.masked_array([1, 2, 3], mask=[False, True, False])
    with pytest.warns(UserWarning, match="MaskedArray"):
        info = store.save(arr, artifact_id=new_id())
    loaded = store.load(info, allow_pickle=True)
    assert isinstance(loaded, np.ma.MaskedArray) and loaded.mask.tolist() == [False, True, False]


# -- pandas --------------------------------------------------------------------------

def _frames():
    return {
        "dtypes": pd.DataFrame({
            "i8": np.array([1, -2, 3], dtype="int8"), "u32": np.array([1, 2, 3], dtype="uint32"),
            "f32": np.array([1.5, np.nan, 3], dtype="float32"), "b": [True, False, True],
            "s": ["x", None, "z"], "cat": pd.Categorical(["a", "b", "a"], categories=["b", "a"], ordered=True),
            "dt_s": pd.to_datetime(["2020-01-01", "2021-01-01", None]).as_unit("s"),
            "dttz": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"]).tz_localize("Europe/Paris"),
            "Int64": pd.array([1, None, 3], dtype="Int64"), "boolean": pd.array([True, None, False], dtype="boolean"),
            "string": pd.array(["a", None, "c"], dtype="string"), "td": pd.to_timedelta([1, 2, 3], unit="s"),
            "obj": pd.Series(["p", None, "r"], dtype=object),
        }),
        "range_index": pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(5, 11, 2, name="r")),
        "named_index": pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="key")),
        "object_index": pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], dtype=object)),
        "int_columns": pd.DataFrame({0: [1, 2], 1: [3, 4]}),
        "labelled_columns": pd.DataFrame({5: [1], 7: [2]}).rename_axis(columns="cols"),
        "mixed_columns": pd.DataFrame([[1, 2, 3]], columns=[0, "a", 2.5]),
        "duplicate_columns": pd.DataFrame([[1, 2]], columns=["a", "a"]),
        "multi_index": pd.DataFrame({"v": [1, 2, 3]}, index=pd.MultiIndex.from_tuples(
            [("a", 1), ("a", 2), ("b", 1)], names=["l1", "l2"])),
        "multi_columns": pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
        "datetime_index": pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2020", periods=2, freq="D", name="d")),
        "empty": pd.DataFrame(),
        "empty_rows": pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype="str")}),
    }


@pytest.mark.parametrize("name", sorted(_frames()))
def test_dataframes_round_trip_exactly(store, name):
    df = _frames()[name]
    loaded, info = roundtrip(store, df)
    assert type(loaded) is pd.DataFrame
    pd.testing.assert_frame_equal(loaded, df, check_exact=True, check_index_type=True,
                                  check_column_type=True, check_freq=False)
    assert list(map(type, loaded.columns)) == list(map(type, df.columns))
    assert type(loaded.index) is type(df.index)
    assert [str(t) for t in loaded.dtypes] == [str(t) for t in df.dtypes]
    assert info.uri.endswith(".parquet") and info.metadata["rows"] == len(df)


def test_object_string_columns_keep_none(store):
    df = pd.DataFrame({"o": pd.Series(["a", None], dtype=object)})
    loaded, _ = roundtrip(store, df)
    assert loaded["o"].dtype == object and loaded["o"].tolist() == ["a", None]


@pytest.mark.parametrize("series", [
    pd.Series([1.0, 2.5], name="price"),
    pd.Series([1, 2], name=3),
    pd.Series(["a", "b"]),
    pd.Series([1, 2], name=("a", 1), index=pd.Index(["x", "y"], name="k")),
    pd.Series(pd.Categorical(["u", "v"]), name="c", index=pd.RangeIndex(10, 12)),
], ids=["float", "int_name", "no_name", "tuple_name", "categorical"])
def test_series_stay_series_with_name_and_index(store, series):
    loaded, info = roundtrip(store, series)
    assert type(loaded) is pd.Series
    pd.testing.assert_series_equal(loaded, series, check_exact=True, check_index_type=True)
    assert loaded.name == series.name and type(loaded.name) is type(series.name)
    assert info.data_type in ("pandas.Series", "pandas.core.series.Series")


def test_frame_with_list_cells_falls_back_to_pickle(store):
    df = pd.DataFrame({"l": [[1, 2], [3]]})
    with pytest.warns(UserWarning, match="object column"):
        info = store.save(df, artifact_id=new_id())
    assert store.load(info, allow_pickle=True)["l"].tolist() == [[1, 2], [3]]


def test_unparquetable_frame_is_refused_with_a_clear_error(store):
    df = pd.DataFrame({"c": np.array([1j, 2], dtype="complex128")})
    with pytest.raises(MaterializerError, match="Parquet"):
        store.save(df, artifact_id=new_id())
    assert list(store.iter_artifact_files()) == []


# -- scikit-learn, pydantic ----------------------------------------------------------

def test_sklearn_estimators_round_trip_with_equal_predictions(store):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    for model in (SVC(gamma=0.001).fit(X, y),
                  make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X, y)):
        loaded, info = roundtrip(store, model)
        assert type(loaded) is type(model)
        assert info.materializer.endswith("SklearnMaterializer") and info.uri.endswith(".skops")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


class Inner(pydantic.BaseModel):
    tags: list[str]


class Config(pydantic.BaseModel):
    lr: float
    layers: tuple[int, ...]
    inner: Inner
    note: typing.Optional[str] = None


def test_pydantic_models_round_trip_as_json(store):
    value = Config(lr=0.1, layers=(3, 4), inner=Inner(tags=["a"]))
    loaded, info = roundtrip(store, value)
    assert type(loaded) is Config and loaded == value
    assert info.materializer.endswith("PydanticMaterializer")
    with open(store.path_of(info)) as f:
        assert json.load(f)["inner"] == {"tags": ["a"]}


# -- registry ------------------------------------------------------------------------

class Mixin:
    pass


def test_materializer_for_type_returns_none_instead_of_pickle():
    assert materializer_for_type(typing.Any) is None
    assert materializer_for_type(object) is None
    assert materializer_for_type(Mixin) is None
    assert materializer_for_type(typing.Union[int, str]) is None
    assert materializer_for_type(int) is BuiltinsMaterializer
    assert materializer_for_type(list[int]) is BuiltinsMaterializer
    assert materializer_for_type(np.ndarray) is NumpyMaterializer
    assert materializer_for_type(pd.DataFrame) is PandasMaterializer
    assert materializer_for_type(Config) is PydanticMaterializer

    from sklearn.svm import SVC
    assert materializer_for_type(SVC) is SklearnMaterializer


def test_materializer_for_value_walks_the_mro():
    class MyFrame(pd.DataFrame):
        pass

    assert materializer_for_value(MyFrame({"a": [1]})) is PandasMaterializer
    assert materializer_for_value(np.float64(1.0)) is NumpyMaterializer  # not the float entry
    assert materializer_for_value(True) is BuiltinsMaterializer


def test_materializer_by_name_and_unknown_names():
    assert materializer_by_name(
        "framework.artifacts.materializers.pickle_fallback.PickleMaterializer") is PickleMaterializer
    with pytest.raises(MaterializerError, match="register_materializer"):
        materializer_by_name("nowhere.NotAMaterializer")


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class PointMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Point,)
    EXTENSION = ".point"

    def save(self, value, fileobj):
        fileobj.write(f"{value.x},{value.y}".encode())

    def load(self, source, data_type):
        with self.open_source(source) as f:
            x, y = f.read().decode().split(",")
        return Point(int(x), int(y))


class UpperDictMaterializer(BaseMaterializer):
    EXTENSION = ".udict"

    def save(self, value, fileobj):
        fileobj.write(json.dumps({k.upper(): v for k, v in value.items()}).encode())

    def load(self, source, data_type):
        with self.open_source(source) as f:
            return json.load(f)


@pytest.fixture
def registered():
    added = []

    def register(cls, *types):
        added.append(cls)
        return register_materializer(cls, *types)

    yield register
    for cls in added:
        unregister_materializer(cls)


def test_custom_materializer_is_used_without_warning(store, registered):
    registered(PointMaterializer)
    loaded, info = roundtrip(store, Point(1, 2))
    assert (loaded.x, loaded.y) == (1, 2)
    assert info.uri.endswith(".point") and info.materializer.endswith("PointMaterializer")


def test_user_registration_wins_over_builtin_for_the_same_type(store, registered):
    registered(UpperDictMaterializer, dict)
    loaded, info = roundtrip(store, {"a": 1})
    assert loaded == {"A": 1} and info.uri.endswith(".udict")
    assert roundtrip(store, [1])[1].materializer.endswith("BuiltinsMaterializer")  # others unaffected


def test_registration_by_dotted_name_matches_without_the_class(store, registered):
    registered(PointMaterializer, f"{Point.__module__}.Point")
    assert materializer_for_value(Point(0, 0)) is PointMaterializer


def test_register_validates_its_arguments(registered):
    with pytest.raises(TypeError):
        register_materializer(dict)
    with pytest.raises(TypeError):
        register_materializer(PointMaterializer, 42)
    with pytest.raises(TypeError):
        register_materializer(PointMaterializer, "not a dotted name")

    class NoTypes(BaseMaterializer):
        EXTENSION = ".x"

    with pytest.raises(ValueError):
        register_materializer(NoTypes)

    class BadExt(BaseMaterializer):
        EXTENSION = "/../x"

    with pytest.raises(ValueError):
        register_materializer(BadExt, Point)


def test_explicit_materializer_overrides_the_type_choice(store):
    info = store.save({"a": (1, 2)}, artifact_id=new_id(), materializer=PickleMaterializer)
    assert store.load(info, allow_pickle=True) == {"a": (1, 2)} and info.uri.endswith(".pkl")


def test_explicit_unregistered_materializer_can_be_loaded_back(store):
    loaded, _ = roundtrip(store, Point(3, 4), materializer=PointMaterializer)
    assert (loaded.x, loaded.y) == (3, 4)


class ZipMaterializer(BaseMaterializer):
    """A format that must seek while writing (zip central directory)."""

    EXTENSION = ".zip"
    SEEKABLE_WRITE = True

    def save(self, value, fileobj):
        import zipfile

        fileobj.write(b"")
        assert fileobj.seekable()
        with zipfile.ZipFile(fileobj, "w") as z:
            z.writestr("value.txt", value)

    def load(self, source, data_type):
        import io
        import zipfile

        with self.open_source(source) as f:
            with zipfile.ZipFile(io.BytesIO(f.read())) as z:
                return z.read("value.txt").decode()


def test_seekable_writers_get_the_real_file_and_a_hash_of_the_result(store):
    from framework.hashing import hash_bytes

    loaded, info = roundtrip(store, "zipped text", materializer=ZipMaterializer)
    assert loaded == "zipped text"
    assert info.content_hash == hash_bytes(Path(store.path_of(info)).read_bytes())


class FailingMaterializer(BaseMaterializer):
    EXTENSION = ".fail"

    def save(self, value, fileobj):
        raise RuntimeError("disk says no")


def test_failures_name_the_materializer(store):
    with pytest.raises(ArtifactError, match=r"FailingMaterializer.*disk says no"):
        store.save(1, artifact_id=new_id(), materializer=FailingMaterializer)
    _, info = roundtrip(store, Point(1, 2), materializer=PointMaterializer)
    with open(store.path_of(info), "wb") as f:
        f.write(b"1,x")  # same size, different bytes: refused before loading
    import attrs

    from framework.hashing import hash_bytes

    forged = attrs.evolve(info, content_hash=hash_bytes(b"1,x"), signature=None)
    with pytest.raises(ArtifactError, match=r"\(run `r`\) with .*PointMaterializer.*ValueError"):
        store.load(forged, context="run `r`")
