"""Run B of the lease trials: a pipeline whose second step stops half-way through writing
its output (a temp file in the artifact store) until the file named by ``GO`` exists.

Environment: ``RUN_NAME``; ``READY`` (written once the output is half written); ``GO``;
``FAKE_PID``: the pid this process records and puts in its temp file names — one from
another pid namespace, dead here (the process itself runs as usual).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

if os.environ.get("FAKE_PID"):
    _FAKE = int(os.environ["FAKE_PID"])
    os.getpid = lambda: _FAKE  # noqa: E731 - what a process in another pid namespace would see

from framework import pipeline, step  # noqa: E402
from framework.artifacts import BaseMaterializer, register_materializer  # noqa: E402


class Blob:
    def __init__(self, data: bytes) -> None:
        self.data = data


class HalfThenWait(BaseMaterializer):
    ASSOCIATED_TYPES = (Blob,)
    EXTENSION = ".bin"

    def save(self, value: Blob, fileobj) -> None:
        half = len(value.data) // 2
        fileobj.write(value.data[:half])
        Path(os.environ["READY"]).write_text(str(os.getpid()))
        while not Path(os.environ["GO"]).exists():
            time.sleep(0.02)
        fileobj.write(value.data[half:])

    def load(self, source, data_type: str) -> Blob:
        with self.open_source(source) as handle:
            return Blob(handle.read())


register_materializer(HalfThenWait)


@step
def first() -> list:
    return list(range(1000))


@step
def second(values: list) -> Blob:
    return Blob(bytes(range(256)) * 4096)


@pipeline
def leased():
    second(values=first())


if __name__ == "__main__":
    run = leased.with_options(run_name=os.environ["RUN_NAME"])()
    print(json.dumps({"status": run.status, "id": run.id}), flush=True)
