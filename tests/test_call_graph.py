"""FAPI106's project call graph: layouts, stdin, re-exports, cycles and what it keeps."""
from __future__ import annotations

import ast
import os
import textwrap

from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.calls import CALL_GRAPH, CallGraph, blocking_chain
from tests.helpers import found, lint_paths, lint_text

HELPERS = textwrap.dedent(
    """\
    import requests


    def fetch(url: str) -> dict:
        return requests.get(url, timeout=5).json()
    """
)
ROUTE = textwrap.dedent(
    """\
    from fastapi import FastAPI

    from app.helpers import fetch

    app = FastAPI()


    @app.get("/")
    async def index() -> dict:
        return fetch("https://example.com")
    """
)


def _index(files: dict) -> ProjectIndex:
    return ProjectIndex.build([(f"/p/{name}", textwrap.dedent(text)) for name, text in files.items()], "/p")


def test_src_layout_matches_absolute_imports(tmp_path) -> None:
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(HELPERS)
    (package / "main.py").write_text(ROUTE)
    result = lint_paths([str(tmp_path)], codes=["FAPI106"], root=str(tmp_path))
    assert not result.errors
    assert found(result) == {(10, 12, "FAPI106")}
    assert "index -> fetch -> requests.get" in result.findings[0].message


def test_stdin_knows_its_own_module() -> None:
    text = HELPERS + "\n\nasync def handler() -> dict:\n    return fetch('https://example.com')\n"
    result = lint_text(text, codes=["FAPI106"])
    assert found(result) == {(9, 12, "FAPI106")}


def test_cycles_and_shortest_chains() -> None:
    index = _index({
        "m.py": """\
            import time

            def a():
                b()

            def b():
                a()
                c()

            def c():
                d()

            def d():
                time.sleep(1)

            def e():
                f()

            def f():
                e()
            """,
    })
    assert blocking_chain(index, "m.a") == ["a", "b", "c", "d", "time.sleep"]
    assert blocking_chain(index, "m.b") == ["b", "c", "d", "time.sleep"]
    assert blocking_chain(index, "m.e") is None
    assert blocking_chain(index, "m.missing") is None


def test_package_reexports_are_followed() -> None:
    index = _index({
        "pkg/__init__.py": "from .impl import work\n",
        "pkg/impl.py": "import subprocess\n\ndef work():\n    subprocess.run(['true'])\n",
    })
    assert blocking_chain(index, "pkg.work") == ["work", "subprocess.run"]


def test_only_project_candidates_are_kept() -> None:
    index = _index({
        "m.py": """\
            import json
            import os.path
            from app.other import helper

            def f(data):
                json.dumps(data)
                os.path.join("a", "b")
                helper(data)
                print(data)
            """,
    })
    calls = index.modules["m"].extra[CALL_GRAPH].functions["f"].calls
    assert calls == ("app.other.helper",)


def test_async_functions_and_offloading_decorators_are_not_edges() -> None:
    index = _index({
        "m.py": """\
            import time
            from asyncer import asyncify

            async def coroutine():
                time.sleep(1)

            @asyncify
            def offloaded():
                time.sleep(1)
            """,
    })
    graph = CallGraph(index)
    assert graph.chain("m.coroutine") is None
    assert graph.chain("m.offloaded") is None


def test_chain_prefers_the_work_inside_a_with_block_over_the_context_managers_enter() -> None:
    # The with block's query is what blocks the caller; the factory's connect is only its
    # enter. A caller that only enters the context manager still gets the enter chain.
    index = _index({
        "db.py": """\
            from contextlib import contextmanager
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session

            engine = create_engine("sqlite://")

            @contextmanager
            def session_scope():
                with engine.connect() as connection:
                    yield Session(bind=connection)

            def find_user(session: Session, email: str):
                return _first(session, email)

            def _first(session: Session, email: str):
                return session.query(email).first()
            """,
        "users.py": """\
            from db import find_user, session_scope

            def check(email):
                with session_scope() as session:
                    find_user(session, email)

            def only_enter():
                with session_scope():
                    pass
            """,
    })
    assert blocking_chain(index, "users.check") == [
        "check", "find_user", "_first", "sqlalchemy.orm.Session().query"]
    assert blocking_chain(index, "users.only_enter") == [
        "only_enter", "session_scope", "sqlalchemy.create_engine().connect"]


def _reference_body_nodes(function: ast.FunctionDef) -> list:
    """What ``_body_nodes`` must give: a pre-order walk in field order (``ast.iter_child_nodes``)
    that does not enter nested scopes or leaves, keeping the kinds the scanner looks at."""
    from fastapi_lint.project.calls import _SKIPPED_SET, _WANTED

    out: list = []

    def visit(node: ast.AST) -> None:
        if type(node) in _SKIPPED_SET:
            return
        if type(node) in _WANTED:
            out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in function.body:
        visit(statement)
    return out


def test_body_nodes_walk_in_source_order_like_iter_child_nodes() -> None:
    """The call graph's walker skips contexts, operators and names; its order is unchanged
    (bindings are read before the calls after them), on every function of this package and
    of the fixtures."""
    from fastapi_lint.project.calls import _body_nodes

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checked = 0
    for base in ("fastapi_lint", "fixtures"):
        for directory, _, names in os.walk(os.path.join(root, base)):
            for name in names:
                if not name.endswith(".py"):
                    continue
                with open(os.path.join(directory, name), "rb") as handle:
                    try:
                        tree = ast.parse(handle.read())
                    except (SyntaxError, ValueError):
                        continue
                for node in ast.walk(tree):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        assert _body_nodes(node) == _reference_body_nodes(node), (name, node.lineno)
                        checked += 1
    assert checked > 1000


def test_a_name_a_module_uses_often_is_pickled_once() -> None:
    """Summaries travel pickled (workers to the main process, the summary cache): the call
    graph and the served-code facts keep one copy of a name the module uses in many places."""
    import pickle

    from fastapi_lint.project.served import SERVED

    text = "from app import helpers\n\n" + "".join(
        f"def f{n}():\n    helpers.fetch(1)\n    return helpers.fetch\n\n" for n in range(5))
    summary = ProjectIndex(root="/p").summarize("/p/app/main.py", text)
    for name in (CALL_GRAPH, SERVED):
        assert pickle.dumps(summary.extra[name]).count(b"app.helpers.fetch") == 1, name
