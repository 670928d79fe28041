"""PipelineGraph: plain data, ordering, cycles, version hashes."""

import json

import pytest

from framework.exceptions import PipelineInterfaceError
from framework.graph import InputBinding, Invocation, PipelineGraph
from framework.pipelines.new import pipeline
from tests.seed_steps import loader, new_trainer


def inv(id_, inputs=(), after=(), code="c"):
    return Invocation(id=id_, step_name=id_, step_class=f"m.{id_}",
                      inputs={f"in{i}": InputBinding(u, "output") for i, u in enumerate(inputs)},
                      parameters={}, after=tuple(after), enable_cache=None, settings={}, extra={},
                      outputs={"output": "builtins.int"}, output_materializers={}, code_fingerprint=code)


def test_topological_order_and_json_round_trip():
    graph = PipelineGraph("p", {"c": inv("c", ["b"]), "a": inv("a"), "b": inv("b", ["a"])})
    assert graph.topological_order() == ["a", "b", "c"]
    assert json.loads(json.dumps(graph.to_dict()))["invocations"][0]["inputs"] == {"in0": ["b", "output"]}


def test_cycle_is_a_pipeline_interface_error():
    graph = PipelineGraph("p", {"a": inv("a", after=["b"]), "b": inv("b", after=["a"])})
    with pytest.raises(PipelineInterfaceError, match="cycle"):
        graph.validate()


def test_unknown_upstream_is_named():
    with pytest.raises(PipelineInterfaceError, match="`ghost`"):
        PipelineGraph("p", {"a": inv("a", after=["ghost"])}).validate()


def test_version_hash_ignores_parameters_but_not_code_or_shape():
    @pipeline
    def p(C: float = 1.0):
        X_train, X_test, y_train, y_test = loader()
        new_trainer(C=C, X_train=X_train, y_train=y_train)

    a, _ = p.compile(C=1.0)
    b, _ = p.compile(C=2.0)
    assert a.version_hash() == b.version_hash()
    base = PipelineGraph("p", {"a": inv("a")})
    assert base.version_hash() != PipelineGraph("p", {"a": inv("a", code="other")}).version_hash()
    assert base.version_hash() != PipelineGraph("p", {"a": inv("a"), "b": inv("b", ["a"])}).version_hash()
