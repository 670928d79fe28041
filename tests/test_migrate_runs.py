"""Legacy scripts and their migrations leave the same runs behind (the surface rewrites, end to end).

Each test writes a legacy script, migrates it (no TODO allowed), runs both in fresh
homes and compares the runs step by step - by step name, since a migrated
invocation may carry the slot name as its id. A legacy spelling the framework does
not run yet (``framework.post_execution``, ``StepContext``, ...) skips the legacy
side or the whole test, so these tests start checking as soon as the runtime
feature lands.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from framework.migrate import migrate_source
from tests.test_migrate_surface import FACTORY as SURFACE_FACTORY
from tests.test_migrate_surface import LOAD_AND_DOUBLE
from tests.test_migrate_surface import OPTIONAL as SURFACE_OPTIONAL

ROOT = Path(__file__).parent.parent


def _has(module: str, name: str | None = None) -> bool:
    try:
        found = importlib.import_module(module)
    except ImportError:
        return False
    return name is None or hasattr(found, name)


def _run(path: Path, home: Path) -> str:
    env = {**os.environ, "FRAMEWORK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(path)], cwd=path.parent, capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, f"{path} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _value(obj):
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.tolist())
    return (type(obj).__name__, obj if isinstance(obj, (int, float, str, bool, list, dict)) else repr(obj))


def _loaded(artifact):
    """The value, or for a type only the script's own process knows (its ``__main__``) the
    recorded type and content hash: a deterministic materializer writes the same bytes."""
    from framework.exceptions import MaterializerError

    try:
        return _value(artifact.load())
    except MaterializerError:
        return ("stored", artifact.data_type, artifact.content_hash)


def _runs(home: Path, monkeypatch, name: str) -> list:
    from framework.client import Client

    monkeypatch.setenv("FRAMEWORK_HOME", str(home))
    pipeline = Client().get_pipeline(name)
    assert pipeline is not None, f"no pipeline `{name}` in {home}"
    found = []
    for run in pipeline.runs:
        steps = []
        for view in run.steps.values():
            outputs = {out: _loaded(a) for out, a in sorted(view.outputs.items())}
            steps.append((view.name, view.parameters, outputs, view.status))
        found.append((run.status, steps))
    return found


def migrate_and_compare(tmp_path, monkeypatch, script: str, pipeline: str, files: dict | None = None,
                        legacy_runs: bool = True) -> str:
    """Migrate ``script``, run both versions (the legacy one only if ``legacy_runs``), compare; the migrated code."""
    script = textwrap.dedent(script)
    dirs = {}
    for side in ("legacy", "migrated"):
        dirs[side] = tmp_path / side
        dirs[side].mkdir()
        for name, text in (files or {}).items():
            (dirs[side] / name).write_text(textwrap.dedent(text))
    legacy = dirs["legacy"] / "script.py"
    legacy.write_text(script)
    result = migrate_source(script, str(legacy))
    assert result.todos == [], result.todos
    migrated = dirs["migrated"] / "script.py"
    migrated.write_text(result.code)
    _run(migrated, tmp_path / "home_migrated")
    if legacy_runs:
        _run(legacy, tmp_path / "home_legacy")
        before = _runs(tmp_path / "home_legacy", monkeypatch, pipeline)
        after = _runs(tmp_path / "home_migrated", monkeypatch, pipeline)
        assert after == before
    return result.code


SCALING = """\
import numpy as np

from framework.pipelines import pipeline
from framework.steps import BaseParameters, step


class ScaleParams(BaseParameters):
    factor: float = 1.0


@step
def load() -> np.ndarray:
    return np.arange(4.0)


@step
def scale(params: ScaleParams, values: np.ndarray) -> np.ndarray:
    return values * params.factor


@pipeline
def yaml_pipeline(data_loader, scaler):
    scaler(data_loader())


yaml_pipeline(data_loader=load(), scaler=scale()).run(config_path="run.yaml")
"""


def test_a_run_config_keyed_by_slot_names_configures_the_same_steps(tmp_path, monkeypatch):
    config = "steps:\n  scaler:\n    parameters:\n      factor: 3.0\n  data_loader:\n    enable_cache: false\n"
    code = migrate_and_compare(tmp_path, monkeypatch, SCALING, "yaml_pipeline", {"run.yaml": config})
    assert 'scale(values=load(id="data_loader"), id="scaler")' in code
    runs = _runs(tmp_path / "home_migrated", monkeypatch, "yaml_pipeline")
    assert runs[0][1][1][1] == {"factor": 3.0}


READING = """\
from framework.pipelines import pipeline
from framework.steps import step
""" + LOAD_AND_DOUBLE + """

@pipeline
def reading_pipeline(importer, trainer):
    trainer(importer())


pipe = reading_pipeline(importer=load(), trainer=double())
pipe.run()

from framework.post_execution import get_pipeline  # noqa: E402

p = get_pipeline(pipeline=reading_pipeline)
run = p.runs[0]
assert p.num_runs == 1
assert run.get_step(step="trainer").output.read() == 6
assert [s.output.read() for s in run.steps] == [3, 6]
assert run.steps[-1].output.read() == 6
assert pipe.get_runs()[0].name == run.name
print("read back")
"""


def test_post_execution_reads_run_as_client_reads(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, READING, "reading_pipeline",
                               legacy_runs=_has("framework.post_execution", "get_pipeline"))
    assert "post_execution" not in code and "Client()" in code


CONTEXT = """\
from framework.pipelines import pipeline
from framework.steps import StepContext, step


@step
def named(context: StepContext) -> str:
    return f"{context.pipeline_name}/{context.step_name}"


@pipeline
def context_pipeline(named):  # slot named like its step: `step_name` reads the same in both APIs
    named()


context_pipeline(named=named()).run()
context_pipeline(named=named()).run()
"""


@pytest.mark.skipif(not (_has("framework.steps", "StepContext") and _has("framework", "get_step_context")),
                    reason="the step context has not landed yet")
def test_a_step_with_a_context_reads_the_same_and_stays_uncached(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, CONTEXT, "context_pipeline")
    assert "@step(enable_cache=False)" in code
    runs = _runs(tmp_path / "home_migrated", monkeypatch, "context_pipeline")
    assert [steps[0][3] for _, steps in runs] == ["completed", "completed"]


V1_PARAMS = """\
from framework.pipelines import pipeline
from framework.steps import BaseStepConfig, step


class SplitConfig(BaseStepConfig):
    ratio = 0.5
    offset = 2


@step
def load() -> int:
    return 10


@step
def split(config: SplitConfig, x: int) -> float:
    return x * config.ratio + config.offset


@pipeline
def v1_pipeline(loader, splitter):
    splitter(loader())


v1_pipeline(loader=load(), splitter=split(SplitConfig(offset=3))).run()
"""


@pytest.mark.skipif(not _has("framework.steps", "BaseStepConfig"), reason="BaseStepConfig has not landed yet")
def test_v1_parameters_record_the_same_values(tmp_path, monkeypatch):
    migrate_and_compare(tmp_path, monkeypatch, V1_PARAMS, "v1_pipeline")


MATERIALIZER = """\
import json
import os

from framework.materializers import BaseMaterializer
from framework.pipelines import pipeline
from framework.steps import step


class Point:
    def __init__(self, x: int) -> None:
        self.x = x

    def __repr__(self) -> str:
        return f"Point({self.x})"


class PointMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES = (Point,)

    def handle_input(self, data_type):
        with open(os.path.join(self.uri, "point.json")) as f:
            return Point(json.load(f)["x"])

    def handle_return(self, point):
        with open(os.path.join(self.uri, "point.json"), "w") as f:
            json.dump({"x": point.x}, f)


@step(output_materializers=PointMaterializer)
def make() -> Point:
    return Point(4)


@step
def read(p: Point) -> int:
    return p.x


@pipeline
def point_pipeline(s1, s2):
    s2(s1())


point_pipeline(s1=make(), s2=read()).run()
"""


@pytest.mark.skipif(not _has("framework.materializers", "BaseMaterializer"),
                    reason="ZenML-style materializers have not landed yet")
def test_a_renamed_materializer_stores_and_loads_the_same(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, MATERIALIZER, "point_pipeline")
    assert "def load(self, data_type):" in code and "def save(self, point):" in code


HOOKED = """\
from framework.pipelines import pipeline
from framework.steps import BaseParameters, step

SEEN = []


class LimitParams(BaseParameters):
    limit: int = 3


def record(params: BaseParameters) -> None:
    SEEN.append(params.dict())


@step
def load() -> int:
    return 5


@step(on_success=record)
def cap(params: LimitParams, x: int) -> int:
    return min(x, params.limit)


@pipeline
def hooked_pipeline(loader, capper):
    capper(loader())


hooked_pipeline(loader=load(), capper=cap(LimitParams(limit=4))).run()
assert SEEN == [{"limit": 4}], SEEN
"""


def test_a_hook_asking_for_base_parameters_gets_the_same_values(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, HOOKED, "hooked_pipeline")
    assert "def cap(params: LimitParams, x: int)" in code


FACTORY = SURFACE_FACTORY + """\
def main(shift: float) -> None:
    build(0.0).run(run_name="steady")
    shifted = build(shift)
    shifted.run(run_name="shifted")


main(2.5)
"""


def test_an_inlined_instance_factory_runs_the_same(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, FACTORY, "moving")
    assert "def build" not in code


OPTIONAL = SURFACE_OPTIONAL + """\
Reporting(importer=load(), doubler=double(), reporter=report()).run(run_name="doubled")
Reporting(importer=load(), reporter=report()).run(run_name="plain")
"""


def test_optional_slots_keep_their_steps_in_each_run(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, OPTIONAL, "Reporting")
    assert "def Reporting_2():" in code


KEPT = """\
from framework.pipelines import pipeline
from framework.steps import step
""" + LOAD_AND_DOUBLE + """

@pipeline(enable_cache=True, extra={"team": "core"})
def kept_pipeline(importer, doubler):
    doubler(importer())


kept = kept_pipeline(importer=load(), doubler=double())
kept.configure(extra={"purpose": "baseline"}, enable_cache=False)
assert kept.configuration.extra == {"team": "core", "purpose": "baseline"}
assert kept.configuration.name == "kept_pipeline" and kept.configuration.enable_cache is False
kept.run(run_name="first")
kept.configure(enable_cache=True)
kept.run(run_name="second")
"""


def test_an_instance_used_as_an_object_configures_and_runs_the_same(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, KEPT, "kept_pipeline")
    assert "kept = kept_pipeline.with_options()\n" in code


UNLISTED = """\
from framework.pipelines import pipeline
from framework.post_execution import get_pipeline, get_unlisted_runs
from framework.steps import step
""" + LOAD_AND_DOUBLE + """

@pipeline
def scratch_pipeline(importer, doubler):
    doubler(importer())


scratch_pipeline(importer=load(), doubler=double()).run(run_name="listed")
scratch_pipeline(importer=load(), doubler=double()).run(run_name="scratch", unlisted=True)
assert [r.name for r in get_unlisted_runs()] == ["scratch"]
assert [s.entrypoint_name for s in get_pipeline("scratch_pipeline").runs[0].steps] == ["load", "double"]
"""


def test_unlisted_runs_and_step_names_read_the_same(tmp_path, monkeypatch):
    code = migrate_and_compare(tmp_path, monkeypatch, UNLISTED, "scratch_pipeline")
    assert "Client().list_runs(unlisted=True)" in code
