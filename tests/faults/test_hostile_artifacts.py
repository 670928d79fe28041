"""Artifacts an attacker wrote into a store (SPEC §11): loading never runs their code.

The attacker can write files in the artifact store and records in the metadata store (a
shared directory, a team's bucket) — so the content hash matches the crafted bytes. What
they cannot make is this home's keyed hash. Every way a stored model gets loaded — the
client, a consumer step, ``framework artifacts show``, a dashboard page — is tried with a
crafted skops file whose reduce node calls ``os.system``; the payload must never run, and
each attempt must fail with an error that says why.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _helpers import client, rewrite_store_file
from click.testing import CliRunner
from sklearn.linear_model import LinearRegression

from framework import pipeline, step
from framework.cli import main
from framework.exceptions import ArtifactTrustError
from framework.hashing import hash_bytes
from framework.metadata.tinydb import layout


@step
def fit() -> LinearRegression:
    return LinearRegression().fit(np.arange(6.0).reshape(3, 2), np.arange(3.0))


@step(enable_cache=False)
def use(model: LinearRegression) -> float:
    return float(model.predict(np.ones((1, 2)))[0])


@pipeline
def modelled():
    use(model=fit())


def _crafted_model(marker: Path) -> bytes:
    """A real skops file of a fitted model, plus a state entry whose reduce node runs a shell
    command when the file is loaded with its types trusted."""
    import skops.io

    original = skops.io.dumps(LinearRegression().fit(np.arange(6.0).reshape(3, 2), np.arange(3.0)))
    archive = zipfile.ZipFile(io.BytesIO(original))
    schema = json.loads(archive.read("schema.json"))
    state = schema["content"]
    state["content"]["payload"] = {
        "__class__": "system", "__module__": "posix", "__loader__": "ConstructorFromReduceNode", "__id__": 1,
        "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "__id__": 2,
                    "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                                 "__id__": 3, "content": json.dumps(f"touch {marker}"), "is_json": True}]}}
    state["key_types"]["content"].append(state["key_types"]["content"][0])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as writer:
        for member in archive.infolist():
            body = json.dumps(schema) if member.filename == "schema.json" else archive.read(member.filename)
            writer.writestr(member.filename, body)
    return out.getvalue()


def _plant(home: Path, run_name: str, crafted: bytes) -> None:
    """Swap the run's model file for ``crafted`` and rewrite its record to match (size and
    content hash), as someone with write access to both stores could."""
    c = client(home)
    run = c.get_run(run_name)
    artifact = run.steps["fit"].output
    Path(artifact.path).write_bytes(crafted)
    forged = {"size": len(crafted), "content_hash": hash_bytes(crafted), "signature": None}
    def forge_record(tables: dict) -> None:
        for doc in tables["artifacts"].values():
            if doc["id"] == artifact.id:
                doc.update(forged)

    def forge_entry(tables: dict) -> None:
        for entry in tables["entries"].values():
            if artifact.id in entry["artifacts"]:
                entry["artifacts"][artifact.id].update(forged)

    rewrite_store_file(home / "metadata" / layout.steps_file(run.id), forge_record)
    # later runs reuse it through the cache
    rewrite_store_file(home / "metadata" / layout.cache_file(run.steps["fit"].cache_key), forge_entry)


def test_a_crafted_model_never_runs_its_payload_however_it_is_loaded(home, tmp_path):
    marker = tmp_path / "payload-ran"
    first = modelled()
    _plant(home, first.name, _crafted_model(marker))
    detected = []

    # 1. the client
    with pytest.raises(ArtifactTrustError, match="posix.system") as info:
        client(home).get_run(first.name).steps["fit"].output.load()
    detected.append("client")
    assert "trusted_types" in str(info.value)  # and it says how to opt in

    # 2. a consumer step: `fit` is served from the cache (its record points at the crafted bytes)
    with pytest.raises(ArtifactTrustError, match="posix.system"):
        modelled()
    detected.append("consumer step")

    # 3. the command line
    result = CliRunner().invoke(main, ["artifacts", "show", first.name, "fit"])
    assert result.exit_code != 0 and "posix.system" in result.output
    detected.append("artifacts show")

    # 4. a dashboard page with the model's preview
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from framework.dashboard.app import create_app

    page = TestClient(create_app(client(home))).get(f"/runs/{first.name}/steps/fit")
    assert page.status_code == 200 and "posix.system" in page.text
    detected.append("dashboard")

    print(f"trials 4, payload executed {int(marker.exists())}, detected {len(detected)}")  # the figures
    assert not marker.exists() and len(detected) == 4


def test_the_payload_runs_only_when_the_user_trusts_it_explicitly(home, tmp_path):
    marker = tmp_path / "payload-ran"
    first = modelled()
    _plant(home, first.name, _crafted_model(marker))
    artifact = client(home).get_run(first.name).steps["fit"].output
    with pytest.raises(ArtifactTrustError):
        artifact.load(trusted_types=["numpy.float64"])  # trusting other types does not cover it
    assert not marker.exists()
    artifact.load(allow_pickle=True)  # the user's own explicit choice
    assert marker.exists()


def test_a_pickle_without_this_homes_keyed_hash_is_refused(home, tmp_path):
    """Another home (or an attacker) wrote a pickle and its record: it loads only on request."""
    from framework.artifacts import ArtifactStore
    from framework.artifacts.materializers.pickle_fallback import PickleMaterializer
    from framework.hashing import new_id
    from framework.records import Artifact

    foreign = ArtifactStore(client(home).artifact_store.url)  # no key of this home
    info = foreign.save({"x": 1}, artifact_id=new_id(), materializer=PickleMaterializer)
    record = Artifact.of(info, step_name="s", output_name="o", run_name="r")
    store = client(home).artifact_store
    with pytest.raises(ArtifactTrustError, match="is a pickle"):
        store.load(record, context="run `r`")
    assert store.load(record, allow_pickle=True) == {"x": 1}
    assert store.load(store.sign(record)) == {"x": 1}  # signed by this home: trusted


def test_what_a_pipeline_writes_is_signed_and_loads_without_opt_in(home):
    @step
    def opaque() -> dict:
        return {"when": np.datetime64("2024-01-01")}  # not JSON: pickled, with a warning

    @step
    def reads(value: dict) -> str:
        return str(value["when"])

    @pipeline
    def pickled():
        reads(value=opaque())

    with pytest.warns(UserWarning, match="pickle"):
        run = pickled()
    assert run.steps["reads"].output.load() == "2024-01-01"  # the consumer step loaded the pickle
    assert client(home).artifact_store.trusts(run.steps["opaque"].output.record)
    assert run.steps["opaque"].output.load()["when"] == np.datetime64("2024-01-01")


# ---------------------------------------------------------------------- bit rot

@step
def numbers() -> np.ndarray:
    return np.arange(1000.0)


@step(enable_cache=False)
def total(values: np.ndarray) -> float:
    return float(values.sum())


@pipeline
def summing():
    total(values=numbers())


def _rot(home: Path, run_name: str) -> None:
    """Damage the bytes of `numbers`'s output with its stat signature still matching its
    record — as bit rot under the filesystem does (a cache check trusts an unchanged stat)."""
    from framework.artifacts.filesystems import LocalFiles

    run = client(home).get_run(run_name)
    artifact = run.steps["numbers"].output
    path = Path(artifact.path)
    raw = bytearray(path.read_bytes())
    raw[-8:] = np.float64(666.0).tobytes()
    path.write_bytes(bytes(raw))
    signature = LocalFiles(str(path.parent.parent)).signature(str(path))
    def resign(tables: dict) -> None:
        for table in tables.values():
            for doc in table.values():
                for record in [doc, *(doc.get("artifacts") or {}).values()]:
                    if record.get("id") == artifact.id:
                        record["signature"] = signature

    for relpath in (layout.steps_file(run.id), layout.cache_file(run.steps["numbers"].cache_key)):
        rewrite_store_file(home / "metadata" / relpath, resign)


def test_bit_rot_is_detected_once_then_the_step_is_recomputed(home):
    from framework.exceptions import ArtifactVerificationError

    first = summing()
    expected = first.steps["total"].output.load()
    _rot(home, first.name)
    with pytest.raises(ArtifactVerificationError, match="next run recomputes it"):
        summing()  # `numbers` is served from the cache by stat; `total` finds the bytes damaged
    third = summing()
    assert third.steps["numbers"].status == "completed"  # recomputed, not served again
    assert third.steps["total"].output.load() == expected
    assert summing().steps["numbers"].status == "cached"  # and cached again from the sound bytes


def test_a_client_load_of_damaged_bytes_drops_the_cache_entry_too(home):
    from framework.exceptions import ArtifactVerificationError

    first = summing()
    _rot(home, first.name)
    with pytest.raises(ArtifactVerificationError):
        client(home).get_run(first.name).steps["numbers"].output.load()
    assert summing().steps["numbers"].status == "completed"  # the next run recomputes it
