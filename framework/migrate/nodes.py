"""Small libcst helpers shared by the codemod: source text, constants, arguments, commas, comments."""

from __future__ import annotations

import keyword
from typing import Callable, Iterable, Sequence, TypeVar

import libcst as cst

_EMPTY = cst.Module(body=[])
_NO_SPACE = cst.SimpleWhitespace("")

T = TypeVar("T", cst.Arg, cst.Param)


def code(node: cst.CSTNode) -> str:
    """The source text of ``node`` as it would be printed."""
    return _EMPTY.code_for_node(node)


def is_docstring(stmt: cst.CSTNode) -> bool:
    """True for a statement line that is a bare string: a docstring where it comes first."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


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
    """Every variable name (``Name``, not keyword or attribute names) anywhere in ``node``."""
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

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


def subscript_keys(node: cst.CSTNode, name: str) -> list[str]:
    """The string keys ``node`` reads from the variable ``name``, in order: ``kwargs["trainer"]`` -> trainer."""
    keys: list[str] = []

    class _Keys(cst.CSTVisitor):
        def visit_Subscript(self, sub: cst.Subscript) -> None:
            if isinstance(sub.value, cst.Name) and sub.value.value == name and len(sub.slice) == 1:
                index = sub.slice[0].slice
                key = string_value(index.value) if isinstance(index, cst.Index) else None
                if key is not None and key.isidentifier() and not keyword.iskeyword(key) and key not in keys:
                    keys.append(key)

    node.visit(_Keys())
    return keys


def arg_comments(call: cst.Call, arg: cst.Arg) -> tuple[list[str], list[str]]:
    """Comment lines above ``arg`` in a multi-line call, and comments inside it or at the end of its line."""
    k = list(call.args).index(arg)
    ws = call.whitespace_before_args if k == 0 else (
        call.args[k - 1].comma.whitespace_after if isinstance(call.args[k - 1].comma, cst.Comma) else None
    )
    above = []
    if isinstance(ws, cst.ParenthesizedWhitespace):
        above = [line.comment.value for line in ws.empty_lines if line.comment is not None]
    inside = comments_in(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
        first = arg.comma.whitespace_after.first_line.comment
        if first is not None:
            inside.append(first.value)
    return above, inside


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


def _after_attr(item: cst.CSTNode) -> str | None:
    if isinstance(item, cst.Param):
        return "whitespace_after_param"
    if isinstance(item, cst.Arg):
        return "whitespace_after_arg"
    return None


def _pw(ws: object) -> cst.ParenthesizedWhitespace | None:
    return ws if isinstance(ws, cst.ParenthesizedWhitespace) else None


def arrange(
    items: Sequence[T],
    original: Sequence[T],
    opening: cst.BaseParenthesizableWhitespace | None,
    leading: dict[int, list[str]] | None = None,
) -> tuple[list[T], cst.BaseParenthesizableWhitespace | None]:
    """Lay out ``items`` (a new list of args or params) in the style of ``original``.

    Returns the items with their commas and the whitespace after the opening bracket.
    One-line lists get ``, ``. Lists with one item per line keep one item per line with
    the original indentation; an item taken from ``original`` keeps its end-of-line
    comment and the comment lines that were above it, wherever it moves; ``leading``
    gives comment lines to put above new items (by index); a trailing comma stays.
    """
    items = list(items)
    leading = leading or {}
    if not items:
        return items, (cst.SimpleWhitespace("") if _pw(opening) else opening)
    where = [_index_of(item, original) for item in items]
    attr = _after_attr(items[0])
    had_trailing = bool(original) and isinstance(original[-1].comma, cst.Comma)
    if attr is not None:
        items = [i.with_changes(**{attr: cst.SimpleWhitespace("")}) for i in items]
        if original:
            items[-1] = items[-1].with_changes(**{attr: getattr(original[-1], attr)})
    lines = any(isinstance(o.comma, cst.Comma) and _pw(o.comma.whitespace_after) for o in original[:-1]) or (
        len(original) == 1 and had_trailing and _pw(original[-1].comma.whitespace_after) is not None
    )
    if not lines:
        out: list[T] = []
        for i, item in enumerate(items):
            if i == len(items) - 1:
                comma = original[-1].comma if had_trailing else cst.MaybeSentinel.DEFAULT
            elif isinstance(item.comma, cst.Comma) and not _pw(item.comma.whitespace_after):
                comma = item.comma
            else:
                comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            out.append(item.with_changes(comma=comma))
        return out, opening

    inner = next(
        (o.comma.whitespace_after for o in original[:-1] if isinstance(o.comma, cst.Comma) and _pw(o.comma.whitespace_after)),
        None,
    ) or _pw(opening) or cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    "))
    closing = _pw(original[-1].comma.whitespace_after) if had_trailing else None

    def lines_above(k: int | None, j: int) -> list[cst.EmptyLine]:
        own = [cst.EmptyLine(indent=True, whitespace=inner.last_line, comment=cst.Comment(t)) for t in leading.get(j, [])]
        if k is None:
            return own
        prev = original[k - 1].comma if k > 0 else None
        source = opening if k == 0 else (prev.whitespace_after if isinstance(prev, cst.Comma) else None)
        return (list(source.empty_lines) if _pw(source) else []) + own

    above = [lines_above(k, j) for j, k in enumerate(where)]
    new_opening = _pw(opening).with_changes(empty_lines=above[0]) if _pw(opening) else opening
    out = []
    for j, item in enumerate(items):
        own = _pw(item.comma.whitespace_after) if isinstance(item.comma, cst.Comma) else None
        first_line = own.first_line if own is not None else cst.TrailingWhitespace()
        if j < len(items) - 1:
            ws = inner.with_changes(first_line=first_line, empty_lines=above[j + 1])
            out.append(item.with_changes(comma=cst.Comma(whitespace_after=ws)))
        elif closing is not None:
            out.append(item.with_changes(comma=cst.Comma(whitespace_after=closing.with_changes(first_line=first_line))))
        elif had_trailing:
            out.append(item.with_changes(comma=original[-1].comma))
        elif first_line.comment is not None:
            ws = cst.ParenthesizedWhitespace(first_line=first_line, indent=True, last_line=cst.SimpleWhitespace(""))
            item = item.with_changes(comma=cst.Comma(whitespace_after=ws))
            out.append(item.with_changes(**{attr: cst.SimpleWhitespace("")}) if attr else item)
        else:
            out.append(item.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return out, new_opening


def _index_of(item: cst.CSTNode, original: Sequence[cst.CSTNode]) -> int | None:
    """Where ``item`` (possibly re-created by with_changes) sits in ``original``, by identity of its value."""
    for k, o in enumerate(original):
        if o is item:
            return k
    key = getattr(item, "value", None) if isinstance(item, cst.Arg) else getattr(item, "name", None)
    if key is None:
        return None
    for k, o in enumerate(original):
        okey = getattr(o, "value", None) if isinstance(o, cst.Arg) else getattr(o, "name", None)
        if okey is key:
            return k
    return None


def layout(
    items: Sequence[T],
    original: Sequence[T],
    opening: cst.BaseParenthesizableWhitespace | None,
    leading: dict[int, list[str]] | None = None,
) -> list[T]:
    """``arrange`` without the opening whitespace (for lists whose first item has no comment above)."""
    return arrange(items, original, opening, leading)[0]


def set_args(call: cst.Call, args: Iterable[cst.Arg], leading: dict[int, list[str]] | None = None) -> cst.Call:
    """``call`` with a new argument list laid out like the old one."""
    new, opening = arrange(list(args), call.args, call.whitespace_before_args, leading)
    return call.with_changes(args=new, whitespace_before_args=opening)


def set_params(
    func: cst.FunctionDef, params: Iterable[cst.Param], leading: dict[int, list[str]] | None = None
) -> cst.FunctionDef:
    """``func`` with a new parameter list laid out like the old one."""
    new, opening = arrange(list(params), func.params.params, func.whitespace_before_params, leading)
    return func.with_changes(params=func.params.with_changes(params=new), whitespace_before_params=opening)
