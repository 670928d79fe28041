"""Checks two batches for drift; the second one drifts and the failure hook reports it."""

import argparse

from alerts.hooks import SENT
from pipelines import drift_pipeline
from steps import BatchParams, current_batch, drift_check, publish, reference_batch


def build(shift: float):
    return drift_pipeline(
        reference_loader=reference_batch(),
        batch_loader=current_batch(BatchParams(shift=shift)),
        checker=drift_check(),
        publisher=publish(),
    )


def main(shift: float) -> None:
    build(0.0).run(run_name="steady_batch")
    try:
        build(shift).run(run_name="shifted_batch")
    except RuntimeError as error:
        print("drift detected:", error)
    for message in SENT:
        print(message)
    assert sorted(SENT[:4]) == [
        "drift_pipeline/current_batch ok",
        "drift_pipeline/drift_check ok",
        "drift_pipeline/publish ok",
        "drift_pipeline/reference_batch ok",
    ], SENT
    assert SENT[-1].startswith("drift_pipeline/drift_check failed: feature"), SENT


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--shift", type=float, default=2.0)
    main(parser.parse_args().shift)
