"""Behaviours of the wiring rules (FAPI209-212, FAPI409) that their fixtures do not show."""
from __future__ import annotations

import textwrap

import pytest

from tests.helpers import lint_paths, lint_text


def _findings(code: str, text: str):
    return [f for f in lint_text(textwrap.dedent(text), codes=[code]).findings if f.code == code]


def test_fapi212_offers_no_fix_without_annotated_and_query_imported() -> None:
    found = _findings("FAPI212", """
        from typing import List
        from fastapi import APIRouter
        router = APIRouter()
        @router.get("/items")
        async def list_items(ids: List[int] = []):
            return []
    """)
    assert len(found) == 1 and found[0].fix is None


def test_fapi212_not_reported_on_a_route_that_also_takes_post() -> None:
    assert not _findings("FAPI212", """
        from fastapi import APIRouter
        router = APIRouter()
        @router.api_route("/items", methods=["GET", "POST"])
        async def items(ids: list[int]):
            return []
    """)


def test_fapi211_in_exception_handler_has_no_fix() -> None:
    found = _findings("FAPI211", """
        from fastapi import FastAPI, HTTPException
        app = FastAPI()
        @app.exception_handler(ValueError)
        async def handler(request, exc):
            return HTTPException(status_code=400)
    """)
    assert len(found) == 1 and found[0].fix is None


def test_fapi409_same_module_generator() -> None:
    found = _findings("FAPI409", """
        from fastapi import APIRouter, Depends
        router = APIRouter()
        def get_db():
            yield 1
        @router.get("/")
        def index(db=Depends(get_db())):
            return {}
    """)
    assert [(f.line, f.column) for f in found] == [(7, 22)]


def test_fapi210_silent_when_the_project_includes_routers_it_cannot_name() -> None:
    assert not _findings("FAPI210", """
        from fastapi import APIRouter, FastAPI
        app = FastAPI()
        a = APIRouter()
        lost = APIRouter()
        @lost.get("/x")
        def x(): ...
        app.include_router(a)
        for r in [lost]:
            app.include_router(r)
    """)


def test_fapi210_silent_without_an_app_including_a_router() -> None:
    assert not _findings("FAPI210", """
        from fastapi import APIRouter
        router = APIRouter()
        @router.get("/x")
        def x(): ...
    """)


def test_fapi209_trailing_slash_and_converters_do_not_shadow() -> None:
    assert not _findings("FAPI209", """
        from fastapi import FastAPI
        app = FastAPI()
        @app.get("/users/{user_id}")
        def a(user_id: int): ...
        @app.get("/users/")
        def b(): ...
        @app.get("/items/{item_id:int}")
        def c(item_id: int): ...
        @app.get("/items/new")
        def d(): ...
    """)


_ROUTER_MODULE = 'from fastapi import APIRouter\nrouter = APIRouter()\n@router.get("/")\ndef index():\n    return []\n'
# an app that includes `users` and, in a way the model cannot follow, `reports`
_UNRESOLVED_INCLUDES = {
    "loop_in_helper": {
        "main.py": "from fastapi import FastAPI\nfrom app import users, reports\nfrom app.setup import register\n"
                   "app = FastAPI()\napp.include_router(users.router)\nregister(app, routers=[reports.router])\n",
        "setup.py": "def register(app, routers):\n    for r in routers:\n        app.include_router(r)\n",
    },
    "dynamic_import": {
        "main.py": "import importlib\nfrom fastapi import FastAPI\nfrom app import users\napp = FastAPI()\n"
                   "app.include_router(users.router)\nfor name in ('reports',):\n"
                   "    app.include_router(importlib.import_module(f'app.{name}').router)\n",
    },
    "through_a_function": {
        "main.py": "from fastapi import FastAPI\nfrom app import users, reports\nfrom app.versions import versioned\n"
                   "app = FastAPI()\napp.include_router(users.router)\napp.include_router(versioned(reports.router))\n",
        "versions.py": "def versioned(router):\n    return router\n",
    },
    "list_in_another_module": {
        "main.py": "from fastapi import FastAPI\nfrom app import users\nfrom app.all import ROUTERS\napp = FastAPI()\n"
                   "app.include_router(users.router)\nfor router in ROUTERS:\n    app.include_router(router)\n",
        "all.py": "from app import reports\nROUTERS = [reports.router]\n",
    },
    "registry_looped_in_a_function": {
        "main.py": "from fastapi import FastAPI\nfrom app import users, reports\nREGISTRY = {'reports': reports.router}\n"
                   "app = FastAPI()\napp.include_router(users.router)\ndef install():\n"
                   "    for r in REGISTRY.values():\n        app.include_router(r)\n",
    },
}


@pytest.mark.parametrize("case", sorted(_UNRESOLVED_INCLUDES))
def test_fapi210_silent_on_a_router_that_might_be_included(tmp_path, case: str) -> None:
    package = tmp_path / "app"
    package.mkdir()
    files = {"__init__.py": "", "users.py": _ROUTER_MODULE, "reports.py": _ROUTER_MODULE, **_UNRESOLVED_INCLUDES[case]}
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    result = lint_paths([str(tmp_path)], codes=["FAPI210"], root=str(tmp_path))
    assert not result.errors and not [f for f in result.findings if f.code == "FAPI210"]
