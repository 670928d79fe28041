"""The typed records every store keeps (``framework.records``): documents in and out, and a
named error for a document that does not fit."""

import attrs
import pytest

from framework.exceptions import RecordError, StoreCorruptedError
from framework.hashing import HASH_PREFIX
from framework.records import (
    Artifact,
    ArtifactInfo,
    CacheEntry,
    Pipeline,
    Run,
    RunDetail,
    StepRun,
    Version,
    from_doc,
    to_doc,
)

AID = "a" * 32


def artifact(**extra) -> Artifact:
    return Artifact(id=AID, uri=f"aa/{AID}.json", materializer="m.M", data_type="builtins.int", format_version=1,
                    size=3, content_hash=HASH_PREFIX + "0" * 32, **extra)


RECORDS = [
    Pipeline(id="p1", name="p", created="t", latest_version=2, last_run_id="r1", run_count=3),
    Version(pipeline_id="p1", pipeline_name="p", number=1, hash="h", spec={"api": "function"}, created="t"),
    Run(id="r1", name="run", pipeline_name="p", pipeline_id="p1", version=1, status="completed", start_time="t",
        pipeline_parameters={"gamma": 0.1}, step_order=["a"]),
    StepRun(id="s1", run_id="r1", invocation_id="a", step_name="a", status="cached", outputs={"output": AID},
            original_run_id="r0", original_step_run_id="s0"),
    artifact(step_name="a", output_name="output", run_name="run"),
    CacheEntry(cache_key="k", run_id="r1", step_run_id="s1", outputs={"output": AID}, artifacts={AID: artifact()},
               created="t"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_documents_round_trip(record):
    doc = to_doc(record)
    assert type(doc) is dict and from_doc(type(record), doc) == record
    assert from_doc(type(record), to_doc(record)) is not record


def test_fields_with_defaults_may_be_absent_as_in_older_documents():
    old = {"id": "r1", "name": "run", "pipeline_name": "p", "pipeline_id": "p1", "version": 1,
           "status": "completed", "start_time": "t"}
    run = from_doc(Run, old)
    assert run.process_start is None and run.step_order == [] and run.unlisted is False


@pytest.mark.parametrize("doc, words", [
    ({"id": "r1", "pipeline_name": "p", "pipeline_id": "p1", "version": 1, "status": "running", "start_time": "t"},
     ["run record `r1`", "lacks name"]),
    ({"id": "r1", "name": "n", "pipeline_name": "p", "pipeline_id": "p1", "version": 1, "status": "running",
      "start_time": "t", "colour": "red"}, ["unknown key(s) colour"]),
    ({"id": "r1", "name": "n", "pipeline_name": "p", "pipeline_id": "p1", "version": 1, "status": "exploded",
      "start_time": "t"}, ["run record `r1` is invalid", "status must be one of"]),
    (["not", "a", "document"], ["a list, not a document"]),
])
def test_a_document_that_does_not_fit_is_a_named_store_error(doc, words):
    with pytest.raises(RecordError) as info:
        from_doc(Run, doc, where="Metadata store file '/x/runs/r1.json'")
    assert isinstance(info.value, StoreCorruptedError)  # what callers already catch
    message = str(info.value)
    assert "/x/runs/r1.json" in message and all(word in message for word in words), message


def test_nested_artifacts_of_a_cache_entry_are_checked_too():
    doc = to_doc(RECORDS[-1])
    doc["artifacts"][AID]["surprise"] = 1
    with pytest.raises(RecordError, match="artifact record .* surprise"):
        from_doc(CacheEntry, doc)


def test_an_artifact_is_an_artifact_info_with_provenance():
    info = ArtifactInfo(**{f.name: getattr(artifact(), f.name) for f in attrs.fields(ArtifactInfo)})
    full = Artifact.of(info, step_name="s", output_name="o", run_name="r")
    assert isinstance(full, ArtifactInfo) and full.id == info.id
    assert full.describe() == "run `r`, step `s`, output `o`"
    with pytest.raises(ValueError, match="32 lowercase hex"):
        attrs.evolve(full, id="../etc")


def test_run_detail_names_steps_by_api():
    run = RECORDS[2]
    step = StepRun(id="s1", run_id="r1", invocation_id="trainer_2", step_name="trainer", status="completed")
    assert RunDetail(run=attrs.evolve(run, api="legacy"), steps=(step,)).step_key(step) == "trainer"
    assert RunDetail(run=attrs.evolve(run, api="function"), steps=(step,)).step_key(step) == "trainer_2"
