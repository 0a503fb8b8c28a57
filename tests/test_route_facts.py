"""Route facts: prefixes, path placeholders and the shared parameter classification."""
from __future__ import annotations

import textwrap
from typing import Dict, Optional, Sequence, Tuple

import libcst as cst
import pytest

from fastapi_lint.project import signatures
from fastapi_lint.facts import ModuleFacts, path_parameters
from fastapi_lint.project import ProjectIndex

ROOT = "/tmp/fapi-route-facts"


def build(source: str, others: Sequence[Tuple[str, str]] = (), name: str = "app/main.py") -> ModuleFacts:
    source = textwrap.dedent(source)
    files = [(f"{ROOT}/{path}", textwrap.dedent(text)) for path, text in others]
    files.append((f"{ROOT}/{name}", source))
    project = ProjectIndex.build(files, ROOT)
    module_name = name[:-3].replace("/", ".")
    return ModuleFacts.build(cst.parse_module(source), name, module_name, project)


def sources(facts: ModuleFacts, function: str) -> Dict[str, str]:
    func = facts.functions[function]
    routes = facts.routes_of(func)
    path_params = routes[0].path_params if routes else ()
    return {p.name.value: facts.param_source(p, path_params).kind for p in routes[0].params} if routes else {
        p.name.value: facts.param_source(p).kind for p in func.params.params
    }


def test_path_parameters() -> None:
    assert path_parameters("/items/{item_id}/files/{file_path:path}") == ("item_id", "file_path")
    assert path_parameters("/plain") == ()


def test_router_prefix_counts_for_path_params() -> None:
    facts = build('''
        from fastapi import APIRouter
        router = APIRouter(prefix="/orgs/{org_id}")

        @router.get("/items/{item_id}")
        def read(org_id: int, item_id: int): ...
    ''')
    route = facts.routes_of(facts.functions["read"])[0]
    assert route.full_path == "/orgs/{org_id}/items/{item_id}"
    assert route.path_params == ("org_id", "item_id")


def test_every_kind() -> None:
    facts = build('''
        from typing import Annotated, Any, Dict, List, Optional
        from enum import Enum
        from fastapi import (BackgroundTasks, Body, Cookie, Depends, FastAPI, File, Form, Header,
                             Path, Query, Request, Response, Security, UploadFile)
        from fastapi.security import SecurityScopes
        from pydantic import BaseModel

        app = FastAPI()

        class Item(BaseModel):
            name: str

        class Color(str, Enum):
            red = "red"

        def dep(): ...

        @app.post("/items/{item_id}")
        def route(
            item_id: int,
            q: str,
            color: Color,
            tags: List[str],
            payload: dict,
            item: Item,
            a: Annotated[int, Depends(dep)],
            c: Annotated[str, Security(dep, scopes=["x"])],
            maybe: Optional[Item] = None,
            either: Item | None = None,
            b: int = Depends(dep),
            d: str = Header(None),
            e: Annotated[str | None, Cookie()] = None,
            f: Annotated[int, Path()] = 1,
            g: str = Form(...),
            h: UploadFile = File(...),
            i: Annotated[dict, Body()] = None,
            j: Annotated[List[int], Query()] = [],
            request: Request = None,
            response: Response = None,
            tasks: BackgroundTasks = None,
            scopes: SecurityScopes = None,
            untyped=None,
            anything: Any = None,
            imported: SomeImportedModel = None,
            level: SomeImportedEnum = SomeImportedEnum.high,
        ): ...
    ''')
    assert sources(facts, "route") == {
        "item_id": "path", "q": "query", "color": "query", "tags": "body", "payload": "body",
        "item": "body", "maybe": "body", "either": "body", "a": "depends", "b": "depends",
        "c": "depends", "d": "header", "e": "cookie", "f": "path", "g": "body", "h": "body",
        "i": "body", "j": "query", "request": "special", "response": "special", "tasks": "special",
        "scopes": "special", "untyped": "query", "anything": "query", "imported": "body",
        "level": "query",
    }


def test_marker_details() -> None:
    facts = build('''
        from typing import Annotated
        from fastapi import Depends, FastAPI, Path
        from fastapi.security import OAuth2PasswordRequestForm
        from app import deps

        app = FastAPI()

        @app.get("/{key}")
        def route(
            a: Annotated[int, Depends(deps.get_user)],
            b: OAuth2PasswordRequestForm = Depends(),
            c: int = Path(alias="key"),
        ): ...
    ''')
    route = facts.routes_of(facts.functions["route"])[0]
    a, b, c = (facts.param_source(p, route.path_params) for p in route.params)
    assert (a.kind, a.annotated, a.target, a.explicit) == ("depends", True, "app.deps.get_user", True)
    assert (b.kind, b.annotated, b.target) == ("depends", False, "fastapi.security.OAuth2PasswordRequestForm")
    assert b.marker is not None and b.explicit
    assert (c.kind, c.alias) == ("path", "key")


def test_annotated_alias_same_module_and_other_module() -> None:
    deps = '''
        from typing import Annotated
        from fastapi import Depends, Query
        from sqlmodel import Session

        def get_db(): ...
        def get_current_user(session: "SessionDep"): ...

        SessionDep = Annotated[Session, Depends(get_db)]
        CurrentUser = Annotated["User", Depends(get_current_user)]
        Page = Annotated[int, Query(ge=1)]
    '''
    facts = build('''
        from typing import Annotated
        from fastapi import APIRouter, Depends
        from app.api.deps import CurrentUser, SessionDep
        from app.api import deps as d

        router = APIRouter()
        Local = Annotated[int, Depends(lambda: 1)]

        @router.get("/")
        def route(user: CurrentUser, session: SessionDep, page: d.Page, local: Local, other: NotAnAlias): ...
    ''', others=[("app/api/deps.py", deps)], name="app/api/routes.py")
    route = facts.routes_of(facts.functions["route"])[0]
    found = {p.name.value: facts.param_source(p, route.path_params) for p in route.params}
    assert {k: v.kind for k, v in found.items()} == {
        "user": "depends", "session": "depends", "page": "query", "local": "depends", "other": "body",
    }
    assert found["user"].target == "app.api.deps.get_current_user"
    assert found["user"].annotated and found["user"].marker is None


def test_dependency_function_without_route() -> None:
    facts = build('''
        from fastapi import Depends
        def get_thing(item_id: int, db=Depends(get_db)): ...
    ''')
    assert sources(facts, "get_thing") == {"item_id": "query", "db": "depends"}


def test_routes_through_aliases_and_local_routers() -> None:
    facts = build('''
        import fastapi as f
        from fastapi.routing import APIRouter as R

        app = f.FastAPI()
        r = R()

        @app.websocket("/ws")
        async def ws(websocket: f.WebSocket): ...

        @r.api_route("/x", methods=["GET", "POST"])
        def both(): ...

        def make():
            inner = R()
            @inner.get("/y")
            def y(): ...
    ''')
    assert [r.methods for r in facts.routes_of(facts.functions["both"])] == [("GET", "POST")]
    ws = facts.routes_of(facts.functions["ws"])[0]
    assert ws.is_websocket and facts.param_source(ws.params[0], ()).kind == "special"


def test_project_consumed_names() -> None:
    deps = '''
        from typing import Annotated
        from fastapi import Depends, Path

        def get_org(org_id: int): ...
        def get_project(project_id: int, org=Depends(get_org)): ...
        Project = Annotated[dict, Depends(get_project)]

        class Checker:
            def __init__(self, role: str): ...
            def __call__(self, team_id: int, key: Annotated[str, Path(alias="team_key")]): ...

        checker = Checker("admin")

        class Filters:
            status: str
            page: int

        def factory(x):
            def inner(user_id: int): ...
            return inner

        def uses_alias(p: Project, unknown=Depends(make_it())): ...
    '''
    project = ProjectIndex.build([(f"{ROOT}/app/deps.py", textwrap.dedent(deps))], ROOT)

    def names(target: str) -> Optional[set]:
        found = signatures.consumed_names(project, target)
        return None if found is None else set(found)

    assert names("app.deps.get_project") == {"project_id", "org_id"}
    assert names("app.deps.checker") == {"team_id", "team_key"}
    assert names("app.deps.Checker()") == {"team_id", "team_key"}
    assert names("app.deps.Checker") == {"role"}
    assert names("app.deps.Filters") == {"status", "page"}
    assert names("app.deps.factory()") == {"user_id"}
    assert names("app.deps.uses_alias") is None  # make_it() is not in the project
    assert names("app.deps.missing") is None
    assert names("somelib.dependency") == set()


@pytest.mark.parametrize("text,expected", [
    ("x: int = Query(1)", "query"),
    ("x: Annotated[int, Query(), Depends(f)]", "depends"),  # FastAPI takes the last marker
])
def test_last_marker_wins(text: str, expected: str) -> None:
    facts = build(f'''
        from typing import Annotated
        from fastapi import Depends, FastAPI, Query
        app = FastAPI()

        @app.get("/")
        def route({text}): ...
    ''')
    assert sources(facts, "route") == {"x": expected}


def test_router_subclass_defined_in_module() -> None:
    facts = build('''
        from fastapi import APIRouter

        class VersionedRouter(APIRouter):
            pass

        v1 = VersionedRouter(prefix="/v1")

        @v1.get("/ping")
        def ping(): ...
    ''')
    assert [r.path for r in facts.routes_of(facts.functions["ping"])] == ["/ping"]


def test_enum_from_another_module_is_a_scalar() -> None:
    enums = '''
        from enum import Enum
        class Order(str, Enum):
            asc = "asc"
    '''
    facts = build('''
        from fastapi import FastAPI
        from app.enums import Order
        from app.schemas import Item
        app = FastAPI()

        @app.post("/")
        def route(order: Order, item: Item): ...
    ''', others=[("app/enums.py", enums), ("app/schemas.py", "class Item: ...\n")])
    assert sources(facts, "route") == {"order": "query", "item": "body"}


def test_factory_returning_module_functions_and_modules_without_depends() -> None:
    auth = '''
        def _required(token: str): ...
        def _optional(token_maybe: str = None): ...
        def authorizer(*, required: bool = True):
            return _required if required else _optional
    '''
    project = ProjectIndex.build([(f"{ROOT}/app/auth.py", textwrap.dedent(auth))], ROOT)
    assert signatures.consumed_names(project, "app.auth.authorizer()") == {"token", "token_maybe"}
    assert signatures.consumed_names(project, "app.auth._required") == {"token"}
