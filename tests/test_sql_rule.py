"""FAPI302: severity by source (request or not), the message naming the value, the
`all-sources` option, and the project facts of constant-text helpers and validators."""
from __future__ import annotations

import textwrap

from fastapi_lint.project import ProjectIndex
from fastapi_lint.rules.security._text_facts import text_table
from tests.helpers import lint_paths, lint_text

ROUTE = textwrap.dedent("""\
    from fastapi import APIRouter, Depends
    from sqlalchemy import text

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def read_user(user_id: str, order: str, count: int, session=Depends(object)):
        await session.execute(text(f"SELECT * FROM users WHERE id = '{user_id}'"))
        await session.execute(text(f"SELECT * FROM users ORDER BY {order}"))
        await session.execute(text(f"SELECT * FROM users LIMIT {count}"))


    async def helper(session, name: str, table: str):
        await session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
        await session.execute(text(f"SELECT * FROM {table}"))
""")


def _findings(text: str, **config):
    return [f for f in lint_text(text, ["FAPI302"], **config).findings if f.code == "FAPI302"]


def test_request_values_are_errors_and_other_values_warnings() -> None:
    got = {(f.line, f.severity) for f in _findings(ROUTE)}
    # line 11: `count: int` is validated to an integer by FastAPI; line 16: an identifier
    # that does not come from the request
    assert got == {(9, "error"), (10, "error"), (15, "warning")}


def test_message_names_the_value_and_its_source() -> None:
    messages = {f.line: f.message for f in _findings(ROUTE)}
    assert "`user_id`, a path parameter, data from the request" in messages[9]
    assert "bound parameter" in messages[9]
    assert "`order`, a query parameter, data from the request" in messages[10]
    assert "allow-list" in messages[10]
    assert "`name`, a parameter" in messages[15]


def test_identifiers_and_code_outside_requests_are_reported_with_the_option() -> None:
    options = (("FAPI302", (("all-sources", True),)),)
    got = {(f.line, f.severity) for f in _findings(ROUTE, options=options)}
    assert (16, "warning") in got
    for filename in ("alembic/versions/001_fix.py", "scripts/reset.py", "tests/test_users.py"):
        assert {f.line for f in _findings(ROUTE, filename=filename)} == {9, 10}
        assert {f.line for f in _findings(ROUTE, filename=filename, options=options)} == {9, 10, 15, 16}
    script = ROUTE + "\n\nif __name__ == '__main__':\n    pass\n"
    assert {f.line for f in _findings(script)} == {9, 10}
    tool = ROUTE.replace("from fastapi import", "import argparse\nfrom fastapi import")
    assert {f.line for f in _findings(tool)} == {10, 11}


def test_sql_string_that_is_never_run_is_not_reported() -> None:
    text = textwrap.dedent("""\
        import subprocess

        def dump(host, name):
            command = f"psql -h {host} -c 'SELECT * FROM users WHERE name = {name}'"
            subprocess.run(command, shell=True)
            label = f"SELECT * FROM users WHERE name = '{name}'"
            print(label)
    """)
    assert not _findings(text)


def test_project_text_helpers_and_validators_are_project_facts(tmp_path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "sqlutil.py").write_text(textwrap.dedent("""\
        import re

        _NAME = re.compile(r"^[a-z_]+$")


        def now_placeholder(key):
            return "to_timestamp(:" + key + ")"


        def ensure_name(name):
            if not _NAME.match(name):
                raise ValueError(name)


        def read_marker(path):
            return open(path).read()
    """))
    (app / "crud.py").write_text(textwrap.dedent("""\
        from app.sqlutil import ensure_name, now_placeholder, read_marker


        def touch(cursor, tenant, path):
            cursor.execute(f"UPDATE t SET at = {now_placeholder('at')} WHERE id = :id")
            ensure_name(tenant)
            cursor.execute(f"DELETE FROM t WHERE tenant = '{tenant}'")
            cursor.execute(f"DELETE FROM t WHERE tenant = '{read_marker(path)}'")
    """))
    result = lint_paths([str(tmp_path)], ("FAPI302",), root=str(tmp_path))
    assert [(f.path.rpartition("/")[2], f.line) for f in result.findings] == [("crud.py", 8)]


def test_text_table_requires_every_definition_of_a_name_to_agree() -> None:
    helper = "def label(key):\n    return f':{key}'\n\ndef run(db):\n    db.execute(label('x'))\n"
    project = ProjectIndex(root="/p")
    project.add("/p/a.py", helper)
    project.add("/p/b.py", "class B:\n    def label(self, key):\n        return self.load(key)\n"
                           "    def run(self, db):\n        db.execute(self.label('x'))\n")
    table = text_table(project)
    assert table is not None and "label" not in table.text
    project = ProjectIndex(root="/p")
    project.add("/p/a.py", helper)
    assert text_table(project).text["label"] == frozenset({"key"})


def test_only_modules_that_may_matter_are_read() -> None:
    """The project pass reads every module: modules without SQL, routes, checks or `Literal`
    types are not read for these facts."""
    project = ProjectIndex(root="/p")
    project.add("/p/a.py", "def label(key):\n    return f':{key}'\n")
    assert text_table(project).params == {}


def test_request_data_passed_through_project_functions_is_an_error(tmp_path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "crud.py").write_text(textwrap.dedent("""\
        from sqlalchemy import text


        async def find(session, column, email):
            return await lookup(session, column, value=email)


        async def lookup(session, column, value):
            await session.execute(text(f"SELECT * FROM users WHERE {column} = '{value}'"))


        async def audit(session, table):
            await session.execute(text(f"SELECT * FROM {table}"))
    """))
    (app / "api.py").write_text(textwrap.dedent("""\
        from fastapi import APIRouter, Depends

        from app import crud

        router = APIRouter()


        @router.get("/users")
        async def search(email: str, session=Depends(object)):
            await crud.audit(session, "users")
            return await crud.find(session, "email", email)
    """))
    result = lint_paths([str(tmp_path)], ("FAPI302",), root=str(tmp_path))
    got = [(f.path.rpartition("/")[2], f.line, f.severity, f.message) for f in result.findings]
    assert [g[:3] for g in got] == [("crud.py", 9, "error")]
    assert "`value`, a parameter that receives data from the request" in got[0][3]
