"""The project pass's shared ``ast`` name reading, checked against the libcst facts."""
from __future__ import annotations

import ast
import textwrap
from typing import Callable, Dict, List, Optional

import libcst as cst
import pytest

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements, resolve
from fastapi_lint.facts import import_bindings as cst_import_bindings


def _bindings(source: str, package: str) -> Dict[str, str]:
    return import_bindings(ast.parse(source).body[0], package)


def _cst_bindings(source: str, package: str) -> Dict[str, str]:
    statement = cst.parse_module(source).body[0]
    assert isinstance(statement, cst.SimpleStatementLine)
    return cst_import_bindings(statement.body[0], package)


@pytest.mark.parametrize(
    "source, package, expected",
    [
        ("import a.b", "", {"a": "a"}),
        ("import a.b as c", "", {"c": "a.b"}),
        ("import os, a.b.c as d", "pkg", {"os": "os", "d": "a.b.c"}),
        ("from a.b import c", "pkg", {"c": "a.b.c"}),
        ("from a import b as c, d", "", {"c": "a.b", "d": "a.d"}),
        ("from a import *", "pkg", {}),
        ("from .deps import *", "app.api", {}),
        # one dot is the package itself, each further dot one level up
        ("from .deps import get_db", "app.api", {"get_db": "app.api.deps.get_db"}),
        ("from ..db import Session as S", "app.api", {"S": "app.db.Session"}),
        ("from . import deps", "app.api", {"deps": "app.api.deps"}),
        ("from .. import config", "app.api", {"config": "app.config"}),
        # past the top package nothing is left to prefix
        ("from ...x import y", "app", {"y": "x.y"}),
        ("from . import y", "", {"y": "y"}),
    ],
)
def test_import_bindings_match_the_cst_facts(source: str, package: str, expected: Dict[str, str]) -> None:
    assert _bindings(source, package) == expected
    assert _cst_bindings(source, package) == expected


def test_relative_imports_of_a_package_init_and_of_a_module() -> None:
    # app/api/__init__.py is its own package; app/api/routes.py lives in app.api too
    source = "from .deps import get_db"
    init_package = importing_package("app.api", is_package=True)
    module_package = importing_package("app.api.routes", is_package=False)
    assert init_package == module_package == "app.api"
    assert _bindings(source, init_package) == {"get_db": "app.api.deps.get_db"}
    # while app/api.py (a module, not a package) resolves one level higher
    assert _bindings(source, importing_package("app.api", is_package=False)) == {"get_db": "app.deps.get_db"}
    assert importing_package("main", is_package=False) == ""
    assert importing_package("", is_package=True) == ""


def test_other_statements_bind_nothing() -> None:
    assert _bindings("x = 1", "pkg") == {}
    assert _bindings("def f(): import os", "pkg") == {}


def _names(source: str) -> List[str]:
    out: List[str] = []
    for stmt in module_statements(ast.parse(textwrap.dedent(source)).body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            out.extend(import_bindings(stmt, ""))
        elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            out.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            out.extend(t.id for t in stmt.targets if isinstance(t, ast.Name))
        else:
            out.append(type(stmt).__name__)
    return out


def test_module_statements_descend_into_nested_if_and_try() -> None:
    source = """
        import a
        if TYPE_CHECKING:
            import b
        elif other:
            try:
                import c
            except ImportError:
                if deep:
                    c = None
            else:
                d = 1
            finally:
                e = 2
        else:
            f = 3
        def g():
            import inside_function
        class H:
            import inside_class
        for i in range(3):
            import inside_loop
        """
    assert _names(source) == ["a", "b", "c", "c", "d", "e", "f", "g", "H", "For"]


def test_module_statements_read_try_star() -> None:
    if not hasattr(ast, "TryStar"):
        pytest.skip("except* needs Python 3.11")
    source = """
        try:
            import a
        except* ImportError:
            import b
        """
    assert _names(source) == ["a", "b"]


def _resolve(source: str, names: Dict[str, str]) -> Optional[str]:
    return resolve(ast.parse(source, mode="eval").body, names.get)


def test_resolve_name_attribute_and_call_chains() -> None:
    names = {"httpx": "httpx", "Session": "sqlalchemy.orm.Session"}
    assert _resolve("httpx", names) == "httpx"
    assert _resolve("httpx.Client", names) == "httpx.Client"
    assert _resolve("httpx.Client()", names) == "httpx.Client()"
    assert _resolve("httpx.Client(timeout=1).get", names) == "httpx.Client().get"
    assert _resolve("Session()().query", names) == "sqlalchemy.orm.Session()().query"
    assert _resolve("unknown.attr", names) is None
    assert _resolve("clients[0].get", names) is None


def test_resolve_asks_the_fallback_for_a_chain_head_that_is_no_name() -> None:
    names = {"make": "pkg.make"}

    def awaited(node: ast.expr, lookup: Callable[[str], Optional[str]]) -> Optional[str]:
        return resolve(node.value, lookup, awaited) if isinstance(node, ast.Await) else None

    expr = ast.parse("async def f():\n    (await make()).get()").body[0].body[0].value  # type: ignore[attr-defined]
    assert resolve(expr, names.get, awaited) == "pkg.make().get()"
    assert resolve(expr, names.get) is None
