"""Real runs for the dashboard tests: a pipeline run as trials, a failing one, a live one."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

import numpy as np
import pandas as pd

from framework import Client, pipeline, step
from tests.seed_steps import loader, new_trainer, scorer

XSS = "<img src=x onerror=alert('x')>"  # names may not contain "/"
XSS_RUN = "<script>alert(1)-{time}"
GATE = threading.Event()


@step
def table(X_train: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X_train[:8], columns=["a", "b", "c"])


@step
def explode(score: float) -> float:
    raise ValueError("boom: <b>not bold</b>")


@step
def after(value: float) -> int:
    return 1


@step(enable_cache=False)
def gate(score: float) -> float:
    """Blocks until the test opens ``GATE``: a run that stays ``running`` while watched."""
    GATE.wait(60)
    return score


def _trials(C: float = 1.0) -> None:
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(X_train=X_train, y_train=y_train, C=C)
    scorer(model=model, X_test=X_test, y_test=y_test)
    table(X_train=X_train)


trials = pipeline(name="trials")(_trials)
xss_trials = pipeline(name=XSS)(_trials)


@pipeline
def failing(C: float = 1.0) -> None:
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(X_train=X_train, y_train=y_train, C=C)
    after(value=explode(score=scorer(model=model, X_test=X_test, y_test=y_test)))


@pipeline
def live(C: float = 1.0) -> None:
    X_train, X_test, y_train, y_test = loader()
    model = new_trainer(X_train=X_train, y_train=y_train, C=C)
    gate(score=scorer(model=model, X_test=X_test, y_test=y_test))


def run_trials(p=trials, values=(0.01, 1.0, 100.0), run_name: str | None = None) -> list[str]:
    """One run per ``C``; from the second on, ``loader`` and ``table`` are cached."""
    names = []
    for c in values:
        configured = p.with_options(run_name=run_name) if run_name else p
        names.append(configured(C=c).name)
    return names


def run_failing() -> str:
    try:
        failing.with_options(run_name="failing-run")(C=1.0)
    except ValueError:
        pass
    return "failing-run"


# ---------------------------------------------------------------- artifacts of every kind
XSS_COLUMN = "<b onmouseover=alert('col')>c</b>"
XSS_CELL = "<script>alert('cell')</script>"


@step
def frame() -> pd.DataFrame:
    """A table with a hostile column name and cell, numbers and text, and missing values."""
    return pd.DataFrame({"x": np.arange(30, dtype=float), XSS_COLUMN: [XSS_CELL] * 30,
                         "label": ["even" if i % 2 == 0 else "odd" for i in range(30)],
                         "maybe": [None if i % 5 == 0 else i / 3 for i in range(30)]})


@step
def picture() -> np.ndarray:
    """A 32×32 image: a bright diagonal on a gradient."""
    img = np.tile(np.linspace(0, 128, 32), (32, 1))
    img[np.arange(32), np.arange(32)] = 255
    return img.astype(np.uint8)


@step
def config(note: str = "") -> dict:
    return {"layers": [64, 32], "dropout": 0.1, "name": "<i>net</i>", "note": note}


@step
def report(rows: pd.DataFrame, config: dict) -> str:
    return "rows: " + str(len(rows)) + "\n<tag> & more\n" * 3


@step
def with_metadata(rows: pd.DataFrame) -> float:
    return 0.91


@pipeline(name="artifacts")
def artifacts_pipeline(note: str = "") -> None:
    rows = frame()
    picture()
    report(rows=rows, config=config(note=note))
    with_metadata(rows=rows)


def run_artifacts(note: str = "short") -> str:
    return artifacts_pipeline.with_options(run_name="artifacts-{time}")(note=note).name


# ---------------------------------------------------------------- nested pipelines
@step
def source() -> int:
    return 1


@step
def transform_with_a_rather_long_descriptive_name(value: int) -> int:
    return value + 1


@step
def combine(a: int, b: int) -> int:
    return a + b


@pipeline
def feature_block(value) -> None:
    first = transform_with_a_rather_long_descriptive_name(value=value)
    combine(a=first, b=transform_with_a_rather_long_descriptive_name(value=value))


@pipeline(name="nested")
def nested_pipeline() -> None:
    value = source()
    feature_block(value=value)
    feature_block(value=value)


@contextlib.contextmanager
def running_run(name: str = "live-run") -> Iterator[str]:
    """A run of ``live`` held open at its ``gate`` step; finishes when the block ends."""
    GATE.clear()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            live.with_options(run_name=name)(C=3.0)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if Client().get_run(name).steps["gate"].status == "running":
                break
        except KeyError:
            pass
        time.sleep(0.05)
    else:  # pragma: no cover
        GATE.set()
        raise AssertionError(f"the live run never reached its gate step: {errors}")
    try:
        yield name
    finally:
        GATE.set()
        thread.join(30)
    assert not errors, errors
