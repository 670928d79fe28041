"""A tiny filter language over run rows: ``params.gamma>0.001 and status=completed``.

Parsed once into closures (never ``eval``): comparisons joined by ``and``, ``or``,
``not`` and parentheses. A comparison is ``FIELD OP VALUE`` with ``OP`` one of ``=``
(also ``==``), ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``~`` (contains) and ``!~``; ``VALUE`` a
number, ``true``/``false``/``null``, a quoted string (``"…"`` or ``'…'``) or a bare word
(``completed``, ``2026-01-31``). Fields are those of `framework.reports.run_list.FIELDS`,
``params.<key>`` and ``metrics.<key>``.

Rules that keep filters unsurprising: a run lacking the field never matches (``!=``
included: ``params.gamma!=1`` lists only runs that have a ``gamma``); numbers compare as
numbers, strings as strings, a number never equals a string; on ``tags`` (a list) ``=``
means "has the tag" and ``~`` "has a tag containing".
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

Getter = Callable[[str], Callable[[Any], Any]]  # field -> (row -> value or MISSING)
Predicate = Callable[[Any], bool]

MISSING = object()
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lparen>\() | (?P<rparen>\)) |
      (?P<op>==|!=|<=|>=|!~|=|<|>|~) |
      (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
      (?P<word>[^\s()=<>!~"']+)
    )""", re.VERBOSE)


class WhereError(ValueError):
    """A filter that does not parse; the message points at the place."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise WhereError(f"cannot read {text[position:].strip()[:20]!r} at position {position + 1} of {text!r}")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, text: str) -> Any:
    if kind == "quoted":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare(actual: Any, op: str, expected: Any, raw: str | None = None) -> bool:
    """One comparison under the rules of the module docstring (``raw``: the value as typed,
    used when the field holds a string: ``name=0042`` compares text, not the number 42)."""
    kind = type(actual)
    if (kind is int or kind is float) and type(expected) in (int, float):  # the common case, first
        return _OPERATORS[op](actual, expected)
    if actual is MISSING:
        return False
    if isinstance(actual, (list, tuple)):  # tags
        text = raw if raw is not None else str(expected)
        if op in ("~", "!~"):
            found = any(text in str(item) for item in actual)
            return found if op == "~" else not found
        return {"=": text in actual, "==": text in actual, "!=": text not in actual}.get(op, False)
    if op in ("~", "!~"):
        found = actual is not None and (raw if raw is not None else str(expected)) in str(actual)
        return found if op == "~" else not found
    if isinstance(actual, str) and raw is not None and not isinstance(expected, str):
        expected = raw  # a word that looked like a number, compared with text
    same_kind = (actual is None and expected is None) or (
        isinstance(actual, str) and isinstance(expected, str)) or (
        isinstance(actual, bool) and isinstance(expected, bool)) or (_number(actual) and _number(expected))
    if not same_kind:
        return op == "!=" and actual is not None
    if isinstance(actual, bool) or actual is None:
        return {"=": actual == expected, "==": actual == expected, "!=": actual != expected}.get(op, False)
    return {"=": actual == expected, "==": actual == expected, "!=": actual != expected,
            "<": actual < expected, "<=": actual <= expected, ">": actual > expected,
            ">=": actual >= expected}[op]


_OPERATORS = {"=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge, "~": lambda a, b: str(b) in str(a),
              "!~": lambda a, b: str(b) not in str(a)}


class _Parser:
    def __init__(self, text: str, get: Getter, check_field: Callable[[str], None]) -> None:
        self.text, self.get, self.check_field = text, get, check_field
        self.tokens = _tokens(text)
        self.index = 0

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.index += 1
            return True
        return False

    def _fail(self, expected: str) -> WhereError:
        token = self._peek()
        where = f"at position {token[2] + 1}" if token else "at the end"
        return WhereError(f"expected {expected} {where} of {self.text!r}")

    def parse(self) -> Predicate:
        if not self.tokens:
            raise WhereError("an empty filter; write e.g. 'params.gamma>0.001' or 'status=completed'")
        predicate = self._or()
        if self._peek() is not None:
            raise self._fail("`and`, `or` or the end")
        return predicate

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._keyword("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _not(self) -> Predicate:
        if self._keyword("not"):
            inner = self._not()
            return lambda row: not inner(row)
        return self._atom()

    def _atom(self) -> Predicate:
        token = self._peek()
        if token is not None and token[0] == "lparen":
            self.index += 1
            inner = self._or()
            if self._peek() is None or self._peek()[0] != "rparen":
                raise self._fail("`)`")
            self.index += 1
            return inner
        if token is None or token[0] != "word":
            raise self._fail("a field such as params.gamma, metrics.accuracy or status")
        field = token[1]
        self.check_field(field)
        self.index += 1
        op = self._peek()
        if op is None or op[0] != "op":
            raise self._fail(f"a comparison after `{field}` (=, !=, <, <=, >, >=, ~)")
        self.index += 1
        value = self._peek()
        if value is None or value[0] not in ("word", "quoted"):
            raise self._fail(f"a value after `{field}{op[1]}`")
        self.index += 1
        expected, get, operator = _literal(value[0], value[1]), self.get(field), op[1]
        raw = value[1] if value[0] == "word" else expected
        return lambda row: compare(get(row), operator, expected, raw)


def parse(text: str, get: Getter, check_field: Callable[[str], None] = lambda _field: None) -> Predicate:
    """The predicate ``text`` describes; ``get(field)`` returns a reader of that field
    (`MISSING` when a row lacks it); ``check_field`` raises `WhereError` for an unknown
    field at parse time."""
    return _Parser(text, get, check_field).parse()
