"""The async I/O objects FAPI111, FAPI113 and FAPI114 recognize, by resolved instance type.

Types follow the resolution convention of :mod:`fastapi_lint.facts`: an instance is written
with ``()`` (``db: AsyncSession`` -> ``"sqlalchemy.ext.asyncio.AsyncSession()"``).
"""
from __future__ import annotations

import functools
import re
from typing import Any, Optional, Tuple

from fastapi_lint.project.instances import project_instance, project_instance_names

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


def uses_project_async_io(text: str, project: Any) -> bool:
    """Whether ``text`` may use a name some project module binds to an async session,
    connection or client type (``db: DbSession``, imported from ``app/deps.py``): it writes
    one of those names, or star-imports."""
    names = project_instance_names(project, _ASYNC_IO_PREFIXES)
    if not names:
        return False
    if "import *" in text:
        return True
    # written as a name, not inside a longer one (`session` in `db_session`, `sessionmaker`);
    # the cheap substring test first, the word test only for the names it finds
    return any(name in text and _word(name).search(text) is not None for name in names)


@functools.lru_cache(maxsize=1024)
def _word(name: str) -> "re.Pattern[str]":
    return re.compile(r"(?<!\w)%s(?!\w)" % re.escape(name))


_ASYNC_IO_PREFIXES = ("sqlalchemy.ext.asyncio.", "sqlmodel.ext.asyncio.", "asyncpg.", "httpx.AsyncClient")
