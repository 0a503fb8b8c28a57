"""Prefilters (``applies_to``) of the route and security rules.

Each accepted text is one the rule reports on (checked), so a prefilter that narrows too far
fails here; each rejected text is typical library code the prefilter must keep unparsed.
"""
from __future__ import annotations

import textwrap

import pytest

from fastapi_lint import prefilter
from fastapi_lint.registry import all_rules
from fastapi_lint.rules.security.hardcoded_secret import may_bind_secret
from tests.helpers import lint_paths, lint_text

ROUTER = "from fastapi import APIRouter\nrouter = APIRouter()\n"

# (code, text the rule reports on): aliases, odd spacing, line continuations, comments
REPORTED = [
    ("FAPI201", "from fastapi import APIRouter as R\nr = R()\n@r . get ( '/x')\ndef f():\n    return load()\n"),
    ("FAPI201", "from fastapi import FastAPI\napp = FastAPI()\n@(app.get)('/x')\ndef f():\n    return load()\n"),
    ("FAPI201", "from fastapi import FastAPI\napp = FastAPI()\n@app.get \\\n    ('/x')\ndef f():\n    return load()\n"),
    ("FAPI201", "from fastapi import FastAPI\napp = FastAPI()\ndef f():\n    return load()\napp.add_api_route('/x', f)\n"),
    ("FAPI202", ROUTER + "from typing import Dict as D\n@router.post('/x')\ndef f(body: D[str, int]) -> None: ...\n"),
    ("FAPI203", ROUTER + "@router.get('/{x}')\ndef f(x) -> None: ...\n"),
    ("FAPI204", ROUTER + "@router.post('/users')\ndef create_user(name: str) -> None:\n    save(name)\n"),
    ("FAPI204", ROUTER + "@router.api_route('/users', methods=['post'])\ndef create_user(name: str) -> None:\n    save(name)\n"),
    ("FAPI205", ROUTER + "@router.delete('/users/{id}')\ndef remove(id: int) -> None:\n    pass\n"),
    ("FAPI205", ROUTER + "@router.api_route('/u/{id}', methods=['DELETE'])\ndef remove(id: int) -> None:\n    pass\n"),
    ("FAPI206", ROUTER + "@router.get('/items/{item_id}')\ndef f(id: int) -> None: ...\n"),
    ("FAPI207", ROUTER + "@router.get('/a')\ndef f() -> None: ...\n@router.get('/a')\ndef g() -> None: ...\n"),
    ("FAPI207", ROUTER + "@router.api_route('/a', methods=['GET', 'GET'])\ndef f() -> None: ...\n"),
    ("FAPI208", ROUTER + "from slowapi import Limiter\nlimiter = Limiter(key_func=str)\n"
                "@limiter . limit('5/minute')\n@router.post('/login')\ndef login(request) -> None: ...\n"),
    ("FAPI301", "import subprocess\ndef f(cmd):\n    subprocess.run(cmd,\n        shell  # needed\n        = True)\n"),
    ("FAPI301", "from os import system as run_it\ndef f(name):\n    run_it(f'ls {name}')\n"),
    ("FAPI302", "def f(db, x):\n    db.execute(f\"SELECT * FROM users WHERE id = {x}\")\n"),
    ("FAPI302", "def f(db, x):\n    db.execute(\"\\n  (select a from t where id = \" + x)\n"),
    ("FAPI302", "def f(db, x):\n    q = 'delete'\n    q += ' from t where id = ' + x\n    db.execute(q)\n"),
    ("FAPI303", "from fastapi.middleware.cors import CORSMiddleware as C\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                "app.add_middleware(C, allow_origins=['*'], allow_credentials=True)\n"),
    ("FAPI304", "from fastapi.middleware.cors import CORSMiddleware\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                "app.add_middleware(CORSMiddleware, allow_origin_regex='.*')\n"),
    ("FAPI305", "SECRET_KEY = 'abc123'\n"),
    ("FAPI305", "def connect(password: str\n            = 'hunter2'): ...\n"),
    ("FAPI305", "def connect(password:\n            str = 'hunter2'): ...\n"),
    ("FAPI305", "def connect(password: Optional[\n    str] | None = 'hunter2'): ...\n"),
    ("FAPI305", "a_pi_key = 'abc'\n"),
    ("FAPI305", "from pydantic import Field as F\nclass S:\n    apiKey: str = F(default='abc')\n"),
    ("FAPI305", "settings = Settings(client_secret  # from the console\n    = 'abc')\n"),
    ("FAPI305", "token = backup = 'abc'\n"),
    ("FAPI305", "KEYS = ['ghp_" + "a" * 36 + "']\n"),
    ("FAPI305", "KEYS = ['rk_live_" + "a1B2" * 6 + "']\n"),
    ("FAPI305", "SAMPLE = ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2ln']\n"),
    ("FAPI305", "import jwt\njwt.encode({}, 'literal-key')\n"),
    ("FAPI306", "import yaml as y\ndef f(data):\n    return y.load(data)\n"),
    ("FAPI307", "import hashlib\ndef f(data):\n    return hashlib.new('SHA-1', data)\n"),
    ("FAPI307", "import hashlib\ndef f(user):\n    return hashlib.sha256(user.Pass_Word.encode())\n"),
    ("FAPI308", "from jose import jwt\ndef f(token, key):\n    return jwt.decode(token, key)\n"),
    ("FAPI309", ROUTER + "@router.get('/f/{name}')\ndef f(name: str) -> None:\n    open(name)\n"),
    ("FAPI309", "from fastapi import UploadFile as U\nasync def save(file: U) -> None:\n    open(file.filename, 'wb')\n"),
    ("FAPI310", "from fastapi import FastAPI\nfrom fastapi.responses import JSONResponse\napp = FastAPI()\n"
                "@app.exception_handler(Exception)\nasync def on(request, exc):\n    return JSONResponse({'e': str(exc)})\n"),
    ("FAPI310", ROUTER + "@router.get('/')\ndef f() -> dict:\n    try:\n        pass\n    except ValueError as e:\n"
                "        return {'detail': '%s' % e}\n"),
    ("FAPI311", ROUTER + "@router.post('/auth/log-in')\ndef enter() -> None: ...\n"),
]


@pytest.mark.parametrize("code,text", REPORTED, ids=[f"{c}-{i}" for i, (c, _) in enumerate(REPORTED)])
def test_prefilter_accepts_what_the_rule_reports(code: str, text: str) -> None:
    rule = all_rules()[code]
    assert code in {f.code for f in lint_text(text, (code,), filename="app/api.py").findings}
    assert rule.applies_to(text, rule.option_defaults())


# (code, library-like text without anything the rule could report)
REJECTED = [
    ("FAPI201", "value = mapping.get('key')\n@property\ndef get(self): return self._get()\n"),
    ("FAPI201", ROUTER + "@router.websocket('/ws')\nasync def ws(socket): ...\n"),
    ("FAPI202", ROUTER + "@router.post('/x')\ndef f(body: Item) -> Item: ...\n"),
    ("FAPI203", "@app.route('/')\ndef index(): ...\n"),
    ("FAPI204", ROUTER + "@router.get('/users')\ndef users(): ...\nrequests.post(url)\n"),
    ("FAPI205", ROUTER + "@router.get('/users')\ndef users(): ...\nsession.delete(obj)\n"),
    # one route may repeat another module's (full paths); without a route there is none
    ("FAPI207", ROUTER + "@property\ndef get(self) -> None: ...\n"),
    ("FAPI208", ROUTER + "@router.post('/x')\ndef f(): ...\nrows = query.limit(10)\n"),
    ("FAPI301", "\"\"\"Run the shell: see the file system.\"\"\"\ndef system_info():\n    return platform.system()\n"),
    ("FAPI302", "__all__ = ['delete', 'update']\nmethods = {'select': 1}\nprint('Please select an item from the list')\n"),
    ("FAPI302", "def f(d, x):\n    d.update(x)\n    return 'created'\nfrom a import b\n"),
    ("FAPI303", "from starlette.middleware.cors import CORSMiddleware\n__all__ = ['CORSMiddleware']\n"),
    ("FAPI305", "def f(token: str, x: int):\n    self.password = password\n    api_key: str\n"
                "    if token == 'x':\n        token = None\n"),
    ("FAPI305", "class Tokenizer:\n    '''Splits a password: never stores it.'''\n"),
    ("FAPI306", "import json\ndef f(s):\n    return json.loads(s)\n"),
    ("FAPI307", "import hashlib\ndef etag(data):\n    return hashlib.sha256(data).hexdigest()\n"),
    ("FAPI308", "import base64\ndef f(x):\n    return base64.b64decode(x).decode()\n"),
    ("FAPI309", "def read(path):\n    with open(path) as f:\n        return f.read()\n"),
    ("FAPI310", "class A:\n    def add(self, other):\n        return self.value + other\n"),
    ("FAPI311", ROUTER + "@router.post('/items')\ndef create_item(n: int): ...\n"),
]


@pytest.mark.parametrize("code,text", REJECTED, ids=[f"{c}-{i}" for i, (c, _) in enumerate(REJECTED)])
def test_prefilter_rejects_library_code(code: str, text: str) -> None:
    rule = all_rules()[code]
    assert not rule.applies_to(text, rule.option_defaults())


def test_handler_registered_in_another_module_is_not_filtered_out(tmp_path) -> None:
    """FAPI310 reads handlers registered by name anywhere in the project: the module defining
    one needs no `exc`/`except`/`Exception` in its text (the former TRIGGERS dropped it)."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "main.py").write_text(textwrap.dedent("""\
        from fastapi import FastAPI
        from app import handlers

        app = FastAPI()
        app.add_exception_handler(ValueError, handlers.on_error)
    """))
    handlers = textwrap.dedent("""\
        from fastapi.responses import JSONResponse


        async def on_error(request, err):
            return JSONResponse({"detail": str(err)}, status_code=400)
    """)
    (app / "handlers.py").write_text(handlers)
    result = lint_paths([str(tmp_path)], ("FAPI310",))
    assert [(f.path.rpartition("/")[2], f.line) for f in result.findings] == [("handlers.py", 5)]
    assert all_rules()["FAPI310"].applies_to(handlers, {})


def test_count_routes() -> None:
    assert prefilter.count_routes("@a.get('/')\n@b.post('/')\n") == 2
    assert prefilter.count_routes("@a.get('/')\nx.get(1)\n") == 1
    assert prefilter.count_routes("app.add_api_route('/', f)\n@a.get('/')\n") == 2
    assert prefilter.count_routes("@a.get('/')\n@b.get('/')\n@c.get('/')\n", limit=5) == 3


def test_secret_names_are_read_as_words_says_reads_them() -> None:
    for name in ("API_KEY", "apiKey", "APIKey", "a_pi_key", "stripe_api_key", "accessToken", "TOKEN",
                 "\u00e9l\u00e8ve_password"):
        assert may_bind_secret(f"{name} = 'x'\n"), name
    for name in ("apikei", "tokn", "api2key"):
        assert not may_bind_secret(f"{name} = 'x'\n"), name


def test_secret_names_after_non_ascii_text() -> None:
    """Lower-casing `\u0130` takes two characters: positions must not shift."""
    prefix = "doc = '\u0130\u0130\u0130'\n"
    assert may_bind_secret(prefix + "token = 'abc'\n")
    assert not may_bind_secret(prefix + "token: str\ntoken = None\n")


@pytest.mark.parametrize("source, expected", [
    # built: an f-string with a hole, `+`, `%`, `.format()`, `+=`, a name followed to its text
    ('def f(x):\n    return f"SELECT a FROM t WHERE id = {x}"\n', True),
    ('def f(x):\n    return "SELECT a FROM t WHERE id = " + x\n', True),
    ('def f(x):\n    return "SELECT a FROM t WHERE id = %s" % x\n', True),
    ('def f(x):\n    return "SELECT a FROM t WHERE id = {}".format(x)\n', True),
    ('def f(x):\n    q = "SELECT a FROM t"\n    q += " WHERE id = " + x\n    return q\n', True),
    ('BASE = "SELECT a FROM t"\n\ndef f(x):\n    return f"{BASE} WHERE id = {x}"\n', True),
    ('def f(x):\n    base = "SELECT a"\n    rest = base\n    return f"{rest} FROM t WHERE id = {x}"\n', True),
    # not built: SQL in constants, in docstrings, in an f-string without a hole
    ('from sqlalchemy import text\n\nQUERY = text("SELECT a FROM t")\n\ndef f(x):\n    return f"{x}!"\n', False),
    ('def f(x):\n    """SELECT a FROM t."""\n    return x + 1\n', False),
    ('def f():\n    return f"SELECT a FROM t"\n', False),
])
def test_sql_strings_fact_is_what_the_module_builds(source: str, expected: bool) -> None:
    from fastapi_lint.project.index import LazyAst
    from fastapi_lint.rules.security.sql_string_building import _built_strings, may_build_sql

    assert may_build_sql("\n".join(_built_strings(LazyAst(source)))) is expected


@pytest.mark.parametrize("source, expected", [
    ('API_KEY = "f3a9c1d2e4b5"\n', True),
    ('class Settings:\n    secret_key: str = "f3a9c1d2e4b5"\n', True),
    ('connect(password="hunter2-prod")\n', True),
    ('def login(token="f3a9c1d2e4b5"):\n    pass\n', True),
    ('def login(*, token="f3a9c1d2e4b5"):\n    pass\n', True),
    ('SECRET = os.getenv("SECRET", "f3a9c1d2e4b5")\n', True),
    ('self.client_secret = "f3a9c1d2e4b5"\n', True),
    # names that say a secret, values that are not one
    ('token_type = "bearer"\n', False),
    ('API_KEY = os.getenv("API_KEY")\n', False),
    ('password_field = "password"\n', False),
    ('def f(token=None):\n    pass\n', False),
    ('fake_token = "f3a9c1d2e4b5"\n', False),
])
def test_secret_literals_fact(source: str, expected: bool) -> None:
    from fastapi_lint.project.index import LazyAst
    from fastapi_lint.rules.security.hardcoded_secret import _may_be_credential, _named_values

    assert any(_may_be_credential(name, value) for name, value in _named_values(LazyAst(source))) is expected


def test_a_key_format_or_jwt_key_still_passes_without_a_named_literal(tmp_path) -> None:
    from fastapi_lint.project.index import ProjectIndex
    from fastapi_lint.rules.security.hardcoded_secret import SECRET_LITERALS, HardcodedSecret

    sources = {
        "keys.py": 'token_type = "bearer"\nAWS = "AKIAIOSFODNN7EXAMPLE"\n',
        "jwt_use.py": 'import jwt\n\ntoken_type = "bearer"\n\ndef f(p):\n    return jwt.encode(p, "s3cr3t-value")\n',
        "plain.py": 'token_type = "bearer"\n',
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    index = ProjectIndex.build([(str(tmp_path / n), t) for n, t in sources.items()], str(tmp_path))
    for name, text in sources.items():
        path = str(tmp_path / name)
        assert index.file_fact(path, SECRET_LITERALS) is False
        assert HardcodedSecret.applies_in_project(text, index, path) is (name != "plain.py")


@pytest.mark.parametrize("call, expected", [
    ('logger.info("Token refreshed for user %s", user_id)', False),  # a message's words
    ('logger.info(f"Token refreshed for {user_id}")', False),
    ('logger.info("refreshed %s", token)', True),
    ('logger.info(f"refreshed {token}")', True),
    ('logger.info("refreshed", extra={"api_key": key})', True),
    ('logger.info("%s", data["password"])', True),
    ('logger.info(headers.get("authorization"))', True),
    ('logger.info("{}".format(x), password=pw)', True),
])
def test_secret_in_log_reads_the_code_of_what_is_logged(tmp_path, call: str, expected: bool) -> None:
    from fastapi_lint.project.index import ProjectIndex
    from fastapi_lint.rules.logging.secret_in_log import SecretInLog

    text = f"import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef f(user_id, token, key, data, headers, x, pw):\n    {call}\n"
    path = tmp_path / "app.py"
    path.write_text(text)
    index = ProjectIndex.build([(str(path), text)], str(tmp_path))
    assert SecretInLog.applies_in_project(text, index, str(path)) is expected
