"""Cache keys and code fingerprints (SPEC §6)."""

import math
import subprocess
import sys
import textwrap

import pytest

from framework.caching import cache_key, canonical_json, fingerprint, step_fingerprint


def make(source: str, name: str = "f"):
    namespace: dict = {}
    exec(textwrap.dedent(source), namespace)
    return namespace[name]


def key(**overrides):
    base = dict(code="c", parameters={"a": 1}, inputs={"x": "h1"}, outputs={"output": ["int", None]},
                artifact_store="/store")
    base.update(overrides)
    return cache_key(**base)


@pytest.mark.parametrize(
    "a, b",
    [(1, "1"), (1, 1.0), (True, 1), ([1], (1,)), (0.1, 0.1000001), (None, "None")],
)
def test_parameters_are_type_aware(a, b):
    assert key(parameters={"p": a}) != key(parameters={"p": b})


def test_dict_order_does_not_matter_and_nan_is_stable():
    assert key(parameters={"a": 1, "b": 2}) == key(parameters={"b": 2, "a": 1})
    assert canonical_json(math.nan) == canonical_json(float("nan"))


@pytest.mark.parametrize("field, value", [("code", "c2"), ("inputs", {"x": "h2"}),
                                          ("outputs", {"other": ["int", None]}), ("artifact_store", "/elsewhere")])
def test_every_ingredient_changes_the_key(field, value):
    assert key(**{field: value}) != key()


def load_module(tmp_path, monkeypatch, name, source):
    import importlib

    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def test_fingerprint_ignores_comments_and_docstrings_but_not_code(tmp_path, monkeypatch):
    base = load_module(tmp_path, monkeypatch, "fp_base", "def f(x):\n    return x + 1\n")
    commented = load_module(tmp_path, monkeypatch, "fp_commented",
                            'def f(x):\n    """doc"""\n    # constant 2 in a comment\n    return x + 1\n')
    changed = load_module(tmp_path, monkeypatch, "fp_changed", "def f(x):\n    return x + 2\n")
    assert fingerprint(base.f) == fingerprint(commented.f) != fingerprint(changed.f)


def test_fingerprint_without_source_uses_the_code_object():
    f1 = make("def f(x):\n    return x + 1\n")
    f2 = make("def f(x):\n    return x + 2\n")
    assert fingerprint(f1) != fingerprint(f2)  # exec'd code has no source file


def test_helper_changes_change_the_step_fingerprint(tmp_path, monkeypatch):
    module = tmp_path / "proj_mod.py"
    template = "def helper(x):\n    return x * {n}\n\ndef f(x):\n    return helper(x)\n"
    module.write_text(template.format(n=2))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    mod = importlib.import_module("proj_mod")
    first = fingerprint(mod.f)
    module.write_text(template.format(n=3))
    sys.modules.pop("proj_mod")
    import linecache

    linecache.clearcache()
    mod = importlib.import_module("proj_mod")
    assert fingerprint(mod.f) != first


def test_keys_are_identical_across_interpreters(tmp_path):
    script = tmp_path / "steps_mod.py"
    script.write_text(
        "from framework.steps import step\n"
        "from framework.caching import step_fingerprint, cache_key\n"
        "@step\n"
        "def s(x: int) -> int:\n"
        "    return x\n"
        "print(cache_key(code=step_fingerprint(s), parameters={'x': 1, 'y': {'b': 1.5, 'a': [1, 'z']}},\n"
        "                inputs={}, outputs={}, artifact_store='s'))\n"
    )
    outputs = {subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout for seed in (1, 2)}
    assert len(outputs) == 1


def test_step_fingerprint_is_cached_per_class():
    from tests.seed_steps import loader

    assert step_fingerprint(loader) == step_fingerprint(loader)
