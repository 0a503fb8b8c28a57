"""Database sessions and connections: what creates one (FAPI403, FAPI404).

Session factories are recognised by type (``sessionmaker(...)`` instances) and, across
modules, by the project pass: ``SessionLocal = sessionmaker(...)`` in ``app/db.py`` makes
``app.db.SessionLocal`` a factory wherever it is imported.
"""
from __future__ import annotations

import re
from typing import Optional

from fastapi_lint.context import FileContext
from fastapi_lint.project import LazyAst, ModuleSummary, collector
from fastapi_lint.prefilter import lazy_pattern

# calls that create an engine, a session or a connection (resolved names)
CREATORS = {
    "sqlalchemy.create_engine": "a database engine",
    "sqlalchemy.engine.create_engine": "a database engine",
    "sqlmodel.create_engine": "a database engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "a database engine",
    "sqlalchemy.orm.sessionmaker": "a session factory",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "a session factory",
    "sqlalchemy.orm.Session": "a database session",
    "sqlalchemy.orm.session.Session": "a database session",
    "sqlmodel.Session": "a database session",
    "sqlalchemy.ext.asyncio.AsyncSession": "a database session",
    "sqlmodel.ext.asyncio.session.AsyncSession": "a database session",
    "asyncpg.connect": "a database connection",
    "asyncpg.create_pool": "a connection pool",
    "psycopg.connect": "a database connection",
    "psycopg.AsyncConnection.connect": "a database connection",
    "psycopg.Connection.connect": "a database connection",
}
# instances whose call opens a session: `SessionLocal = sessionmaker(...)`
FACTORY_INSTANCES = (
    "sqlalchemy.orm.sessionmaker()",
    "sqlalchemy.ext.asyncio.async_sessionmaker()",
    "sqlalchemy.orm.scoped_session()",
    "sqlalchemy.ext.asyncio.async_scoped_session()",
)
SESSION_FACTORIES = "session_factories"
# `SessionLocal = sessionmaker(...)` at the start of a line, in any module of the project
_FACTORY_ASSIGN = lazy_pattern(
    r"^([A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*(?:[\w.]+\.)?"
    r"(?:sessionmaker|async_sessionmaker|scoped_session|async_scoped_session)\s*\(",
    re.M,
)


@collector(SESSION_FACTORIES, triggers=("sessionmaker", "scoped_session"))
def _collect_session_factories(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    names = sorted({match.group(1) for match in _FACTORY_ASSIGN.finditer(text)})
    if names:
        summary.extra[SESSION_FACTORIES] = tuple(names)


def is_session_factory(ctx: FileContext, name: Optional[str]) -> bool:
    """``name`` (a resolved callee) is a session factory of this file or of the project."""
    if name is None:
        return False
    if name in FACTORY_INSTANCES:
        return True
    project = ctx.project
    module, _, attr = name.rpartition(".")
    if project is None or not module or attr.endswith(")"):
        return False
    summary = project.find_module(module)
    return summary is not None and attr in summary.extra.get(SESSION_FACTORIES, ())  # type: ignore[operator]
