"""Cache correctness through real runs in fresh interpreters: no false hit, no needless miss.

Project files are written to a temp dir, run, edited, and run again; each step of the
matrix pipeline is sensitive to one kind of edit. Every output is also compared with what
the current code computes, so a false hit shows up as a wrong value, not just a status.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _helpers import last_json, run_script, write

RUNNER = """
    import json, os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    which = sys.argv[1]
    if which == "matrix":
        from steps_mod import matrix as p
    elif which == "values":
        from values_mod import values_matrix as p
    else:
        from twins_mod import twins as p
    run = p()
    print(json.dumps({k: [s.status, s.output.load(), s.cache_key] for k, s in run.steps.items()}))
"""

HELPERS = """
    def h1(x):
        return x + 1

    def h2(x):
        return x * 2

    def unused():
        return 0
"""

SETTINGS = """
    THRESHOLD = 10
"""

STEPS = '''
    import helpers
    import settings_mod
    from helpers import h1

    from framework import pipeline, step
    from framework.steps import BaseStep

    SCALE = 2
    UNRELATED = 1
    K_VALUE = 5
    CALL_LOG = []  # mutable state: never part of a key


    def _local_helper(x):
        return x - 1


    def unrelated_function():
        return "v1"


    @step
    def body_edit() -> int:
        return 10 + 1


    @step
    def same_output_edit() -> int:
        return 3 + 3


    @step
    def consumer(x: int) -> int:
        return x * 100


    @step
    def helper_same_module() -> int:
        return _local_helper(10)


    @step
    def helper_from_import() -> int:
        return h1(10)


    @step
    def helper_module_attr() -> int:
        return helpers.h2(10)


    @step
    def module_constant() -> int:
        return SCALE * 10


    @step
    def other_module_constant() -> int:
        return settings_mod.THRESHOLD + 1


    def make_closure(k):
        @step(name="closure_step")
        def closure_step() -> int:
            return k * 10
        return closure_step


    closure_step = make_closure(K_VALUE)


    @step
    def comment_only() -> int:
        # SCALE = 99 in a comment
        return 7  # trailing comment one


    @step
    def docstring_only() -> int:
        """Version one of the docs."""
        return 8


    @step
    def formatting_only() -> int:
        return (4 +
                4)


    @step
    def unrelated_edits() -> str:
        CALL_LOG.append(1)
        return "stable"


    class ClassStep(BaseStep):
        def entrypoint(self) -> int:
            return self._helper(3)

        def _helper(self, x):
            return x * 3


    @step
    def default_value(x: int = 1) -> int:
        return x * 10


    @pipeline
    def matrix():
        consumer(x=same_output_edit())
        body_edit()
        helper_same_module()
        helper_from_import()
        helper_module_attr()
        module_constant()
        other_module_constant()
        closure_step()
        comment_only()
        docstring_only()
        formatting_only()
        unrelated_edits()
        ClassStep()
        default_value()
'''

EDITS = [  # (file, old, new)
    ("steps_mod.py", "return 10 + 1", "return 10 + 2"),
    ("steps_mod.py", "return 3 + 3", "return 6"),
    ("steps_mod.py", "return x - 1", "return x - 2"),
    ("helpers.py", "return x + 1", "return x + 5"),
    ("helpers.py", "return x * 2", "return x * 3"),
    ("steps_mod.py", "SCALE = 2", "SCALE = 3"),
    ("settings_mod.py", "THRESHOLD = 10", "THRESHOLD = 11"),
    ("steps_mod.py", "K_VALUE = 5", "K_VALUE = 6"),
    ("steps_mod.py", "# SCALE = 99 in a comment", "# SCALE = 100 in a comment, edited"),
    ("steps_mod.py", "# trailing comment one", "# trailing comment two"),
    ("steps_mod.py", '"""Version one of the docs."""', '"""Version two: the docs changed."""'),
    ("steps_mod.py", "return (4 +\n            4)", "return 4 + 4"),
    ("steps_mod.py", 'return "v1"', 'return "v2"'),
    ("steps_mod.py", "UNRELATED = 1", "UNRELATED = 2"),
    ("helpers.py", "return 0", "return -1"),
    ("steps_mod.py", "return x * 3", "return x * 4"),
    ("steps_mod.py", "x: int = 1", "x: int = 2"),
]

#: After the edits: (status, value) of each step — a miss where the code it runs changed.
AFTER_EDITS = {
    "same_output_edit": ("completed", 6),
    "consumer": ("cached", 600),  # identical input bytes (content hash): still a hit
    "body_edit": ("completed", 12),
    "helper_same_module": ("completed", 8),
    "helper_from_import": ("completed", 15),
    "helper_module_attr": ("completed", 30),
    "module_constant": ("completed", 30),
    "other_module_constant": ("completed", 12),
    "closure_step": ("completed", 60),
    "comment_only": ("cached", 7),
    "docstring_only": ("cached", 8),
    "formatting_only": ("cached", 8),
    "unrelated_edits": ("cached", "stable"),
    "ClassStep": ("completed", 12),
    "default_value": ("completed", 20),
}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / "helpers.py", HELPERS)
    write(root / "settings_mod.py", SETTINGS)
    write(root / "steps_mod.py", STEPS)
    write(root / "values_mod.py", VALUES)
    write(root / "twin_a.py", TWIN.format(base=1))
    write(root / "twin_b.py", TWIN.format(base=2))
    write(root / "twin_c.py", TWIN.format(base=1))
    write(root / "twins_mod.py", TWINS)
    return write(root / "run.py", RUNNER)


def _run(runner: Path, home: Path, which: str, seed: int) -> dict:
    result = run_script(runner, home, which, PYTHONHASHSEED=str(seed))
    assert result.returncode == 0, result.stdout + result.stderr
    return last_json(result.stdout)


def test_code_edits_miss_exactly_when_the_code_that_runs_changed(tmp_path, home):
    runner = _project(tmp_path)
    first = _run(runner, home, "matrix", 1)
    assert {k: v[0] for k, v in first.items()} == dict.fromkeys(AFTER_EDITS, "completed")
    for name, old, new in EDITS:
        path = runner.parent / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1))
    second = _run(runner, home, "matrix", 2)
    got = {k: (v[0], v[1]) for k, v in second.items()}
    false_hits = [k for k, (status, value) in got.items() if status == "cached" and value != AFTER_EDITS[k][1]]
    assert false_hits == []
    assert got == AFTER_EDITS
    # a fresh interpreter with another hash seed: the same keys, everything cached
    third = _run(runner, home, "matrix", 3)
    assert {k: v[0] for k, v in third.items()} == dict.fromkeys(AFTER_EDITS, "cached")
    assert {k: v[2] for k, v in third.items()} == {k: v[2] for k, v in second.items()}
    assert {k: v[1] for k, v in third.items()} == {k: v[1] for k, v in second.items()}


VALUES = '''
    import json, math
    from typing import Any

    import numpy as np

    from framework import pipeline, step


    @step
    def echo(x: Any) -> str:
        return f"{type(x).__module__}.{type(x).__qualname__}:{json.dumps(x, sort_keys=True, default=str)}"


    VALUES = {
        "int_1": 1, "str_1": "1", "float_1": 1.0, "bool_true": True,
        "none": None, "str_none": "None", "int_0": 0, "bool_false": False, "float_0": 0.0, "float_neg0": -0.0,
        "dict_ab": {"a": 1, "b": 2}, "dict_ba": {"b": 2, "a": 1},
        "list_12": [1, 2], "tuple_12": (1, 2),
        "nan": math.nan, "nan_again": float("nan"), "str_nan": "nan", "inf": math.inf,
        "np_float": np.float64(1.5), "py_float": 1.5, "np_float_again": np.float64(1.5), "np_int": np.int64(1),
        "big_int": 2 ** 70, "big_float": float(2 ** 70),
        "nested_int": {"x": [1, {"y": 2}]}, "nested_float": {"x": [1, {"y": 2.0}]},
    }


    @pipeline
    def values_matrix():
        for name, value in VALUES.items():
            echo(x=value, id=name)
'''

#: Invocations whose value must share a key with an earlier one's; all other keys differ.
EQUAL_TO_EARLIER = {"dict_ba": "dict_ab", "nan_again": "nan", "np_float_again": "np_float"}


def test_parameter_values_are_keyed_by_type_and_value_never_by_text(tmp_path, home):
    runner = _project(tmp_path)
    first = _run(runner, home, "values", 1)
    keys = {k: v[2] for k, v in first.items()}
    assert len(set(keys.values())) == len(keys) - len(EQUAL_TO_EARLIER)
    for later, earlier in EQUAL_TO_EARLIER.items():
        assert keys[later] == keys[earlier] and first[later][1] == first[earlier][1]
    # no false hit: every output is what echo computes for its own value
    assert first["int_1"][1] == "builtins.int:1" and first["bool_true"][1] == "builtins.bool:true"
    assert first["str_1"][1] == 'builtins.str:"1"' and first["float_1"][1] == "builtins.float:1.0"
    assert first["np_float"][1] == "numpy.float64:1.5" and first["py_float"][1] == "builtins.float:1.5"
    assert first["tuple_12"][1] == "builtins.tuple:[1, 2]" and first["list_12"][1] == "builtins.list:[1, 2]"
    assert first["float_neg0"][1] == "builtins.float:-0.0" and first["nan"][1] == "builtins.float:NaN"
    second = _run(runner, home, "values", 2)  # another interpreter, another hash seed
    assert {k: v[0] for k, v in second.items()} == dict.fromkeys(first, "cached")
    assert {k: v[2] for k, v in second.items()} == keys
    assert {k: v[1] for k, v in second.items()} == {k: v[1] for k, v in first.items()}


TWIN = """
    from framework import step

    BASE = {base}


    @step
    def twin() -> int:
        return BASE * 2
"""

TWINS = """
    import twin_a, twin_b, twin_c
    from framework import pipeline


    @pipeline
    def twins():
        twin_a.twin()
        twin_b.twin()
        twin_c.twin()
"""


def test_identical_step_bodies_in_different_modules_never_share_a_wrong_result(tmp_path, home):
    runner = _project(tmp_path)
    got = _run(runner, home, "twins", 1)
    assert [v[1] for v in got.values()] == [2, 4, 2]  # twin_b reads its own BASE
    assert got["twin_2"][0] == "completed"
    assert got["twin"][2] != got["twin_2"][2]
    # the same code reading the same constant shares its key (no needless miss)
    assert got["twin_3"][2] == got["twin"][2]
    again = _run(runner, home, "twins", 2)
    assert [v[:2] for v in again.values()] == [["cached", 2], ["cached", 4], ["cached", 2]]


@pytest.mark.parametrize("annotation, a, b, same", [
    ("float", 1, 1.0, True),  # validated to the annotation: the step receives 1.0 either way
    ("int", 1, True, True),  # ... and 1 either way
    ("int", 1, 2, False),
    ("Any", 1, True, False),  # unvalidated: the step sees an int or a bool
    ("Any", 1, 1.0, False),
    ("Any", "1", 1, False),
])
def test_annotated_parameters_are_keyed_by_what_the_step_receives(home, annotation, a, b, same):
    from typing import Any

    from pydantic import TypeAdapter

    from framework import pipeline, step

    namespace: dict = {"Any": Any}
    exec(f"def coerced(x: {annotation}) -> str:\n    return f'{{type(x).__name__}}:{{x!r}}'\n", namespace)
    coerced = step(namespace["coerced"])

    @pipeline
    def coercion(value_a, value_b):
        coerced(x=value_a, id="a")
        coerced(x=value_b, id="b")

    run = coercion(value_a=a, value_b=b)
    assert (run.steps["b"].cache_key == run.steps["a"].cache_key) is same
    adapter = TypeAdapter(namespace["coerced"].__annotations__["x"])
    for inv, value in (("a", a), ("b", b)):
        received = adapter.validate_python(value)
        assert run.steps[inv].output.load() == f"{type(received).__name__}:{received!r}"  # never a false hit
