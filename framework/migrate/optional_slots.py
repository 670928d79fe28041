"""Optional slots under ``connect(self, **kwargs)``: ``if "preprocessor" in kwargs:``.

A ``BasePipeline`` whose ``connect`` takes ``**kwargs`` may test which steps it was
given and wire them accordingly; each instantiation then runs a different graph. The
test is decided by the instantiation (``"preprocessor" in kwargs`` is True exactly when
``preprocessor=`` is passed), so instantiations that pass different sets of the tested
keys are different wirings - one function pipeline each (``grouping``) - and in each
function the test is a constant: the ``if`` keeps the branch it takes and loses the
other. Tests may combine such membership tests with ``not``, ``and`` and ``or``; a test
mixing in anything else is left alone, and a slot the wiring does not give that is
still called after folding makes the pipeline a TODO.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.errors import Unsupported
from framework.migrate.nodes import names_in, string_value, subscript_keys


def membership_key(legacy, ref: cst.Name) -> str | None:
    """``"x"`` when ``ref`` is the ``kwargs`` of a test ``"x" in kwargs`` / ``"x" not in kwargs``."""
    target = legacy.parent(ref)
    comparison = legacy.parent(target) if isinstance(target, cst.ComparisonTarget) else None
    if isinstance(comparison, cst.Comparison) and target.comparator is ref:
        return _tested(comparison, ref.value)
    return None


def _tested(node: cst.CSTNode, kwargs: str) -> str | None:
    if not (isinstance(node, cst.Comparison) and len(node.comparisons) == 1):
        return None
    target = node.comparisons[0]
    if isinstance(target.operator, (cst.In, cst.NotIn)) and isinstance(target.comparator, cst.Name) \
            and target.comparator.value == kwargs:
        return string_value(node.left)
    return None


def tested_keys(func: cst.FunctionDef, kwargs: str) -> set[str]:
    """Every key ``func`` tests ``kwargs`` for."""
    found: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_Comparison(self, node: cst.Comparison) -> None:
            key = _tested(node, kwargs)
            if key is not None:
                found.add(key)

    func.visit(_Find())
    return found


def _value(expr: cst.BaseExpression, kwargs: str, given: frozenset[str]) -> bool | None:
    """The value of a test made of membership tests, ``not``, ``and``, ``or``, True/False; else None."""
    key = _tested(expr, kwargs)
    if key is not None:
        return (key in given) != isinstance(expr.comparisons[0].operator, cst.NotIn)
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        inner = _value(expr.expression, kwargs, given)
        return None if inner is None else not inner
    if isinstance(expr, cst.BooleanOperation):
        left, right = _value(expr.left, kwargs, given), _value(expr.right, kwargs, given)
        if left is None or right is None:
            return None
        return (left and right) if isinstance(expr.operator, cst.And) else (left or right)
    return None


class _Fold(cst.CSTTransformer):
    def __init__(self, kwargs: str, given: frozenset[str]) -> None:
        super().__init__()
        self.kwargs, self.given = kwargs, given
        self.elifs: set[int] = set()

    def visit_If(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))

    def _resolve(self, node: cst.If) -> list[cst.BaseStatement] | cst.If:
        value = _value(node.test, self.kwargs, self.given)
        if value is True:
            return list(node.body.body)
        if value is False:
            if node.orelse is None:
                return []
            if isinstance(node.orelse, cst.Else):
                return list(node.orelse.body.body)
            return self._resolve(node.orelse)
        if isinstance(node.orelse, cst.If):
            rest = self._resolve(node.orelse)
            if isinstance(rest, cst.If):
                return node.with_changes(orelse=rest)
            return node.with_changes(orelse=cst.Else(body=cst.IndentedBlock(body=rest)) if rest else None)
        return node

    def leave_If(self, original: cst.If, updated: cst.If):
        if id(original) in self.elifs:
            return updated  # folded with the `if` it belongs to
        result = self._resolve(updated)
        if isinstance(result, cst.If):
            return result
        if not result:
            return cst.RemoveFromParent()
        first = result[0]
        result[0] = first.with_changes(leading_lines=[*updated.leading_lines, *first.leading_lines])
        return cst.FlattenSentinel(result)

    def leave_IndentedBlock(self, original, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated


def fold(func: cst.FunctionDef, pipe, given: frozenset[str], aliases: dict[str, str]) -> cst.FunctionDef:
    """``func`` (a migrated ``connect``) with its membership tests decided by ``given``.

    ``aliases``: local names bound to ``kwargs["slot"]`` -> their slot. Raises ``Unsupported``
    when a slot that is not given is still used once the tests are folded.
    """
    folded = func.visit(_Fold(pipe.kwargs, given))
    left = names_in(folded.body)
    missing = set(subscript_keys(folded.body, pipe.kwargs)) - given
    missing |= {slot for alias, slot in aliases.items() if alias in left and slot not in given}
    if missing:
        raise Unsupported(
            pipe.node,
            f"`{pipe.name}.connect` uses `{pipe.kwargs}` for step(s) {', '.join(sorted(missing))} that an "
            f"instantiation does not give, outside an `if \"<slot>\" in {pipe.kwargs}:` test; write a function-API "
            "pipeline per wiring",
        )
    if pipe.kwargs in left:
        raise Unsupported(
            pipe.node,
            f"`{pipe.name}.connect` tests `{pipe.kwargs}` in a way that is not decided by which steps are given "
            f"(only `\"<slot>\" in {pipe.kwargs}`, `not`, `and`, `or` are); write a function-API pipeline per wiring",
        )
    return folded
