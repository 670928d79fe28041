"""The codemod on a project: a pipeline defined in one module, its steps in others, run from a script.

The files are migrated together (``migrate_project``, ``framework migrate DIR``): every
expected output is asserted exactly, has no TODO, and migrating it again changes nothing;
the legacy project and its migration run to the same runs. Migrating one of the files on
its own behaves as it always did. The project is the one of the migration guide's
section 21 (``py <file> before|after`` blocks), so the guide shows what is tested here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from framework.cli import main
from framework.migrate import migrate_paths, migrate_project, migrate_source
from tests.test_migrate_runs import ROOT, _runs

GUIDE = Path(__file__).resolve().parent.parent / "migration_guide.md"
FILE_BLOCK = re.compile(r"```py (\S+) (before|after)\n(.*?)```", re.S)


def _guide_project() -> tuple[dict[str, str], dict[str, str]]:
    """The project of the guide's section 21: its files before, and the ones that change after."""
    text = GUIDE.read_text()
    section = re.search(r"\n## 21\. .*?(?=\n## )", text, re.S).group(0)
    files: dict[str, dict[str, str]] = {"before": {}, "after": {}}
    for name, tag, code in FILE_BLOCK.findall(section):
        files[tag][name] = code
    return files["before"], files["after"]


LEGACY, MIGRATED = _guide_project()


def _files(files: dict[str, str]) -> dict[str, str]:
    return {name: textwrap.dedent(text) for name, text in files.items()}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def migrated(files: dict[str, str]) -> dict[str, str]:
    """Every file's migrated code, checked: no TODO, and migrating the result again changes nothing."""
    results = migrate_project(_files(files))
    assert [t for r in results.values() for t in r.todos] == []
    out = {name: r.code for name, r in results.items()}
    again = migrate_project(out)
    assert {name: r.code for name, r in again.items()} == out and not any(r.changed for r in again.values())
    return out


def todos(files: dict[str, str]) -> dict[str, list[str]]:
    return {name: [t.message for t in r.todos] for name, r in migrate_project(_files(files)).items() if r.todos}


def test_a_pipeline_run_from_another_module_calls_the_steps_it_was_wired_with():
    out = migrated(LEGACY)
    expected = {**_files(LEGACY), **_files(MIGRATED)}
    assert out == expected


def test_the_migrated_project_leaves_the_same_runs(tmp_path, monkeypatch):
    legacy = _write(tmp_path / "legacy", _files(LEGACY))
    new = _write(tmp_path / "migrated", migrated(LEGACY))
    for side, home in ((legacy, "home_legacy"), (new, "home_migrated")):
        env = {"FRAMEWORK_HOME": str(tmp_path / home), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
        proc = subprocess.run([sys.executable, "run.py"], cwd=side, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
    assert _runs(tmp_path / "home_migrated", monkeypatch, "training") == _runs(
        tmp_path / "home_legacy", monkeypatch, "training")


def test_each_file_on_its_own_migrates_as_before():
    alone = _files(LEGACY)
    found = migrate_source(alone["pipelines/training.py"]).todos
    assert len(found) == 1 and "is never instantiated in this file" in found[0].message
    found = migrate_source(alone["run.py"]).todos
    assert len(found) == 1 and found[0].message.startswith("if `training` is a pipeline, not its name")


def test_other_wirings_get_functions_of_their_own_imported_where_they_run():
    files = {**LEGACY, "run.py": """\
        from pipelines import training
        from steps import load, train

        training(importer=load(), trainer=train()).run()
        training(importer=load(), trainer=load()).run()
        """}
    out = migrated(files)
    assert out["run.py"] == textwrap.dedent(
        """\
        from pipelines import training
        from pipelines.training import training_2

        training()
        training_2()
        """
    )
    assert '@pipeline(enable_cache=False, name="training")\ndef training_2():\n' in out["pipelines/training.py"]


def test_a_step_defined_in_the_script_that_runs_the_pipeline_is_a_todo():
    files = {**LEGACY, "run.py": """\
        from framework.steps import step
        from pipelines import training
        from steps import load


        @step
        def local_train(x: int) -> float:
            return x / 2


        training(importer=load(), trainer=local_train()).run()
        """}
    found = todos(files)  # on the instantiation, where the step is
    assert list(found) == ["run.py"] and len(found["run.py"]) == 1
    assert "calls `local_train`, which is defined in `run.py`" in found["run.py"][0]
    assert "importing it there would be a cycle" in found["run.py"][0]


def test_a_name_the_pipeline_module_uses_for_something_else_is_a_todo():
    files = {**LEGACY, "pipelines/training.py": _files(LEGACY)["pipelines/training.py"] + "\n\nload = None\n"}
    found = todos(files)
    assert "`load` means something else in `pipelines/training.py`" in found["run.py"][0]


def test_framework_migrate_on_a_directory_writes_every_file(tmp_path):
    root = _write(tmp_path / "project", _files(LEGACY))
    result = CliRunner().invoke(main, ["migrate", str(root), "--write"])
    assert result.exit_code == 0, result.output
    for name, text in _files(MIGRATED).items():
        assert (root / name).read_text() == text
    assert (root / "steps/loading.py").read_text() == _files(LEGACY)["steps/loading.py"]


def test_printing_a_project_shows_each_file_that_changes_and_its_todos(tmp_path, capsys):
    root = _write(tmp_path / "project", {name: text for name, text in _files(LEGACY).items() if name != "run.py"})
    assert migrate_paths([root]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"# ==> {root / 'pipelines/training.py'} <==\n")
    assert out.count("# ==> ") == 1  # the other files do not change
    assert err.startswith(f"{root / 'pipelines/training.py'}:4: legacy pipeline `training` is never instantiated in "
                          "these files")
