"""The project pass's ``ast`` twin of :func:`fastapi_lint.facts.import_bindings`, and friends.

The project pass (:mod:`fastapi_lint.project`) never parses with libcst: its collectors
share one ``ast`` parse per file. Several of them need the same reading of a module's
names -- what an import binds, which statements are module level, what dotted name an
expression designates -- with the conventions of :mod:`fastapi_lint.facts` so that their
answers match what the rules see (``from .db import get_db`` in ``app/api.py`` ->
``"app.db.get_db"``, ``httpx.Client()`` -> ``"httpx.Client()"``).
"""
from __future__ import annotations

import ast
import warnings
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Type

# ``try: ... except* E: ...`` (3.11+) is a try statement too
_TRY: Tuple[Type[ast.stmt], ...] = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())



def parse_quietly(source: str, mode: str = "exec") -> ast.AST:
    """``ast.parse`` of the code being linted, without CPython's warnings about it.

    Compiling user code emits SyntaxWarning/DeprecationWarning (``1()``, ``"\\d"``) on
    stderr; they are the linted code's, not ours, and would garble our output.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, mode=mode)


def literal_quietly(source: str) -> Any:
    """``ast.literal_eval`` of a literal's source text, without warnings (see above)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.literal_eval(source)


Lookup = Callable[[str], Optional[str]]
# answers the head of a chain that is not a name, given the lookup (to resolve its parts)
Fallback = Callable[[ast.expr, Lookup], Optional[str]]


def importing_package(module: str, is_package: bool) -> str:
    """The package ``module``'s relative imports resolve against: a package ``__init__``
    is its own package, any other module lives in its parent."""
    return module if is_package else module.rpartition(".")[0]


def import_bindings(node: ast.stmt, package: str) -> Dict[str, str]:
    """The names an import statement binds, mapped to their dotted targets ({} for others).

    ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``; ``from .x import
    y`` resolves against ``package`` (one dot is the package itself, each further dot one
    level up); ``from x import *`` binds nothing we could name.
    """
    out: Dict[str, str] = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out[alias.asname] = alias.name
            else:
                head = alias.name.split(".", 1)[0]
                out[head] = head
    elif isinstance(node, ast.ImportFrom):
        base = _from_base(node, package)
        for alias in node.names:
            if alias.name != "*":
                out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return out


def _from_base(node: ast.ImportFrom, package: str) -> str:
    base = node.module or ""
    if not node.level:
        return base
    parts = package.split(".") if package else []
    # going up past the top package leaves nothing to prefix (the import fails at run time)
    parent = parts[: max(len(parts) - (node.level - 1), 0)]
    return ".".join(p for p in parent + ([base] if base else []) if p)


def module_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements in source order, looking into ``if``/``try`` blocks.

    Optional imports (``try: import ujson except ImportError: ...``) and ``if
    TYPE_CHECKING:`` blocks bind module names too. Function and class bodies are not module
    level; the ``if``/``try`` statements themselves are not yielded, only what they hold.
    """
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from module_statements(stmt.body)
            yield from module_statements(stmt.orelse)  # elif is an If in orelse
        elif isinstance(stmt, _TRY):
            yield from module_statements(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from module_statements(handler.body)
            yield from module_statements(stmt.orelse)  # type: ignore[attr-defined]
            yield from module_statements(stmt.finalbody)  # type: ignore[attr-defined]
        else:
            yield stmt


def resolve(node: ast.expr, lookup: Lookup, fallback: Optional[Fallback] = None) -> Optional[str]:
    """The dotted name of a ``Name``/``Attribute``/``Call`` chain, the facts' convention.

    ``lookup`` answers a bare name (each collector has its own table and builtins policy);
    a call adds ``()`` (``httpx.Client()`` -> ``"httpx.Client()"``, an instance). A chain
    whose head is another node (``(await x).y``, ``(path / "x").open``) is unknown unless
    ``fallback(head, lookup)`` answers it; it is handed ``lookup`` to resolve the head's parts.
    """
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, lookup, fallback)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, ast.Call):
        func = resolve(node.func, lookup, fallback)
        return f"{func}()" if func is not None else None
    return fallback(node, lookup) if fallback is not None else None
