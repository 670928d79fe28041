"""Legacy code runs with only its imports changed, and migrates to the same runs.

Every entry of ``tests/legacy_scripts/`` is code written the way ZenML 0.2x-0.39 users
wrote it, with ``zenml`` replaced by ``framework`` in the imports and nothing else. For
each one the test

1. runs it as it is, in a subprocess with a fresh framework home;
2. reads that home back through ``framework.client.Client`` (``store_snapshot.py``):
   every pipeline, every run with its status, steps (name, status, parameters) and
   outputs, loaded and reduced to comparable values;
3. migrates a copy of the script or project in place with ``python -m framework migrate .
   --write`` (every ``.py`` file of it together, as one project: a pipeline defined in one
   module and instantiated in another converts as one), and requires no
   ``# TODO(migrate)`` and no legacy spelling the codemod is meant to rewrite
   (``legacy_spellings``);
4. runs the migrated copy in another fresh home and requires the same store.

Entries: a single ``NAME.py`` (run from a directory that also holds the ``.yaml``
files of ``legacy_scripts/``), or a project directory ``NAME/`` run through its
``run.py``.

Corpus (entry -> what it covers; see notes/legacy_contract.md for the patterns)
--------------------------------------------------------------------------------
after_ordering.py               `.after()` between steps that share no data
class_based.py                  `BaseStep` subclasses wired by a `BasePipeline` subclass
comments_everywhere.py          comments in every corner of a legacy script
configure_and_name.py           `.configure(enable_cache=...)`, `name=`, `client.get_pipeline`, `.read()`
loop_in_main.py                 instantiation in a loop inside `main()` behind the main guard
multi_instantiation.py          one pipeline instantiated with other steps and parameters
params_passthrough.py           parameter objects used whole; pydantic `Field` defaults
seed_first_pipeline.py          the seed page's example, cached and uncached runs
several_fields.py               parameter classes with a required field; input with a default
active_stack.py                 `Client().active_stack` (.name, .orchestrator, .artifact_store,
                                .experiment_tracker); `get_pipeline(pipeline=)`, `get_run(run_name=)`
post_execution.py               `framework.post_execution`: get_pipeline/get_pipelines/get_run,
                                `.num_runs`, `runs[0]`, `steps` as a list, `steps[-1]`,
                                `get_step(step=)`, `get_step_names()`, `.entrypoint_name`, `.read()`
get_runs.py                     `MyPipeline.get_runs()` on the class and on an instance
unlisted_run.py                 `.run(unlisted=True)` and `get_unlisted_runs()`
pydantic_v1_params.py           un-annotated `BaseParameters` fields, `.dict()`, `.json()`, `class Config`
base_step_config.py             `BaseStepConfig` and a `config:` argument
step_context.py                 `StepContext` argument: names, `get_output_artifact_uri()`,
                                `get_output_materializer()`; context steps are not cached
environment_step_env.py         `Environment().step_environment` inside a step
hooks.py                        `on_failure`/`on_success` on `@step`, `@pipeline` and `configure`;
                                hook arguments `StepContext`, `BaseParameters`, `BaseException`
materializer_handle_input.py    0.2x materializer: `handle_input`/`handle_return`, `DataArtifact`,
                                `fileio` under `self.uri`, `configure(output_materializers=Class)`
materializer_load_save.py       0.3x materializer: `load`/`save`, `ArtifactType.DATA`, chosen by
                                its ASSOCIATED_TYPES
output_materializers_forms.py   `output_materializers=` one class for all outputs, a dict by name
configuration_objects.py        `step.configuration`, `pipeline.configuration`,
                                `configure(parameters=...)`, `configure(extra=..., merge=True)`
basepipeline_kwargs.py          `BasePipeline` with `connect(self, **kwargs)`, optional slots
logger_usage.py                 `framework.logger.get_logger(__name__)`
docker_settings.py              `DockerSettings`, `ResourceSettings`, `SKLEARN`, settings as dicts
yaml_run_config.py              `.run(config_path=...)`, YAML `steps:` keyed by slot names
pipeline_variable.py            `pipeline = my_pipeline(...); pipeline.run()`
instance_named_pipeline.py      instances named like the decorator (`pipeline = p(...)`) and like
                                the pipeline (`p = p(...)`), `.run(unlisted=False)`
class_based_params.py           `BaseStep` subclasses with parameters, `entrypoint` unit test
click_main.py                   click options with defaults, `main()` behind the main guard
notebook_quickstart.py          a notebook as `# %%` cells: module level, a cached re-run,
                                post-execution reads, bare expressions
notebook_eda.py                 a notebook over pandas DataFrames, read back with `Client`
project_digits/                 project: `steps/`, `pipelines/`, `run.py` (main guard),
                                `config.yaml` keyed by slots, `DockerSettings`, logger
project_reports/                project: `materializers/` package, `output_materializers=` as a
                                dotted source string, `BasePipeline` subclass, post-execution
                                reads, no main guard
project_monitoring/             project: hooks given as dotted paths on `@step` and `@pipeline`,
                                `Environment().step_environment`, argparse main, a failing run
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.store_snapshot import differences

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SCRIPTS = TESTS / "legacy_scripts"
SNAPSHOT = TESTS / "store_snapshot.py"
TIMEOUT = 300  # seconds per subprocess; every script runs in a few seconds

#: Legacy spellings the codemod rewrites (legacy_contract.md, right column): none may be left
#: in the migrated code. Found in the syntax tree, so comments and docstrings do not count.
LEGACY_IMPORTS = {
    ("framework.pipelines", "pipeline"): "the legacy `pipeline` decorator (framework.pipelines.new)",
    ("framework.pipelines", "BasePipeline"): "a `BasePipeline` subclass (a function pipeline)",
    ("framework.steps", "BaseStepConfig"): "`BaseStepConfig` (BaseParameters)",
}
LEGACY_ATTRIBUTES = {
    "get_runs": "`.get_runs()` (Client().get_pipeline(name).runs)",
    "get_step": "`run.get_step(step=...)` (run.steps[name])",
    "step_environment": "`Environment().step_environment` (get_step_context())",
}
LEGACY_METHODS = {"handle_input": "`handle_input` (load)", "handle_return": "`handle_return` (save)"}


def legacy_spellings(source: str) -> list[tuple[int, str]]:
    """(line, what) for every legacy spelling the codemod should have rewritten."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "framework.post_execution":
                found.append((node.lineno, "`framework.post_execution` (the Client)"))
            for alias in node.names:
                what = LEGACY_IMPORTS.get((node.module, alias.name))
                if what:
                    found.append((node.lineno, what))
        elif isinstance(node, ast.Attribute) and node.attr in LEGACY_ATTRIBUTES:
            found.append((node.lineno, LEGACY_ATTRIBUTES[node.attr]))
        elif isinstance(node, ast.FunctionDef) and node.name in LEGACY_METHODS:
            found.append((node.lineno, LEGACY_METHODS[node.name]))
        elif isinstance(node, ast.FunctionDef) and _is_step(node):
            for arg in node.args.args + node.args.kwonlyargs:
                if isinstance(arg.annotation, ast.Name) and arg.annotation.id == "StepContext":
                    found.append((arg.lineno, "a `StepContext` step argument (get_step_context())"))
    return sorted(found)


def _is_step(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "step":
            return True
    return False


# ---------------------------------------------------------------------------- the corpus
def corpus() -> list[str]:
    """Single scripts (``name.py``) and projects (``name/`` holding a ``run.py``)."""
    scripts = [p.name for p in SCRIPTS.glob("*.py")]
    projects = [f"{p.name}/" for p in SCRIPTS.iterdir() if (p / "run.py").is_file()]
    return sorted(scripts + projects)


def copy_entry(name: str, dest: Path) -> Path:
    """Copy a corpus entry into ``dest`` (created); return the file to run."""
    if name.endswith("/"):
        shutil.copytree(SCRIPTS / name.rstrip("/"), dest, ignore=shutil.ignore_patterns("__pycache__"))
        return dest / "run.py"
    dest.mkdir(parents=True)
    for config in SCRIPTS.glob("*.yaml"):
        shutil.copy(config, dest / config.name)
    shutil.copy(SCRIPTS / name, dest / name)
    return dest / name


# ---------------------------------------------------------------------------- subprocesses
def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_STACK"}
    env.update(FRAMEWORK_HOME=str(home), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1",
               FRAMEWORK_PROGRESS="0")
    return env


@dataclass
class Run:
    """One run of a script: exit code and output."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def first_error(self) -> str:
        """The line that says what went wrong: the exception line of the traceback."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        for line in reversed(lines):
            if re.match(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b|^\w+: ", line):
                return line.strip()
        return lines[-1].strip() if lines else f"exit code {self.returncode}"

    def report(self) -> str:
        return f"exit code {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-6000:]}"


def run_script(entry: Path, home: Path) -> Run:
    proc = subprocess.run([sys.executable, entry.name], cwd=entry.parent, env=_env(home),
                          capture_output=True, text=True, timeout=TIMEOUT)
    return Run(proc.returncode, proc.stdout, proc.stderr)


#: Runs ``store_snapshot.py`` after importing the project's own materializers (the modules named by
#: the outputs' records), as the project itself had imported them when it stored those outputs: a
#: materializer given as a dotted source string is registered only once its module is imported.
SNAPSHOT_RUNNER = """
import importlib, os, runpy, sys
sys.path.insert(0, os.getcwd())
from framework.client import Client
for run in Client().list_runs():
    for view in run.steps.values():
        for artifact in view.outputs.values():
            module = (artifact.to_dict().get("materializer") or "").rpartition(".")[0]
            if module and not module.startswith(("framework.", "__main__")):
                try:
                    importlib.import_module(module)
                except Exception:
                    pass  # not importable here: the snapshot says the output cannot be loaded
sys.argv = sys.argv[1:]  # [store_snapshot.py, OUT], as if it were run itself
runpy.run_path(sys.argv[0], run_name="__main__")
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # the snapshot is written; skip the teardown, where native threads sometimes abort the process
"""


def take_snapshot(workdir: Path, home: Path) -> dict[str, Any]:
    """The snapshot of ``home``, read in a subprocess that sees the project's modules."""
    out = workdir.parent / f"{workdir.name}.snapshot.pickle"
    proc = subprocess.run([sys.executable, "-c", SNAPSHOT_RUNNER, str(SNAPSHOT), str(out)], cwd=workdir,
                          env=_env(home), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, f"reading the store of {home} failed:\n{proc.stderr[-6000:]}"
    with open(out, "rb") as f:
        return pickle.load(f)


# ---------------------------------------------------------------------------- migration
@dataclass
class Migration:
    """The codemod over every ``.py`` file of a copy: what it left to do by hand."""

    todos: list[str] = field(default_factory=list)  # "file:line: message"
    failures: list[str] = field(default_factory=list)  # files the codemod could not migrate
    leftovers: list[str] = field(default_factory=list)  # "file:line: legacy spelling"


def migrate_tree(workdir: Path) -> Migration:
    """Rewrite every ``.py`` file under ``workdir`` with one ``python -m framework migrate . --write``."""
    result = Migration()
    before = {path: path.read_text() for path in workdir.rglob("*.py")}
    proc = subprocess.run([sys.executable, "-m", "framework", "migrate", ".", "--write"], cwd=workdir,
                          env=_env(workdir.parent / "migrate-home"), capture_output=True, text=True, timeout=TIMEOUT)
    if proc.returncode not in (0, 1) or "the codemod failed" in proc.stderr:
        result.failures.append(f"exit code {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return result
    for path in sorted(before):
        rel = path.relative_to(workdir)
        code = path.read_text()
        if before[path].strip() and not code.strip():
            result.failures.append(f"{rel}: the migration emptied it")
            continue
        for number, line in enumerate(code.splitlines(), start=1):
            if "TODO(migrate)" in line:
                result.todos.append(f"{rel}:{number}: {line.strip()}")
        try:
            result.leftovers += [f"{rel}:{line}: {what}" for line, what in legacy_spellings(code)]
        except SyntaxError as exc:
            result.failures.append(f"{rel}: the migrated code is not valid Python: {exc}")
    return result


# ---------------------------------------------------------------------------- one entry
@dataclass
class Outcome:
    """Everything one corpus entry did: legacy run, its store, migration, migrated run, its store."""

    legacy: Run
    migration: Migration
    migrated: Run
    legacy_store: dict[str, Any] | None = None
    migrated_store: dict[str, Any] | None = None

    def store_differences(self) -> list[str]:
        return differences(self.legacy_store, self.migrated_store)


def exercise(name: str, workspace: Path, legacy_home: Path, migrated_home: Path) -> Outcome:
    """Run ``name`` as legacy code, migrate a copy, run the copy; snapshot both homes."""
    legacy_entry = copy_entry(name, workspace / "legacy")
    migrated_entry = copy_entry(name, workspace / "migrated")
    migration = migrate_tree(migrated_entry.parent)
    outcome = Outcome(legacy=run_script(legacy_entry, legacy_home), migration=migration,
                      migrated=run_script(migrated_entry, migrated_home))
    if outcome.legacy.ok:
        outcome.legacy_store = take_snapshot(legacy_entry.parent, legacy_home)
    if outcome.migrated.ok:
        outcome.migrated_store = take_snapshot(migrated_entry.parent, migrated_home)
    return outcome


# ---------------------------------------------------------------------------- tests
def test_corpus_is_large_and_listed():
    """At least 25 entries, two of them projects, each named in the module docstring."""
    entries = corpus()
    assert len(entries) >= 25, entries
    assert sum(name.endswith("/") for name in entries) >= 2, entries
    listed = set(re.findall(r"^(\S+(?:\.py|/))\s", __doc__, flags=re.MULTILINE))
    assert listed == set(entries), f"unlisted: {set(entries) - listed}; listed but missing: {listed - set(entries)}"


@pytest.mark.parametrize("name", corpus())
def test_legacy_script_runs_and_migrates_to_the_same_runs(name, tmp_path, home):
    outcome = exercise(name, tmp_path / "work", legacy_home=home, migrated_home=tmp_path / "home_migrated")

    if not outcome.legacy.ok:
        pytest.fail(f"{name} does not run as legacy code: {outcome.legacy.first_error}\n{outcome.legacy.report()}")
    if not outcome.legacy_store["pipelines"]:
        pytest.fail(f"{name} left no pipeline run behind")

    migration = outcome.migration
    for problems, what in ((migration.failures, "the codemod failed"),
                           (migration.todos, "the codemod left TODOs"),
                           (migration.leftovers, "legacy spellings left after migration")):
        if problems:
            pytest.fail(f"{what}:\n" + "\n".join(problems))

    if not outcome.migrated.ok:
        pytest.fail(f"the migrated {name} does not run: {outcome.migrated.first_error}\n"
                    f"{outcome.migrated.report()}")
    diff = outcome.store_differences()
    if diff:
        pytest.fail("the migrated code left other runs behind (legacy != migrated):\n" + "\n".join(diff))

def test_store_differences_say_where_and_what():
    """The comparison helper itself: equal stores give no line, each difference one readable line."""
    import numpy as np

    def store(gamma=0.01, array=None, status="completed", steps=("load", "train")):
        array = np.arange(3) if array is None else array
        return {"pipelines": {"p": [{
            "name": "p-{date}-{time}", "status": status, "unlisted": False,
            "steps": [{"name": s, "status": "completed", "parameters": {"gamma": gamma},
                       "outputs": {"output": array}} for s in steps],
        }]}}

    assert differences(store(), store()) == []
    assert differences(store(), store(array=np.arange(3.0))) == [
        "store.pipelines.p['p-{date}-{time}'].steps['load'].outputs.output: array int64(3,) != float64(3,)",
        "store.pipelines.p['p-{date}-{time}'].steps['train'].outputs.output: array int64(3,) != float64(3,)",
    ]
    assert differences(store(), store(array=np.array([0, 1, 5])))[0].endswith(
        "arrays differ (array([0, 1, 2]) != array([0, 1, 5]))")
    assert differences(store(gamma=0.01), store(gamma=1))[0].endswith("parameters.gamma: 0.01 != 1")
    assert differences(store(), store(status="failed")) == [
        "store.pipelines.p['p-{date}-{time}'].status: 'completed' != 'failed'"]
    assert differences(store(), store(steps=("load",))) == [
        "store.pipelines.p['p-{date}-{time}'].steps: 2 items != 1 items (['load', 'train'] != ['load'])"]
    assert differences({"pipelines": {"p": []}}, {"pipelines": {"q": []}}) == [
        "store.pipelines: `p` missing", "store.pipelines: unexpected `q`"]
    assert differences(float("nan"), float("nan")) == [] and differences(True, 1) == ["store: True != 1"]
