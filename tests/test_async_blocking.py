"""FAPI101-105/112 behaviour the fixtures cannot express, and the classify_blocking contract."""
from __future__ import annotations

import pytest

from fastapi_lint.rules.async_._blocking import classify_blocking
from tests.helpers import found, lint_paths, lint_text

CODES = ("FAPI101", "FAPI102", "FAPI103", "FAPI104", "FAPI105", "FAPI112")

BLOCKING_ROUTE = """\
import subprocess
import time

import requests
from sqlalchemy.orm import Session


async def handler(db: Session, url: str) -> None:
    time.sleep(1)
    requests.get(url)
    subprocess.run(["ls"])
    open("x")
    db.commit()
"""


@pytest.mark.parametrize(
    "filename", ["tests/test_x.py", "test/api.py", "app/test_routes.py", "app/routes_test.py", "conftest.py"]
)
def test_test_files_are_exempt(filename: str) -> None:
    assert found(lint_text(BLOCKING_ROUTE, CODES, filename=filename)) == set()


def test_same_code_outside_tests_is_reported() -> None:
    got = {code for _, _, code in found(lint_text(BLOCKING_ROUTE, CODES, filename="app/routes.py"))}
    assert got == set(CODES)


def test_configured_test_paths_decide() -> None:
    result = lint_text(BLOCKING_ROUTE, CODES, filename="qa/checks.py", test_paths=("qa/**",))
    assert found(result) == set()


def test_messages_name_the_call_and_the_alternative() -> None:
    messages = {f.code: f.message for f in lint_text(BLOCKING_ROUTE, CODES).findings}
    assert "`requests.get()`" in messages["FAPI102"] and "httpx.AsyncClient" in messages["FAPI102"]
    assert "asyncio.create_subprocess_exec" in messages["FAPI103"]
    assert "`open()`" in messages["FAPI104"] and "aiofiles" in messages["FAPI104"]
    assert "`db.commit()`" in messages["FAPI105"] and "AsyncSession" in messages["FAPI105"]
    assert "timeout=" in messages["FAPI112"] and "forever" in messages["FAPI112"]


def test_httpx_message_states_the_implicit_default() -> None:
    result = lint_text("import httpx\nclient = httpx.AsyncClient()\n", ("FAPI112",))
    assert "5 s default" in result.findings[0].message
    assert result.findings[0].severity == "info"


def test_httpx_implicit_default_is_preview_behaviour() -> None:
    text = "import httpx\nclient = httpx.AsyncClient()\nnone = httpx.AsyncClient(timeout=None)\n"
    result = lint_text(text, ("FAPI112",), preview=False)
    assert found(result) == {(3, 8, "FAPI112")}
    assert result.findings[0].severity == "warning" and "forever" in result.findings[0].message


SERVED_ONLY = """import asyncio
import subprocess
import time

import requests


async def main(url: str) -> None:
    time.sleep(1)
    requests.get(url)
    subprocess.run(f"ls {url}", shell=True)


if __name__ == "__main__":
    asyncio.run(main("x"))
    requests.post("https://example.com/ping")
"""


@pytest.mark.parametrize("filename", ["app/tool.py", "scripts/tool.py", "alembic/versions/a1.py"])
def test_command_line_code_is_not_served(filename: str) -> None:
    codes = ("FAPI101", "FAPI102", "FAPI112", "FAPI301")
    text = SERVED_ONLY if filename == "app/tool.py" else SERVED_ONLY.split("if __name__")[0]
    assert found(lint_text(text, codes, filename=filename)) == set()


def test_the_same_code_with_unknown_callers_is_served() -> None:
    codes = ("FAPI101", "FAPI102", "FAPI112", "FAPI301")
    got = {code for _, _, code in found(lint_text(SERVED_ONLY.split("if __name__")[0], codes))}
    assert got == set(codes)


def test_script_paths_are_configurable() -> None:
    text = SERVED_ONLY.split("if __name__")[0]
    assert found(lint_text(text, ("FAPI101",), filename="ops/tool.py", script_paths=("ops/**",))) == set()
    assert found(lint_text(text, ("FAPI101",), filename="scripts/tool.py", script_paths=("ops/**",))) != set()


def test_redis_and_driver_messages() -> None:
    text = "import redis, psycopg2\nr = redis.Redis()\n\nasync def f():\n    r.get('k')\n    psycopg2.connect('')\n"
    messages = [f.message for f in lint_text(text, ("FAPI105",)).findings]
    assert "redis.asyncio" in messages[0] and "asyncpg" in messages[1]


@pytest.mark.parametrize(
    "resolved,code",
    [
        ("time.sleep", "FAPI101"),
        ("requests.get", "FAPI102"),
        ("requests.Session().post", "FAPI102"),
        ("httpx.Client().get", "FAPI102"),
        ("urllib.request.urlopen", "FAPI102"),
        ("urllib3.PoolManager().request", "FAPI102"),
        ("subprocess.run", "FAPI103"),
        ("subprocess.Popen().communicate", "FAPI103"),
        ("os.system", "FAPI103"),
        ("builtins.open", "FAPI104"),
        ("pathlib.Path().read_text", "FAPI104"),
        ("pathlib.Path().parent.resolve().write_bytes", "FAPI104"),
        ("shutil.copyfileobj", "FAPI104"),
        ("psycopg2.connect", "FAPI105"),
        ("sqlalchemy.orm.Session().query", "FAPI105"),
        ("sqlmodel.Session().exec", "FAPI105"),
        ("sqlmodel.Session().get", "FAPI105"),
        ("sqlalchemy.orm.sessionmaker()().commit", "FAPI105"),
        ("sqlalchemy.orm.scoped_session().execute", "FAPI105"),
        ("sqlalchemy.create_engine().connect", "FAPI105"),
        ("sqlalchemy.create_engine().connect().execute", "FAPI105"),
        ("sqlite3.connect().cursor().fetchall", "FAPI105"),
        ("redis.Redis().hgetall", "FAPI105"),
        ("redis.from_url().set", "FAPI105"),
        ("redis.Redis().pipeline().execute", "FAPI105"),
        # not blocking
        ("sqlalchemy.orm.Session().add", None),
        ("sqlalchemy.orm.Session().query().filter", None),
        ("sqlalchemy.ext.asyncio.AsyncSession().execute", None),
        ("redis.asyncio.Redis().get", None),
        ("redis.Redis().pipeline", None),
        ("httpx.AsyncClient().get", None),
        ("subprocess.Popen", None),
        ("asyncio.create_subprocess_exec", None),
        ("aiofiles.open", None),
        ("anyio.Path().read_text", None),
        ("pathlib.Path().exists", None),
        ("pathlib.Path().name.open", None),
        ("pathlib.PurePath().read_text", None),
        ("<local>.open", None),
        (None, None),
    ],
)
def test_classify_blocking(resolved, code) -> None:
    assert classify_blocking(resolved) == code


def test_clients_created_in_another_project_module(tmp_path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(
        "from pathlib import Path\nimport requests\n\n"
        "BASE_DIR = Path(__file__).parent\nhttp_client = requests.Session()\n"
    )
    (tmp_path / "app" / "main.py").write_text(
        "from app.config import BASE_DIR, http_client\n\n\n"
        "async def handler() -> None:\n"
        "    (BASE_DIR / 'data.json').read_text()\n"
        "    http_client.get('https://example.com', timeout=5)\n"
    )
    result = lint_paths([str(tmp_path)], codes=("FAPI102", "FAPI104"), root=str(tmp_path))
    assert not result.errors
    assert found(result) == {(5, 5, "FAPI104"), (6, 5, "FAPI102")}


def test_script_paths_option_is_read_from_config(tmp_path) -> None:
    from fastapi_lint.config import DEFAULT_SCRIPT_PATHS, parse_section

    config = parse_section({"extend-script-paths": ["ops/**"]}, str(tmp_path / "pyproject.toml"))
    assert config.script_paths == DEFAULT_SCRIPT_PATHS + ("ops/**",)
    assert parse_section({"script-paths": ["tools/**"]}, str(tmp_path / "pyproject.toml")).script_paths == ("tools/**",)


def test_chain_ends_at_the_query_in_a_context_managers_block() -> None:
    import os

    from tests.helpers import FIXTURES

    project = os.path.join(FIXTURES, "FAPI106")
    result = lint_paths([project], codes=["FAPI106"], root=project)
    messages = {f.message for f in result.findings if f.path.endswith("scoped_routes.py")}
    assert any("count_users -> sqlalchemy.orm.Session().execute" in m for m in messages), messages
    assert any("cannot run a context manager" in m for m in messages), messages
