"""Project-wide behaviour of the route rules that a single fixture file cannot show."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

from tests.helpers import found, lint_paths, lint_text


def write(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


LOGIN = '''
    from fastapi import APIRouter
    router = APIRouter()

    @router.post("/login")
    def login():
        return {}
'''


def test_global_slowapi_limits_cover_auth_endpoints(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/routes.py": LOGIN,
        "app/limits.py": '''
            from slowapi import Limiter
            from slowapi.util import get_remote_address
            limiter = Limiter(key_func=get_remote_address, default_limits=["100/minute"])
        ''',
        "app/main.py": '''
            from fastapi import FastAPI
            from slowapi.middleware import SlowAPIMiddleware
            app = FastAPI()
            app.add_middleware(SlowAPIMiddleware)
        ''',
    })
    assert not found(lint_paths([str(tmp_path)], codes=["FAPI311"]))


def test_default_limits_without_middleware_do_not_count(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/routes.py": LOGIN,
        "app/limits.py": 'limiter = Limiter(default_limits=["100/minute"])\n',
    })
    assert found(lint_paths([str(tmp_path)], codes=["FAPI311"])) == {(6, 5, "FAPI311")}


def test_body_alias_from_other_module_is_a_dependency(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/deps.py": '''
            from typing import Annotated
            from fastapi import Depends
            def get_settings() -> dict: ...
            Settings = Annotated[dict, Depends(get_settings)]
            RawBody = dict
        ''',
        "app/routes.py": '''
            from fastapi import APIRouter
            from app.deps import Settings
            router = APIRouter()

            @router.post("/items/{item_id}")
            def update(item_id: int, settings: Settings, payload: dict):
                return {}
        ''',
    })
    assert found(lint_paths([str(tmp_path)], codes=["FAPI202"])) == {(7, 46, "FAPI202")}


def test_path_parameter_unused_single_file() -> None:
    result = lint_text(textwrap.dedent('''
        from fastapi import FastAPI
        app = FastAPI()

        @app.get("/engagements/{engagement_id}")
        def get_engagement(signal_engagement_id: int):
            return {}
    '''), codes=["FAPI206"])
    assert found(result) == {(5, 10, "FAPI206")}
    assert "`{engagement_id}`" in result.findings[0].message


def _write(root, files) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_fapi201_follows_helpers_across_modules(tmp_path) -> None:
    """A helper re-exported by a package (by name or by a star import) decides what the
    route returns: a Response or a str is not a finding, an unknown record is."""
    _write(tmp_path, {
        "app/__init__.py": "",
        "app/core/__init__.py": "from .security import *\nfrom .auth import login\n",
        "app/core/security.py": "def create_file_token(path) -> str:\n    return str(path)\n",
        "app/core/auth.py": (
            "from fastapi.responses import JSONResponse\n\n"
            "def login(user):\n    return JSONResponse({'user': user})\n"
        ),
        "app/core/db.py": "def load(key):\n    return STORE[key]\n",
        "app/main.py": (
            "from fastapi import FastAPI\nfrom app.core import create_file_token, login\nfrom app.core.db import load\n\n"
            "app = FastAPI()\n\n"
            "@app.get('/token')\ndef token(path: str):\n    return {'fileToken': create_file_token(path)}\n\n"
            "@app.post('/login')\ndef do_login(name: str):\n    return login(name)\n\n"
            "@app.get('/record')\ndef record(key: str):\n    return load(key)\n"
        ),
    })
    result = lint_paths([str(tmp_path)], ["FAPI201"])
    assert {(f.path.replace("\\", "/").rsplit("app/", 1)[-1], f.line) for f in result.findings} == {("main.py", 16)}


def test_fapi201_method_returning_a_method_of_its_own_name(tmp_path) -> None:
    # `create_ticket` returns what a plugin's `create_ticket` returns: a cycle through the
    # method name must end (unknown), not recurse without end
    _write(tmp_path, {
        "app/__init__.py": "",
        "app/flows.py": (
            "def create_ticket(task, plugin):\n"
            "    ticket = plugin.instance.create_ticket(task)\n"
            "    return ticket\n"
        ),
        "app/main.py": (
            "from fastapi import FastAPI\nfrom app.flows import create_ticket\n\n"
            "app = FastAPI()\n\n"
            "@app.post('/ticket')\ndef ticket(task_id: int):\n    return create_ticket(task_id, None)\n"
        ),
    })
    result = lint_paths([str(tmp_path)], ["FAPI201"])
    assert not result.errors
    assert [(f.path.replace("\\", "/").rsplit("app/", 1)[-1], f.line) for f in result.findings] == [("main.py", 7)]
