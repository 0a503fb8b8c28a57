"""Prefilters (``applies_to``) of the lifecycle and models rules: FAPI401-405, 407, 501, 502.

A prefilter may let through files the rule does not report on, never one it reports on.
Each "reported" case is linted without prefilters first, to check that the rule does report
there (a case it does not report on would prove nothing), then with them.
"""
from __future__ import annotations

import os
import textwrap
import time
from typing import Dict, List, Tuple

import pytest

from fastapi_lint.config import Config
from fastapi_lint.registry import all_rules
from fastapi_lint.rules import _text
from fastapi_lint.runner import run_paths
from tests.helpers import rules_for


def _applies(code: str, text: str) -> bool:
    rule = all_rules()[code]
    return rule.applies_to(textwrap.dedent(text), rule.option_defaults())


def _lint(root: str, code: str, prefilter: bool) -> List[Tuple[str, int, int]]:
    config = Config(root=root, preview=True, select=(code,))
    result = run_paths([root], config, rules_for((code,)), prefilter=prefilter)
    assert not result.errors
    return sorted((os.path.relpath(f.path, root), f.line, f.column) for f in result.findings)


# (code, files of a project, the file the finding is in)
REPORTED: List[Tuple[str, Dict[str, str], str]] = [
    ("FAPI401", {"main.py": """\
        from fastapi import FastAPI

        app = FastAPI()
        (app.on_event)("startup")(print)
        """}, "main.py"),
    ("FAPI401", {"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
                 "events.py": """\
        from main import app

        app.router . add_event_handler(
            "shutdown", print)
        """}, "events.py"),
    # line breaks as old Macs wrote them (Python reads them too), a comment inside the gap
    ("FAPI401", {"main.py": "from fastapi import FastAPI\rapp = FastAPI()\r(app.  # c\r  on_event)('startup')(print)\r"},
     "main.py"),
    ("FAPI402", {"deps.py": """\
        from fastapi import (
            Depends  # injected
            as D,
        )

        def get_user(db=D(print)): ...
        """}, "deps.py"),
    ("FAPI402", {"deps.py": """\
        from fastapi import Depends

        Inject = Depends
        Provide = Inject

        def get_user(db = Provide (print)): ...
        """}, "deps.py"),
    ("FAPI402", {"deps.py": """\
        import fastapi as F

        def items(limit: int = (
            # the page size
            F . Query(20)
        )): ...
        """}, "deps.py"),
    # in the fastapi package itself, `Depends` comes from a relative import
    ("FAPI402", {"fastapi/__init__.py": "", "fastapi/params.py": "def Depends(dependency=None): ...\n",
                 "fastapi/routing.py": """\
        from .params import Depends

        def endpoint(x=Depends()): ...
        """}, "fastapi/routing.py"),
    # the session factory's name says nothing: it is one because db.py makes it one
    ("FAPI403", {"app/__init__.py": "", "app/db.py": """\
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        async_session = async_sessionmaker(create_async_engine("sqlite+aiosqlite://"))
        """, "app/routes.py": """\
        from fastapi import APIRouter

        from app.db import async_session

        router = APIRouter()

        @router.get("/items")
        async def items():
            async with async_session() as db:
                return db
        """}, "app/routes.py"),
    # a decorator in parentheses may span lines (PEP 614)
    ("FAPI403", {"main.py": """\
        from fastapi import FastAPI
        from sqlalchemy import create_engine

        app = FastAPI()

        @(
            app.get("/")
        )
        def index():
            return create_engine("sqlite://")
        """}, "main.py"),
    ("FAPI404", {"app/__init__.py": "", "app/db.py": """\
        import sqlite3

        def get_conn():
            conn = sqlite3.connect("x.db")
            yield conn
            conn.close()
        """, "app/routes.py": """\
        from fastapi import APIRouter, Depends

        from app.db import get_conn

        router = APIRouter()

        @router.get("/")
        def read(conn=Depends(get_conn)): ...
        """}, "app/db.py"),
    # `deque as dq`: no `deque(` in the text; the dependency is one because routes.py says so
    ("FAPI405", {"app/__init__.py": "", "app/state.py": """\
        from collections import deque as dq

        try:
            import ujson as json
        except ImportError:
            import json
            waiting = dq()

        def enqueue(item: str) -> None:
            (waiting
                .append(item))
        """, "app/routes.py": """\
        from fastapi import APIRouter, Depends

        from app.state import enqueue

        router = APIRouter()

        @router.post("/")
        def post(_=Depends(enqueue)): ...
        """}, "app/state.py"),
    ("FAPI405", {"main.py": """\
        from fastapi import FastAPI

        app = FastAPI()
        seen =  {}

        @app.post("/{key}")
        def remember(key: str) -> None:
            seen [key] = True
        """}, "main.py"),
    # a form feed starts the line of a statement of the top-level `if`
    ("FAPI405", {"main.py": "from fastapi import FastAPI\nimport os\napp = FastAPI()\n"
                            "\fif os.name:\n    pass\n\f    seen = {}\n\n"
                            "@app.post('/')\ndef remember() -> None:\n    seen.clear()\n"}, "main.py"),
    ("FAPI407", {"test_app.py": """\
        from httpx import AsyncClient as AC

        from main import app

        async def test_root() -> None:
            async with AC(
                base_url="http://test",
                app  =  app,
            ) as client:
                await client.get("/")
        """}, "test_app.py"),
    # the field is reported where it is declared; the response model is another module's
    ("FAPI501", {"app/__init__.py": "", "app/base.py": """\
        from pydantic import BaseModel

        class UserBase(BaseModel):
            email: str
            apiKey: str
        """, "app/api.py": """\
        from fastapi import APIRouter

        from app.base import UserBase

        router = APIRouter()

        class UserView(UserBase):
            pass

        @router.get("/me", response_model=UserView)
        def me(): ...
        """}, "app/base.py"),
    # a model of another module: neither `pydantic` nor `BaseModel` in the text
    ("FAPI502", {"app/__init__.py": "", "app/models.py": """\
        from pydantic import BaseModel

        class UserIn(BaseModel):
            name: str
        """, "app/service.py": """\
        from app.models import UserIn

        def save(user: UserIn) -> dict:
            return user.dict()
        """}, "app/service.py"),
    ("FAPI502", {"models.py": """\
        from pydantic import BaseModel, Field
        from pydantic import validator as check

        class Tags(BaseModel):
            tags: list = Field(max_items = 3)

            @check("tags")
            def strip(cls, v): ...
        """}, "models.py"),
]


@pytest.mark.parametrize("code,files,where", REPORTED, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(REPORTED)])
def test_prefilter_passes_files_the_rule_reports_on(tmp_path, code, files, where) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    root = str(tmp_path)
    unfiltered = _lint(root, code, prefilter=False)
    assert any(path == os.path.normpath(where) for path, _, _ in unfiltered), unfiltered
    assert _applies(code, files[where])
    assert _lint(root, code, prefilter=True) == unfiltered


# typical library and application code these rules have nothing to say about
REJECTED: List[Tuple[str, str]] = [
    ("FAPI401", """\
        class Router:
            def add_event_handler(self, event_type, func):
                self.on_event_handlers.append(func)
        """),
    ("FAPI402", """\
        from pathlib import Path
        HERE = Path(__file__).parent
        def load(path=Path("x")): ...
        """),
    ("FAPI402", """\
        from sqlalchemy.orm import Query
        def paginate(query=Query(None)): ...
        """),
    ("FAPI402", """\
        from typing import Annotated
        from fastapi import Depends, Query
        def items(db: Annotated[str, Depends(print)], limit: Annotated[int, Query()] = 20): ...
        """),
    ("FAPI403", """\
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker
        engine = create_engine("sqlite://")
        SessionLocal = sessionmaker(bind=engine)
        def get_session():
            return SessionLocal()
        """),
    ("FAPI404", """\
        def walk(tree):
            yield from tree.children
            yield
        """),
    ("FAPI405", """\
        MAPPING = {"a": 1}
        def lookup(key):
            result = []
            result.append(MAPPING[key])
            counts = {}
            counts[key] = 1
            return result
        """),
    ("FAPI407", """\
        from fastapi.testclient import TestClient
        from main import app
        app = app
        client = TestClient(app)
        """),
    # names the rule reads as no secret: another word (`tokens`), metadata (`token_type`)
    ("FAPI501", """\
        class Lexer(Base):
            tokens: list
            token_type: str
            password_hint: str
        """),
    ("FAPI501", """\
        def verify(password: str, hashed: str) -> bool: ...
        TOKEN_URL = "/token"
        payload = {"secret": 1}
        """),
    ("FAPI502", """\
        from pydantic import BaseModel, ConfigDict, field_validator
        class User(BaseModel):
            model_config = ConfigDict(from_attributes=True)
            @field_validator("name")
            def strip(cls, v): ...
        data = User(name="x").model_dump()
        other = dict(data).copy()
        """),
]


@pytest.mark.parametrize("code,text", REJECTED, ids=[f"{c}-{i}" for i, (c, _) in enumerate(REJECTED)])
def test_prefilter_rejects_code_without_the_pattern(code: str, text: str) -> None:
    assert not _applies(code, text)


@pytest.mark.parametrize("code,text", [
    ("FAPI402", "from fastapi import Depends\nx: Any = Depends\ndef f(a=x(print)): ...\n"),  # x unknown
    ("FAPI405", "cache = {}\ndef f():\n    (cache  # the cache\n        .clear())\n"),  # unreadable receiver
    ("FAPI407", "from httpx import Client\nClient(  # comment\n    app=app)\n"),
    ("FAPI501", "class A(B): x: int; password: str\n"),
    ("FAPI501", "class A(B):\n    (PRIVATE__KEY) : bytes\n"),
    ("FAPI502", "m.copy(deep=f(x), update={})\n"),
])
def test_prefilter_passes_what_it_cannot_read(code: str, text: str) -> None:
    assert _applies(code, text)


def test_gap_reads_a_comment_banner_in_linear_time() -> None:
    # `#[^\n]*` repeated would try every split of the `#` run: 2**60 on this text
    text = "x = 1  # the end.\n" + "#" * 60 + "\ny = 2\n"
    started = time.perf_counter()
    assert _text.method_call(["on_event"]).search(text) is None
    assert time.perf_counter() - started < 0.5


def test_aliases_follow_imports_and_assignments() -> None:
    text = "from fastapi import Depends as D\nE = D\nself.f = fastapi.Depends\n"
    assert _text.aliases(text, ["Depends"]) == {"Depends", "D", "E", "f"}
    assert _text.aliases("x: Any = Depends\n", ["Depends"]) is None


def test_resolution_into_a_package() -> None:
    assert _text.may_resolve_into("import fastapi\n", "fastapi", ["Depends"])
    assert _text.may_resolve_into("from . import params\n", "fastapi", ["Depends"])
    assert _text.may_resolve_into("class Depends:\n    pass\n", "fastapi", ["Depends"])
    assert _text.may_resolve_into("x = 1; Depends = make()\n", "fastapi", ["Depends"])
    assert not _text.may_resolve_into("isinstance(x, Depends) and f(x, Depends=1)\n", "fastapi", ["Depends"])
