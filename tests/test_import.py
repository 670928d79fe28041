"""``import framework`` stays light and free of side effects."""

import json
import subprocess
import sys

HEAVY = ("pandas", "sklearn", "pyarrow", "dask", "distributed", "skops", "fsspec", "fastapi", "sqlalchemy", "psycopg")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_framework_pulls_no_heavy_library_and_configures_no_logging():
    out = _run(
        "import json, logging, sys\n"
        "import framework, framework.steps, framework.pipelines, framework.pipelines.new\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules],\n"
        "  'root_handlers': len(logging.getLogger().handlers),\n"
        "  'fw_handlers': len(logging.getLogger('framework').handlers)}))\n"
    )
    result = json.loads(out)
    assert result == {"heavy": [], "root_handlers": 0, "fw_handlers": 0}


def test_steps_and_pipelines_load_no_execution_layer_at_import():
    """The layering's one lazy edge: pipelines launch runs, but only when called."""
    out = _run(
        "import json, sys\n"
        "import framework.steps, framework.pipelines, framework.pipelines.new, framework.post_execution\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('framework.execution', "
        "'framework.orchestrators', 'framework.metadata.tinydb')))))\n"
    )
    assert json.loads(out) == []


def test_import_does_no_file_io(tmp_path):
    home = tmp_path / "home"
    subprocess.run([sys.executable, "-c", "import framework, framework.steps, framework.client"],
                   check=True, env={"FRAMEWORK_HOME": str(home), "PATH": ""})
    assert not home.exists()


def test_public_names():
    import framework
    from framework.exceptions import (
        DuplicateRunNameError,
        FrameworkError,
        MissingStepParameterError,
        PipelineInterfaceError,
        StepInterfaceError,
    )

    assert framework.step.__module__ == "framework.steps.decorator"
    assert callable(framework.Client)
    for exc in (StepInterfaceError, PipelineInterfaceError, MissingStepParameterError, DuplicateRunNameError):
        assert issubclass(exc, FrameworkError)


def test_the_tinydb_store_and_stacks_naming_postgres_load_no_sql_driver(tmp_path):
    """SQLAlchemy and psycopg load only when a PostgreSQL store first connects."""
    out = _run(
        "import json, sys\n"
        "from framework import stacks\n"
        "from framework.metadata import TinyDBStore, open_store\n"
        f"s = TinyDBStore({str(tmp_path / 'store')!r}); s.register_pipeline('p', 'h', {{}}); s.list_runs()\n"
        f"stacks.register_stack('team', metadata='postgresql://me@db.example/ml', home=__import__('pathlib').Path({str(tmp_path)!r}))\n"
        f"stack = stacks.get_stack('team', home=__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "store = stack.metadata_store(); stack.describe(); store.location\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg'))))\n"
    )
    assert json.loads(out) == []
