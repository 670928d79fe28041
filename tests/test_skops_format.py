"""The skops format written and read without ``skops.io`` (materializers/skops_format.py).

The contract: for plain-state estimators the file is one ``skops.io.load`` opens with its
default trust and that describes the same tree as ``skops.io.dumps``; anything else is
refused before a byte is written, so skops itself stores it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from framework.artifacts import ArtifactStore
from framework.artifacts.materializers import skops_format
from framework.exceptions import ArtifactTrustError
from framework.hashing import new_id

X, y = load_digits(return_X_y=True)
X, y = X[:200], y[:200]
FRAME = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])


def with_attribute(model, **attributes):
    for name, value in attributes.items():
        setattr(model, name, value)
    return model


PLAIN = {
    "svc": lambda: SVC(gamma=0.001).fit(X, y),
    "logistic": lambda: LogisticRegression(max_iter=300).fit(X, y),
    "logistic-class-weights": lambda: LogisticRegression(max_iter=300, class_weight={0: 2.0, 1: 0.5}).fit(X, y),
    "ridge": lambda: Ridge().fit(X, y),
    "scaler": lambda: StandardScaler().fit(X),
    "pca": lambda: PCA(n_components=5).fit(X),
    "kmeans": lambda: KMeans(n_clusters=3, n_init=1, random_state=0).fit(X),
    "naive-bayes": lambda: GaussianNB().fit(X, y),
    "pipeline": lambda: make_pipeline(StandardScaler(), SVC()).fit(X, y),
    "unfitted": lambda: SVC(C=2.0),
    "fitted on a DataFrame (feature names)": lambda: LogisticRegression(max_iter=300).fit(FRAME, y),
    "knn (brute force)": lambda: KNeighborsClassifier(algorithm="brute").fit(X, y),
}
NOT_PLAIN = {
    "forest (Tree objects)": lambda: RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y),
    "knn (a KDTree)": lambda: KNeighborsClassifier(algorithm="kd_tree").fit(X, y),
    "one-hot (a list of object arrays of numpy strings)": lambda: OneHotEncoder().fit(
        np.array([["a"], ["b"]], dtype=object)),
    "a 2-d object array": lambda: with_attribute(StandardScaler().fit(X), grid_=np.array([["a", "b"]], dtype=object)),
    "function transformer (a function)": lambda: FunctionTransformer(np.log1p).fit(X),
}


def dump(value) -> bytes:
    buffer = io.BytesIO()
    skops_format.write(skops_format.plan(value), buffer)
    return buffer.getvalue()


def same_outputs(a, b) -> None:
    data = FRAME if hasattr(a, "feature_names_in_") else X
    if data is FRAME:
        assert b.feature_names_in_.dtype == object and list(b.feature_names_in_) == list(FRAME.columns)
    for method in ("predict", "transform"):
        if hasattr(a, method) and hasattr(a, "n_features_in_"):
            np.testing.assert_array_equal(getattr(b, method)(data), getattr(a, method)(data))
    assert a.get_params(deep=False).keys() == b.get_params(deep=False).keys()


def tree(data: bytes) -> tuple:
    """The schema with ids and member names replaced by what they point at."""
    zf = zipfile.ZipFile(io.BytesIO(data))

    def norm(node):
        if isinstance(node, dict):
            out = {k: norm(v) for k, v in node.items() if k not in ("__id__", "file", "_skops_version")}
            if "file" in node:
                array = np.load(io.BytesIO(zf.read(node["file"])), allow_pickle=False)
                out["array"] = (array.dtype.str, array.shape, array.tobytes())
            return out
        if isinstance(node, (list, tuple)):
            return [norm(v) for v in node]
        return node

    return norm(json.loads(zf.read("schema.json")))


@pytest.mark.parametrize("name", PLAIN)
def test_plain_estimators_give_the_file_skops_writes(name):
    model = PLAIN[name]()
    data = dump(model)
    assert tree(data) == tree(skops.io.dumps(model))
    same_outputs(model, skops.io.load(io.BytesIO(data)))  # skops's default trust is enough
    same_outputs(model, skops_format.load(io.BytesIO(data)))


def test_same_model_same_bytes():
    assert dump(PLAIN["svc"]()) == dump(PLAIN["svc"]())


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_other_estimators_are_refused_before_writing_and_skops_stores_them(name, tmp_path):
    model = NOT_PLAIN[name]()
    with pytest.raises(skops_format.NotPlainState):
        skops_format.plan(model)
    with pytest.raises(skops_format.NotPlainState):  # skops's own file is not read here either
        skops_format.load(io.BytesIO(skops.io.dumps(model)))
    store = ArtifactStore(tmp_path / "artifacts")
    info = store.save(model, artifact_id=new_id())
    with open(store.path_of(info), "rb") as f:
        untrusted = skops.io.get_untrusted_types(data=f.read())
    if untrusted:  # a bare store has no key to vouch for types skops does not trust by default
        with pytest.raises(ArtifactTrustError, match="does not trust by default"):
            store.load(info)
    loaded = store.load(info, trusted_types=untrusted)  # the caller's explicit trust
    assert type(loaded) is type(model)
    if hasattr(model, "predict"):
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_shared_arrays_stay_shared_and_cycles_are_refused():
    model = StandardScaler().fit(X)
    model.extra_a = model.extra_b = np.arange(3.0)
    loaded = skops_format.load(io.BytesIO(dump(model)))
    assert loaded.extra_a is loaded.extra_b
    np.testing.assert_array_equal(loaded.extra_a, np.arange(3.0))

    looped = StandardScaler()
    looped.me = [looped]
    with pytest.raises(skops_format.NotPlainState, match="contains itself"):
        skops_format.plan(looped)


def test_values_round_trip_with_their_types():
    model = StandardScaler()
    model.values = {"f": 1.5, "nan": float("nan"), "i": 3, "b": True, "n": None, "s": "x",
                    "t": (1, [2, 3]), 7: "int key", "scalar": np.float32(2.5), "i64": np.int64(4)}
    loaded = skops_format.load(io.BytesIO(dump(model))).values
    assert {k: type(v) for k, v in loaded.items()} == {k: type(v) for k, v in model.values.items()}
    assert np.isnan(loaded.pop("nan")) and loaded == {k: v for k, v in model.values.items() if k != "nan"}


def test_large_arrays_are_written_as_zip64(monkeypatch):
    monkeypatch.setattr(skops_format, "_ZIP64_MIN_BYTES", 10)
    model = StandardScaler().fit(X)
    data = dump(model)
    np.testing.assert_array_equal(skops_format.load(io.BytesIO(data)).mean_, model.mean_)
    np.testing.assert_array_equal(skops.io.load(io.BytesIO(data)).mean_, model.mean_)


@pytest.mark.parametrize("schema_change", [
    lambda s: s.update(protocol=1),
    lambda s: s.update(__module__="os", __class__="system"),
    lambda s: s["content"]["content"].update(x={"__loader__": "FunctionNode", "__class__": "system",
                                                "__module__": "os", "content": {}}),
])
def test_files_outside_the_subset_are_left_to_skops(schema_change):
    data = dump(PLAIN["scaler"]())
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    schema_change(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, json.dumps(schema) if name == "schema.json" else src.read(name))
    with pytest.raises(skops_format.NotPlainState):
        skops_format.load(io.BytesIO(out.getvalue()))


def test_a_pipeline_storing_and_reloading_a_model_never_imports_skops_io(tmp_path):
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from sklearn.base import ClassifierMixin
        from sklearn.svm import SVC
        from framework import Client, pipeline, step

        @step
        def train() -> ClassifierMixin:
            return SVC().fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)

        @pipeline
        def only_training():
            train()

        only_training()
        model = Client().get_pipeline("only_training").last_run.steps["train"].output.load()
        print(model.predict([[0.0, 1.0]])[0], "skops.io" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=tmp_path)
    assert done.stdout.splitlines()[-1].split() == ["0", "False"]


def test_a_retrained_identical_model_keeps_the_downstream_step_cached():
    from sklearn.base import ClassifierMixin

    from framework import pipeline, step

    @step(enable_cache=False)
    def retrain() -> ClassifierMixin:
        return SVC(gamma=0.001).fit(X, y)

    @step
    def evaluate(model: ClassifierMixin) -> float:
        return float(model.score(X, y))

    @pipeline
    def retrain_and_evaluate():
        evaluate(retrain())

    retrain_and_evaluate()
    second = retrain_and_evaluate()
    assert [s.status for s in second.steps.values()] == ["completed", "cached"]
