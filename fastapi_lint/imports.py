"""Fix helpers: the name under which a fix may refer to a module or an imported name.

Each helper answers with the spelling to use and the extra fix pairs (``Rule.report(extra=)``)
that make it valid: nothing when the module already binds it, a merge into an existing
``from module import ...`` statement, or a new import line above the first statement that is
not the docstring or a ``__future__`` import.
"""
from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.names import dotted
from fastapi_lint.rule import LinesAbove

ExtraEdits = Tuple[Tuple[cst.CSTNode, object], ...]
NameAndEdits = Optional[Tuple[str, ExtraEdits]]


def module_alias(ctx: FileContext, module: str) -> NameAndEdits:
    """How to spell ``module`` (``import module`` added when nothing binds it)."""
    bound = bound_name(ctx, module)
    if bound is not None:
        return bound, ()
    return _insert(ctx, f"import {module}\n", module)


def imported_name(ctx: FileContext, module: str, name: str) -> NameAndEdits:
    """How to spell ``module.name``, preferring an existing binding, then a from-import."""
    bound = bound_name(ctx, f"{module}.{name}")
    if bound is not None:
        return bound, ()
    existing = _from_import(ctx.facts.module, module)
    if existing is not None:
        return name, ((existing, _merged(existing, name)),)
    module_name = bound_name(ctx, module)
    if module_name is not None:
        return f"{module_name}.{name}", ()
    return _insert(ctx, f"from {module} import {name}\n", name)


def bound_name(ctx: FileContext, target: str) -> Optional[str]:
    for local, resolved in ctx.facts.names.items():
        if resolved == target:
            return local
    return None


def _insert(ctx: FileContext, line: str, spelling: str) -> NameAndEdits:
    anchor = first_code_statement(ctx.facts.module)
    if anchor is None:
        return None
    return spelling, ((anchor, LinesAbove(line)),)


def first_code_statement(module: cst.Module) -> Optional[cst.BaseStatement]:
    """The first statement after the module docstring and the ``__future__`` imports."""
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            if index == 0 and _is_docstring(stmt):
                continue
            if all(_is_future_import(small) for small in stmt.body):
                continue
        return stmt
    return None


def _is_docstring(stmt: cst.SimpleStatementLine) -> bool:
    first = stmt.body[0]
    return isinstance(first, cst.Expr) and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString))


def _is_future_import(small: cst.BaseSmallStatement) -> bool:
    return (
        isinstance(small, cst.ImportFrom)
        and small.module is not None
        and dotted(small.module) == "__future__"
    )


def _from_import(module: cst.Module, name: str) -> Optional[cst.ImportFrom]:
    """The first top-level ``from <name> import a, b`` (absolute, not a star import)."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and dotted(small.module) == name
                and not isinstance(small.names, cst.ImportStar)
            ):
                return small
    return None


def _merged(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    """``node`` with ``name`` appended, keeping the statement's comma style."""
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    last = names[-1]
    # separators between names: reuse the previous one (it carries a multi-line layout)
    separator = names[-2].comma if len(names) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if not isinstance(separator, cst.Comma):
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    added = cst.ImportAlias(name=cst.Name(name), comma=last.comma)
    names[-1] = last.with_changes(comma=separator)
    # the engine replaces the statement's span, which excludes a trailing `;`
    return node.with_changes(names=names + [added], semicolon=cst.MaybeSentinel.DEFAULT)
