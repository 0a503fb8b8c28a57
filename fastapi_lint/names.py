"""Small helpers over libcst expressions shared by the facts and the rules."""
from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst
from fastapi_lint.project.astnames import literal_quietly


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def module_dotted(node: cst.BaseExpression) -> str:
    """The dotted text of an import's module (Name or Attribute)."""
    return dotted(node) or ""


def string_value(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain or implicitly concatenated string literal (no f-strings)."""
    if isinstance(expr, cst.SimpleString):
        try:
            value = literal_quietly(expr.value)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.ConcatenatedString):
        left, right = string_value(expr.left), string_value(expr.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call, index: int) -> Optional[cst.Arg]:
    """The index-th positional argument, or None (stops at the first keyword/star)."""
    i = 0
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            return None
        if i == index:
            return arg
        i += 1
    return None


def argument(call: cst.Call, index: int, name: str) -> Optional[cst.BaseExpression]:
    """The value passed at positional ``index`` or as keyword ``name``."""
    arg = positional(call, index) or keyword(call, name)
    return arg.value if arg is not None else None


def is_true(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def iter_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def decorator_call(decorator: cst.Decorator) -> Optional[cst.Call]:
    return decorator.decorator if isinstance(decorator.decorator, cst.Call) else None


def last_part(name: Optional[str]) -> str:
    return name.rsplit(".", 1)[-1] if name else ""


def matches_any(name: Optional[str], candidates: Sequence[str]) -> bool:
    return name is not None and name in candidates
