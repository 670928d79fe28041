"""Small libcst helpers shared by the codemod: source text, constants, arguments, commas, comments."""

from __future__ import annotations

from typing import Callable, Iterable, Sequence, TypeVar

import libcst as cst

_EMPTY = cst.Module(body=[])
_NO_SPACE = cst.SimpleWhitespace("")

T = TypeVar("T", cst.Arg, cst.Param)


def code(node: cst.CSTNode) -> str:
    """The source text of ``node`` as it would be printed."""
    return _EMPTY.code_for_node(node)


def dotted(expr: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def string_value(expr: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non f-) string literal, else None."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def is_constant(expr: cst.BaseExpression, call_ok: Callable[[str], bool] = lambda name: False) -> bool:
    """True for literals (and containers, signs and arithmetic of literals) that mean the same anywhere.

    ``call_ok(name)`` lets calls of known, side-effect free constructors (a parameters
    class) with constant keyword arguments count as constants too.
    """
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(expr, cst.ConcatenatedString):
        return is_constant(expr.left) and is_constant(expr.right)
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False", "None")
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, (cst.Minus, cst.Plus)) and is_constant(expr.expression, call_ok)
    if isinstance(expr, cst.BinaryOperation):
        return is_constant(expr.left, call_ok) and is_constant(expr.right, call_ok)
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return all(isinstance(e, cst.Element) and is_constant(e.value, call_ok) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(
            isinstance(e, cst.DictElement) and is_constant(e.key, call_ok) and is_constant(e.value, call_ok)
            for e in expr.elements
        )
    if isinstance(expr, cst.Call):
        name = dotted(expr.func)
        return bool(name and call_ok(name)) and all(
            a.keyword is not None and not a.star and is_constant(a.value, call_ok) for a in expr.args
        )
    return False


def names_in(node: cst.CSTNode) -> set[str]:
    """Every identifier (``Name``) that appears anywhere in ``node``."""
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

    node.visit(_Names())
    return found


def comments_in(node: cst.CSTNode) -> list[str]:
    """The text of every comment inside ``node``, in source order."""
    found: list[str] = []

    class _Comments(cst.CSTVisitor):
        def visit_Comment(self, n: cst.Comment) -> None:
            found.append(n.value)

    node.visit(_Comments())
    return found


def comment_line(text: str) -> cst.EmptyLine:
    """A whole-line comment at the current block's indentation."""
    return cst.EmptyLine(indent=True, whitespace=_NO_SPACE, comment=cst.Comment(text))


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value`` (no spaces around ``=``)."""
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE),
    )


def as_keyword(arg: cst.Arg, name: str) -> cst.Arg:
    """A positional argument turned into ``name=value``, keeping its comma and comments."""
    return arg.with_changes(
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE),
    )


def parse_expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _is_multiline(items: Sequence[T], opening: cst.BaseParenthesizableWhitespace | None) -> bool:
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return True
    return any(
        isinstance(i.comma, cst.Comma) and isinstance(i.comma.whitespace_after, cst.ParenthesizedWhitespace)
        for i in items
    )


def layout(
    items: Sequence[T],
    original: Sequence[T],
    opening: cst.BaseParenthesizableWhitespace | None,
) -> list[T]:
    """Give ``items`` (a new list of args or params) commas in the style of ``original``.

    One-line lists get ``, ``; multi-line lists (one item per line) keep one item per
    line with the original indentation, every item keeps the comment on its own line,
    and a trailing comma stays a trailing comma.
    """
    items = list(items)
    if not items:
        return items
    had_trailing = bool(original) and isinstance(original[-1].comma, cst.Comma)
    if not _is_multiline(original, opening):
        out: list[T] = []
        for i, item in enumerate(items):
            last = i == len(items) - 1
            if last:
                comma = original[-1].comma if had_trailing else cst.MaybeSentinel.DEFAULT
            elif isinstance(item.comma, cst.Comma) and not isinstance(
                item.comma.whitespace_after, cst.ParenthesizedWhitespace
            ):
                comma = item.comma
            else:
                comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            out.append(item.with_changes(comma=comma))
        return out

    inner: cst.ParenthesizedWhitespace | None = None
    for item in original[:-1]:
        if isinstance(item.comma, cst.Comma) and isinstance(item.comma.whitespace_after, cst.ParenthesizedWhitespace):
            inner = item.comma.whitespace_after
            break
    if inner is None and isinstance(opening, cst.ParenthesizedWhitespace):
        inner = opening
    closing = (
        original[-1].comma.whitespace_after
        if had_trailing and isinstance(original[-1].comma.whitespace_after, cst.ParenthesizedWhitespace)
        else None
    )
    if inner is None:  # e.g. only the closing bracket is on its own line
        inner = cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace("    ")
        )
    out = []
    for i, item in enumerate(items):
        last = i == len(items) - 1
        own = item.comma.whitespace_after if isinstance(item.comma, cst.Comma) else None
        first_line = own.first_line if isinstance(own, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
        empty_lines = own.empty_lines if isinstance(own, cst.ParenthesizedWhitespace) else ()
        if not last:
            ws = inner.with_changes(first_line=first_line, empty_lines=empty_lines)
            out.append(item.with_changes(comma=cst.Comma(whitespace_after=ws)))
        elif closing is not None:
            ws = closing.with_changes(first_line=first_line, empty_lines=empty_lines)
            out.append(item.with_changes(comma=cst.Comma(whitespace_after=ws)))
        elif had_trailing:
            out.append(item.with_changes(comma=original[-1].comma))
        else:
            out.append(item.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return out


def with_trailing_comment(item: T, text: str) -> T:
    """Put ``text`` as the end-of-line comment after ``item`` in a multi-line list."""
    comma = item.comma
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        ws = comma.whitespace_after
        if ws.first_line.comment is None:
            first = ws.first_line.with_changes(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text))
            return item.with_changes(comma=comma.with_changes(whitespace_after=ws.with_changes(first_line=first)))
    return item


def set_args(call: cst.Call, args: Iterable[cst.Arg]) -> cst.Call:
    """``call`` with a new argument list laid out like the old one."""
    return call.with_changes(args=layout(list(args), call.args, call.whitespace_before_args))


def call(func: cst.BaseExpression, args: Sequence[cst.Arg]) -> cst.Call:
    """A fresh one-line call."""
    return cst.Call(func=func, args=layout(list(args), (), None))
