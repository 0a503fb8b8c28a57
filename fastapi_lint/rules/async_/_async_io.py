"""The async I/O objects FAPI111, FAPI113 and FAPI114 recognize, by resolved instance type.

Types follow the resolution convention of :mod:`fastapi_lint.facts`: an instance is written
with ``()`` (``db: AsyncSession`` -> ``"sqlalchemy.ext.asyncio.AsyncSession()"``).
"""
from __future__ import annotations

import functools
import re
from typing import Any, Optional, Tuple

from fastapi_lint.project.instances import INSTANCES, project_instance, project_instance_names
from fastapi_lint.prefilter import lazy_pattern

# Database sessions and connections: one query at a time, and every query is a coroutine.
DB_TYPES = frozenset({
    "sqlalchemy.ext.asyncio.AsyncSession()",
    "sqlalchemy.ext.asyncio.session.AsyncSession()",
    "sqlmodel.ext.asyncio.session.AsyncSession()",
    "sqlalchemy.ext.asyncio.async_sessionmaker()()",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker()()",
    "sqlalchemy.ext.asyncio.AsyncConnection()",
    "sqlalchemy.ext.asyncio.engine.AsyncConnection()",
    "sqlalchemy.ext.asyncio.create_async_engine().connect()",
    "sqlalchemy.ext.asyncio.create_async_engine().begin()",
    "asyncpg.Connection()",
    "asyncpg.connection.Connection()",
    "asyncpg.connect()",
})
ASYNC_HTTP_TYPES = frozenset({"httpx.AsyncClient()", "httpx._client.AsyncClient()"})

# Methods that return a coroutine (AsyncSession.add/add_all/expunge are plain methods).
DB_COROUTINES = frozenset({
    "execute", "executemany", "commit", "refresh", "flush", "get", "get_one", "scalar", "scalars",
    "delete", "rollback", "close", "merge", "run_sync", "fetch", "fetchrow", "fetchval", "fetchmany",
})
HTTP_COROUTINES = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "aclose",
})
# Methods that run a query (FAPI114).
DB_QUERIES = frozenset({
    "execute", "executemany", "get", "get_one", "scalar", "scalars", "stream", "stream_scalars",
    "fetch", "fetchrow", "fetchval", "fetchmany",
})


def split_method(resolved: Optional[str]) -> Tuple[str, str]:
    """``"httpx.AsyncClient().get"`` -> ``("httpx.AsyncClient()", "get")``."""
    if resolved is None:
        return "", ""
    owner, _, method = resolved.rpartition(".")
    return owner, method


def is_db_query(resolved: Optional[str]) -> bool:
    owner, method = split_method(resolved)
    return owner in DB_TYPES and method in DB_QUERIES


def is_async_io_coroutine(resolved: Optional[str]) -> bool:
    owner, method = split_method(resolved)
    if owner in DB_TYPES:
        return method in DB_COROUTINES
    return owner in ASYNC_HTTP_TYPES and method in HTTP_COROUTINES


def through_project(project: Any, resolved: Optional[str]) -> Optional[str]:
    """``resolved`` with a head another project module defines rewritten to what it is:
    ``db: DbSession`` with ``DbSession = Annotated[AsyncSession, Depends(...)]`` in
    ``app/deps.py`` makes ``db.execute`` ``"sqlalchemy.ext.asyncio.AsyncSession().execute"``."""
    if resolved is None or resolved.startswith(("<local>", "builtins.")):
        return resolved
    owner, _ = split_method(resolved)
    if owner in DB_TYPES or owner in ASYNC_HTTP_TYPES:
        return resolved
    return project_instance(project, resolved) or resolved


def uses_project_async_io(text: str, project: Any, path: Optional[str] = None) -> bool:
    """Whether ``text`` may use a name some project module binds at module level to an async
    session, connection or client type (``db: DbSession``, imported from ``app/deps.py``).

    Another module's name reaches this file only through an import: ``from app.deps import
    DbSession`` (the name in an import statement), ``deps.DbSession`` (an attribute) or
    ``import *``. Written bare, it is the name of something local (a parameter called
    ``session``), unless this module is (``path``) one that binds it."""
    names = project_instance_names(project, _ASYNC_IO_PREFIXES)
    if not names:
        return False
    if "import *" in text:
        return True
    own = project.file_fact(path, INSTANCES) if path is not None else None
    for name in names:
        if name not in text:  # the cheap substring test first
            continue
        if path is None or (isinstance(own, dict) and name in own):
            if _word(name).search(text) is not None:
                return True
            continue
        if _module_attribute(name, text) or _imports_async_io(name, text, project):
            return True
    return False


def _imports_async_io(name: str, text: str, project: Any) -> bool:
    """Whether an import statement of ``text`` may bind ``name`` to an async session or
    client: ``from app.db import session`` where ``app.db``'s ``session`` is one, as the
    rule resolves it (a name of the same spelling in another module is not); any plain or
    relative import that names it."""
    for statement in _IMPORT_STATEMENT.finditer(text):
        names = statement.group()
        if name not in names or _word(name).search(names) is None:
            continue
        head = _FROM_HEAD.search(text, max(0, statement.start() - 300), statement.start())
        if head is None or head.group(1).startswith("."):
            return True  # ``import a.session``, ``from .db import session``: kept
        resolved = project_instance(project, f"{head.group(1)}.{name}")
        if resolved is not None and resolved.startswith(_ASYNC_IO_PREFIXES):
            return True
    return False


# what follows ``import``: ``from a import b``, ``from a import (b,\n c)``, ``import a.b as c``,
# with ``\`` continuations; and the ``from a`` before it
_FROM_HEAD = lazy_pattern(r"\bfrom[ \t]+(\.*[\w.]*)[ \t]+\Z")
_IMPORT_STATEMENT = lazy_pattern(r"\bimport\b[ \t]*(?:\((?:[^)#]|#[^\n]*\n)*\)|(?:[^\n\\]|\\[\s\S])*)")


@functools.lru_cache(maxsize=1024)
def _word(name: str) -> "re.Pattern[str]":
    return lazy_pattern(r"(?<!\w)%s(?!\w)" % re.escape(name))


def _module_attribute(name: str, text: str) -> bool:
    """Whether ``text`` reads ``name`` as an attribute of something that may be a module
    (``deps.session``, ``app.db.session``): not of ``self``/``cls`` (their attributes resolve
    through the class's own annotations, which are imports or local names), and not as a
    package in a ``from a.session.b import c`` module path."""
    for match in _attribute(name).finditer(text):
        head = _CHAIN_END.search(text, max(0, match.start() - 200), match.start())
        if head is None:
            return True  # ``(...).session``, ``x[0].session``: not a name, keep it
        if head.group(1) in ("self", "cls"):
            continue
        line = text.rfind("\n", 0, head.start()) + 1
        if _FROM.fullmatch(text, line, head.start()):
            continue
        return True
    return False


@functools.lru_cache(maxsize=1024)
def _attribute(name: str) -> "re.Pattern[str]":
    return lazy_pattern(r"\.\s*%s(?!\w)" % re.escape(name))


# the dotted chain that ends where a ``.name`` starts, and its first name
_CHAIN_END = lazy_pattern(r"(?<![\w.])(\w+)(?:[ \t]*\.[ \t]*\w+)*[ \t]*\Z")
_FROM = lazy_pattern(r"[ \t]*from[ \t]+")


_ASYNC_IO_PREFIXES = ("sqlalchemy.ext.asyncio.", "sqlmodel.ext.asyncio.", "asyncpg.", "httpx.AsyncClient")
