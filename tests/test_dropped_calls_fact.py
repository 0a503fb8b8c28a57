"""The project pass's fact behind FAPI111's prefilter: a superset of what the rule reports,
read on the ast, so that modules that await every coroutine they make are not parsed."""
from __future__ import annotations

import textwrap

import pytest

from fastapi_lint.project.index import LazyAst, ProjectIndex
from fastapi_lint.rules.async_.unawaited_coroutine import DROPPED_CALLS, UnawaitedCoroutine, _DroppedCalls


def _fact(source: str):
    return _DroppedCalls(LazyAst(textwrap.dedent(source))).find()


@pytest.mark.parametrize("source, expected", [
    # a method of a session or client, dropped or held and never used whole
    ("async def f(db):\n    db.commit()\n", (True, False)),
    ("async def f(db):\n    row = db.get(1)\n    return row.id\n", (True, False)),
    ("x = 1\nprint(x)\nx = client.get('/')\n", (True, False)),  # the use before does not count
    ("async def f(db):\n    x = db.get(1)\nx = 2\nprint(x)\n", (True, False)),  # nor one after its function
    ("asyncio.sleep(1)\n", (True, False)),
    # a coroutine function of the module's, or a name that may be bound to one
    ("async def save():\n    pass\ndef f():\n    save()\n", (False, True)),
    ("class A:\n    async def save(self):\n        pass\n    def f(self):\n        self.save()\n", (False, True)),
    ("from asyncio import sleep as nap\nnap(1)\n", (False, True)),
    ("async def f(db):\n    commit = db.commit\n    commit()\n", (False, True)),
    ("async def f(db):\n    with db.begin as go:\n        go()\n", (False, False)),  # not a coroutine's name
    ("def f(run):\n    go = run\n    go()\n", (False, True)),  # an alias: of what, the rule knows
    # a method held by an attribute of self (the rule resolves `self._commit` to it)
    ("class A:\n    def __init__(self, db):\n        self._commit = db.commit\n"
     "    async def f(self):\n        self._commit()\n", (False, True)),
    # a parameter is an instance of its annotation, never a coroutine function
    ("def f(callback):\n    callback()\n", (False, False)),
    # the rule's own coroutines: a module-level `async def` by name, a method through self only
    ("if True:\n    async def save():\n        pass\nsave()\n", (False, True)),
    ("def outer():\n    async def inner():\n        pass\n    inner()\n", (False, False)),
    ("async def run():\n    pass\nasyncio.run(main())\n", (False, False)),
    ("class A:\n    async def save(self):\n        pass\ndef f(a):\n    a.save()\n", (False, False)),
    ("async def f(db: AsyncSession):\n    db()\n", (False, False)),
    ("from app.helpers import *\nfoo()\n", (False, True)),
    # awaited, passed on, or nothing a coroutine could be
    ("async def save():\n    pass\nasync def f():\n    await save()\n", (False, False)),
    ("async def f(db):\n    await db.commit()\n", (False, False)),
    ("def f(d):\n    x = d.get('k')\n    return x\n", (False, False)),
    ("async def f(db):\n    x = db.get(1)\n    def g():\n        return x\n", (False, False)),
    ("def setup():\n    pass\nsetup()\nprint('ready')\n", (False, False)),
    ("from app import configure\nconfigure()\n", (False, False)),
    ("a = b = db.get(1)\n", (False, False)),  # two targets: the rule holds only one name
])
def test_dropped_calls(source: str, expected) -> None:
    assert _fact(source) == expected


def _index(tmp_path, source: str):
    path = tmp_path / "app.py"
    path.write_text(source)
    return ProjectIndex.build([(str(path), source)], str(tmp_path)), str(path), source


def test_a_module_that_awaits_every_coroutine_is_not_parsed_for_fapi111(tmp_path) -> None:
    index, path, text = _index(tmp_path, "async def save():\n    pass\n\nasync def f():\n    await save()\n")
    assert index.summary_for(path).extra[DROPPED_CALLS] == (False, False)
    assert UnawaitedCoroutine.applies_to(text, {})  # the text check alone would parse it
    assert not UnawaitedCoroutine.applies_in_project(text, index, path)


def test_a_module_that_drops_one_is(tmp_path) -> None:
    index, path, text = _index(tmp_path, "async def save():\n    pass\n\ndef f():\n    save()\n")
    assert UnawaitedCoroutine.applies_in_project(text, index, path)


def test_a_module_the_ast_cannot_read_is_parsed(tmp_path) -> None:
    index, path, text = _index(tmp_path, "async def save():\n    pass\n\ndef f(:\n    save()\n")
    assert DROPPED_CALLS not in index.summary_for(path).extra
    assert UnawaitedCoroutine.applies_in_project(text, index, path)


def test_a_project_client_name_counts_only_as_a_whole_name(tmp_path) -> None:
    """``session`` bound to an async session in one module: another module that writes
    ``session`` may use it; one that only says ``db_session`` or ``sessionmaker`` cannot."""
    from fastapi_lint.rules.async_._async_io import uses_project_async_io

    db = "from sqlalchemy.ext.asyncio import AsyncSession\n\nsession = AsyncSession()\n"
    (tmp_path / "db.py").write_text(db)
    index = ProjectIndex.build([(str(tmp_path / "db.py"), db)], str(tmp_path))
    assert uses_project_async_io("from db import session\n", index)
    assert uses_project_async_io("import db\n\nasync def f():\n    db.session.commit()\n", index)
    assert not uses_project_async_io("def f(db_session):\n    db_session.commit()\n", index)
    assert not uses_project_async_io("from sqlalchemy.orm import sessionmaker\n", index)
    assert uses_project_async_io("from db import *\n", index)


@pytest.mark.parametrize("source, expected", [
    ("from db import session\n", True),
    ("from db import (\n    other,  # see (x)\n    session,\n)\n", True),
    ("from db import other, \\\n    session\n", True),
    ("import db\n\nasync def f():\n    db.session.commit()\n", True),
    ("import app\n\nasync def f():\n    app.db.session.commit()\n", True),
    ("async def f(x):\n    x[0].session.commit()\n", True),  # not a name: kept
    # a local name, written bare: not the other module's
    ("async def f(session):\n    session.commit()\n", False),
    # an attribute of self or cls is typed by the class (an import or a local name)
    ("class A:\n    async def f(self):\n        self.session.commit()\n", False),
    # a package on a module path
    ("from app.session.models import User\n\nasync def f(session):\n    session.commit()\n", False),
])
def test_a_project_client_name_reaches_a_module_only_through_an_import(tmp_path, source, expected) -> None:
    from fastapi_lint.rules.async_._async_io import uses_project_async_io

    db = "from sqlalchemy.ext.asyncio import AsyncSession\n\nsession = AsyncSession()\n"
    (tmp_path / "db.py").write_text(db)
    (tmp_path / "user.py").write_text(source)
    index = ProjectIndex.build([(str(tmp_path / "db.py"), db), (str(tmp_path / "user.py"), source)], str(tmp_path))
    assert uses_project_async_io(source, index, str(tmp_path / "user.py")) is expected
    # the module that binds it may use it bare
    assert uses_project_async_io(db + "\nasync def f():\n    session.commit()\n", index, str(tmp_path / "db.py"))


@pytest.mark.parametrize("source, expected", [
    ("async def f(db, ids):\n    for i in ids:\n        await db.execute(i)\n", True),
    ("async def f(db, ids):\n    async for i in ids:\n        await db.get(i)\n", True),
    ("async def f(db, ids):\n    while ids:\n        await run(ids.pop())\n", True),  # a name: may be a query
    ("async def f(db, ids):\n    return [await db.scalar(i) for i in ids]\n", True),
    ("async def f(db, ids):\n    rows = await db.execute(q)\n    for row in rows:\n        print(row)\n", False),
    ("async def f(client, ids):\n    for i in ids:\n        await client.post(i)\n", False),  # not a query method
    ("async def f(db):\n    await db.commit()\n", False),
])
def test_loop_awaits(source: str, expected: bool) -> None:
    from fastapi_lint.rules.async_.query_in_loop import _awaits_query_in_loop

    assert _awaits_query_in_loop(LazyAst(source)) is expected


def test_an_imported_name_counts_only_from_the_module_that_binds_it_to_an_async_client(tmp_path) -> None:
    """``session`` is an async session in ``db`` and a sync one in ``legacy``: importing it
    from ``legacy`` imports no coroutine (as the rule resolves it); from ``db``, under any
    alias, it does; a relative import is kept (not resolved here)."""
    from fastapi_lint.rules.async_._async_io import uses_project_async_io

    files = {
        "db.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\nsession = AsyncSession()\n",
        "legacy.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    index = ProjectIndex.build([(str(tmp_path / n), t) for n, t in files.items()], str(tmp_path))
    user = str(tmp_path / "user.py")
    assert not uses_project_async_io("from legacy import session\n", index, user)
    assert uses_project_async_io("from db import session as s\n", index, user)
    assert uses_project_async_io("from db import (\n    session,\n)\n", index, user)
    assert uses_project_async_io("from .db import session\n", index, user)
