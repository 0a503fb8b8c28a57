"""The app's route table (route_table.py) and the ``fastapi-lint routes`` command."""
from __future__ import annotations

import json
import os
import re
import textwrap
from typing import Dict, Set, Tuple

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fastapi_lint.cli import run
from fastapi_lint.project import ProjectIndex
from fastapi_lint.registry import all_rules
from fastapi_lint.project.route_decls import PARAMETER, bind
from fastapi_lint.project.route_table import table
from tests.helpers import FIXTURES

APP = os.path.join(FIXTURES, "routes", "app")


def _index(files: Dict[str, str], root: str = "/p") -> ProjectIndex:
    all_rules()
    return ProjectIndex.build(((f"{root}/{name}", textwrap.dedent(text)) for name, text in files.items()), root)


def _paths(files: Dict[str, str]):
    found = table(_index(files))
    return [(r.methods, r.path) for r in found.routes], [(r.methods, r.path) for r in found.unincluded]


def test_fixture_project_json_is_the_expected_table(capsys) -> None:
    status = run(["routes", APP, "--project-root", APP, "--format", "json"])
    assert status == 0
    with open(os.path.join(FIXTURES, "routes", "app.expected.json"), encoding="utf-8") as handle:
        expected = json.load(handle)
    assert json.loads(capsys.readouterr().out) == expected


@pytest.mark.parametrize("fmt,needle", [("text", "/api/v1/users/{user_id}"), ("markdown", "| GET | /health |")])
def test_text_and_markdown_list_the_routes(capsys, fmt: str, needle: str) -> None:
    assert run(["routes", APP, "--project-root", APP, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert needle in out
    assert "/legacy/old" in out  # the never-included router is listed as such


def test_bad_path_is_one_line_and_exit_2(capsys) -> None:
    assert run(["routes", "/no/such/dir"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_prefixes_compose_along_nested_includes() -> None:
    routes, unincluded = _paths({
        "main.py": """
            from fastapi import FastAPI
            from api import outer
            app = FastAPI()
            app.include_router(outer, prefix="/a")
        """,
        "api.py": """
            from fastapi import APIRouter
            inner = APIRouter(prefix="/c")
            outer = APIRouter(prefix="/b")
            @inner.get("/d")
            def d(): ...
            outer.include_router(inner, prefix="/x")
        """,
    })
    assert routes == [(("GET",), "/a/b/x/c/d")]
    assert unincluded == []


def test_router_included_nowhere_is_unincluded_and_not_prefixed() -> None:
    routes, unincluded = _paths({
        "main.py": """
            from fastapi import FastAPI, APIRouter
            app = FastAPI()
            used = APIRouter()
            lost = APIRouter(prefix="/lost")
            @used.get("/u")
            def u(): ...
            @lost.get("/l")
            def l(): ...
            app.include_router(used, prefix="/api")
        """,
    })
    assert routes == [(("GET",), "/api/u")]
    assert unincluded == [(("GET",), "/lost/l")]


def test_include_cycle_does_not_hang() -> None:
    routes, _ = _paths({
        "main.py": """
            from fastapi import FastAPI, APIRouter
            app = FastAPI()
            a = APIRouter()
            b = APIRouter()
            @b.get("/x")
            def x(): ...
            a.include_router(b, prefix="/b")
            b.include_router(a, prefix="/a")
            app.include_router(a)
        """,
    })
    assert routes == [(("GET",), "/b/x")]


def test_router_reexported_by_a_package_and_a_project_subclass() -> None:
    routes, _ = _paths({
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import FastAPI
            from app.routes import router
            app = FastAPI()
            app.include_router(router, prefix="/v1")
        """,
        "app/routes/__init__.py": "from .users import router\n",
        "app/routes/base.py": """
            from fastapi import APIRouter
            class MyRouter(APIRouter):
                pass
        """,
        "app/routes/users.py": """
            from app.routes.base import MyRouter
            router = MyRouter(prefix="/users")
            @router.delete("/{id}")
            def remove(id: int): ...
        """,
    })
    assert routes == [(("DELETE",), "/v1/users/{id}")]


def test_app_made_in_a_factory_function() -> None:
    routes, _ = _paths({
        "main.py": """
            from fastapi import FastAPI
            from views import router
            def create_app() -> FastAPI:
                app = FastAPI()
                app.include_router(router, prefix="/api")
                return app
        """,
        "views.py": """
            from fastapi import APIRouter
            router = APIRouter()
            @router.get("/ping")
            async def ping(): ...
        """,
    })
    assert routes == [(("GET",), "/api/ping")]


def test_dynamic_include_is_counted_not_guessed() -> None:
    found = table(_index({
        "main.py": """
            from fastapi import FastAPI
            from views import routers
            app = FastAPI()
            for r in routers:
                app.include_router(r)
        """,
    }))
    assert found.dynamic_includes == 1


def test_helper_that_includes_its_parameters_wires_what_callers_pass() -> None:
    routes, unincluded = _paths({
        "setup.py": """
            from fastapi import FastAPI, APIRouter
            def create_application(router: APIRouter, extra: APIRouter = None) -> FastAPI:
                application = FastAPI()
                application.include_router(router, prefix="/api")
                return application
        """,
        "main.py": """
            from setup import create_application
            from views import router
            app = create_application(router=router)
        """,
        "views.py": """
            from fastapi import APIRouter
            router = APIRouter()
            @router.get("/ping")
            async def ping(): ...
        """,
    })
    assert routes == [(("GET",), "/api/ping")]
    assert unincluded == []


def test_prefix_that_is_not_a_literal_leaves_the_path_unknown() -> None:
    routes, _ = _paths({
        "main.py": """
            from fastapi import FastAPI, APIRouter
            from settings import PREFIX
            app = FastAPI()
            router = APIRouter(prefix=PREFIX)
            @router.get("/x")
            def x(): ...
            app.include_router(router)
        """,
    })
    assert routes == [(("GET",), None)]


def test_router_included_in_an_app_made_on_the_spot_is_listed_but_not_unincluded() -> None:
    found = table(_index({
        "main.py": """
            from fastapi import FastAPI, APIRouter
            app = FastAPI()
            used = APIRouter()
            app.include_router(used)
            r = APIRouter()
            @r.get("/x")
            def x(): ...
            FastAPI().include_router(r)
        """,
    }))
    assert found.unincluded == [] and found.orphans == []
    assert [(r.methods, r.function) for r in found.unresolved] == [(("GET",), "x")]


def test_helper_making_a_router_for_the_app_it_is_given() -> None:
    routes, unincluded = _paths({
        "main.py": """
            from fastapi import FastAPI
            from debugging import add_debugging_routes
            base_app = FastAPI()
            add_debugging_routes(base_app)
        """,
        "debugging.py": """
            from fastapi import APIRouter, FastAPI
            def add_debugging_routes(api: FastAPI):
                chaos = APIRouter(prefix="/debugging")
                @chaos.get("/stats")
                def stats(): ...
                api.include_router(chaos)
        """,
    })
    assert routes == [(("GET",), "/debugging/stats")]
    assert unincluded == []


def test_prefixes_from_constants_and_settings_of_other_modules() -> None:
    routes, _ = _paths({
        "config.py": """
            from pydantic_settings import BaseSettings
            API_PREFIX = "/api"
            class Settings(BaseSettings):
                API_V1_STR: str = "/v1"
            settings = Settings()
        """,
        "main.py": """
            from fastapi import FastAPI, APIRouter
            from config import API_PREFIX, settings
            base = "/items"
            app = FastAPI()
            router = APIRouter(prefix=f"{base}/all")
            @router.get("/x")
            def x(): ...
            app.include_router(router, prefix=API_PREFIX + "/no")
            app.include_router(router, prefix=settings.API_V1_STR)
            app.include_router(router, prefix=API_PREFIX)
        """,
    })
    assert routes == [(("GET",), None), (("GET",), "/v1/items/all/x"), (("GET",), "/api/items/all/x")]


def test_add_api_route_websocket_and_api_route_methods() -> None:
    found = table(_index({
        "main.py": """
            from fastapi import FastAPI, APIRouter, Depends
            def auth(): ...
            def listing(): ...
            app = FastAPI()
            router = APIRouter(prefix="/r", dependencies=[Depends(auth)], tags=["r"])
            router.add_api_route("/list", listing, methods=["GET", "HEAD"], response_model=list, status_code=200)
            @router.websocket("/ws")
            async def ws(socket): ...
            app.include_router(router, prefix="/v1", tags=["v1"])
        """,
    }))
    assert [(r.methods, r.path, r.function, r.response_model, r.status_code, r.tags) for r in found.routes] == [
        (("GET", "HEAD"), "/v1/r/list", "listing", "list", "200", ("v1", "r")),
        (("WEBSOCKET",), "/v1/r/ws", "ws", None, None, ("v1", "r")),
    ]
    assert [(d.target, d.level) for d in found.routes[0].dependencies] == [("main.auth", "router")]


def test_the_apps_own_router_includes_for_the_app_and_handed_routers_are_not_unincluded() -> None:
    routes, unincluded = _paths({
        "main.py": """
            from fastapi import FastAPI, APIRouter
            from versioning import VersionedFastAPI
            app = FastAPI()
            inner = APIRouter(prefix="/inner")
            handed = APIRouter(prefix="/handed")
            @inner.get("/i")
            def i(): ...
            @handed.get("/h")
            def h(): ...
            app.router.include_router(inner, prefix="/api")
            versioned = VersionedFastAPI(app, routers=[handed])
        """,
    })
    assert routes == [(("GET",), "/api/inner/i")]
    assert unincluded == []


# -- fixture projects: one pattern each, ``# serves: METHOD /path[, METHOD /path]`` on the
# lines that register what FastAPI serves (checked against app.routes with
# bench/routes_vs_app.py); the table must list exactly those
_SERVES = re.compile(r"#\s*serves:\s*(.+)$")
PATTERNS = sorted(d for d in os.listdir(os.path.join(FIXTURES, "routes"))
                  if os.path.isdir(os.path.join(FIXTURES, "routes", d)) and d != "app")


def _served(folder: str) -> Set[Tuple[str, str]]:
    expected: Set[Tuple[str, str]] = set()
    for base, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(base, name), encoding="utf-8") as handle:
                    for line in handle:
                        found = _SERVES.search(line)
                        for pair in found.group(1).split(",") if found else ():
                            method, path = pair.split()
                            expected.add((method, path))
    return expected


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_fixture_lists_what_fastapi_serves(pattern: str, capsys) -> None:
    folder = os.path.join(FIXTURES, "routes", pattern)
    expected = _served(folder)
    assert expected, f"{pattern}: no '# serves:' expectation"
    assert run(["routes", folder, "--project-root", folder, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["routes"]
    assert {(m, r["path"]) for r in listed for m in r["methods"]} == expected


def test_handler_with_python_314_except_syntax_keeps_its_route() -> None:
    # ``except A, B:`` (PEP 758) does not parse before 3.14: the route around it was lost
    routes, _ = _paths({
        "main.py": """
            from fastapi import APIRouter, FastAPI
            app = FastAPI()
            @app.get("/refresh")
            async def refresh():
                try:
                    return await fetch()
                except ValueError, KeyError:
                    return None
            @app.get("/other")
            def other():
                try:
                    pass
                except ValueError, KeyError:
                    pass
                x = [
            @app.get("/kept")
            def kept(): ...
            def make():
                router = APIRouter()
                @router.get("/made")
                def made(): ...
                try:
                    pass
                except ValueError, KeyError:
                    pass
                return router
            app.include_router(make())
        """,
    })
    # a body that parses under no Python still leaves its decorators and signature
    assert routes == [(("GET",), "/refresh"), (("GET",), "/other"), (("GET",), "/kept"), (("GET",), "/made")]


@given(st.text(), st.lists(st.tuples(st.text(), st.text()), max_size=3))
def test_bind_leaves_text_without_a_parameter_alone(text: str, arguments) -> None:
    assume(PARAMETER not in text)
    assert bind(text, tuple(arguments)) == text


def test_bind_uses_the_argument_then_the_default_else_gives_none() -> None:
    prefix = f"/{PARAMETER}1:name{PARAMETER}/{PARAMETER}-:mode=get{PARAMETER}"
    assert bind(prefix, (("1", "a"),)) == "/a/get"
    assert bind(prefix, (("name", "b"), ("mode", "post"))) == "/b/post"
    assert bind(prefix, (("0", "x"),)) is None


def test_handler_whose_body_needs_a_newer_python_keeps_its_route() -> None:
    # an f-string whose replacement field spans lines parses from 3.12 on: before, the whole
    # decorated function was lost; its decorators and signature are all the table needs
    routes, _ = _paths({
        "main.py": '''
            from fastapi import FastAPI, Depends
            app = FastAPI()
            def db(): ...
            @app.get(
                "/orders/{id}",  # the path:
            )
            async def get(id: int, session=Depends(db)) -> str:
                return f"{
                    id
                }"
            @app.get("/after")
            def after(): ...
        ''',
    })
    assert routes == [(("GET",), "/orders/{id}"), (("GET",), "/after")]
