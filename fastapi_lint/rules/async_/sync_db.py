from __future__ import annotations

from fastapi_lint.prefilter import has_async_def
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BlockingCallRule, blocking_kind

_ADVICE = {
    "sqlalchemy": "a sync SQLAlchemy session/engine blocks the event loop; use `AsyncSession` "
    "(`await session.execute(...)`) or make the function a plain `def`",
    "dbapi": "a sync database driver blocks the event loop; use an async driver (asyncpg, "
    "aiosqlite, aiomysql, psycopg's AsyncConnection)",
    "redis": "a sync redis client blocks the event loop; use `redis.asyncio`",
}


class SyncDbInAsync(BlockingCallRule):
    """
    ## What it does
    Reports synchronous database access in async context: `psycopg2/psycopg/pymysql/sqlite3/
    mysql.connector .connect` (and the connection's `execute`/`commit`/cursor calls), the
    querying methods (`query`, `execute`, `scalars`, `scalar`, `get`, `commit`, `flush`,
    `refresh`, `rollback`, `merge`, `delete`...) of a parameter or variable annotated or
    constructed as a sync SQLAlchemy/SQLModel `Session` (including `sessionmaker()()` and
    `scoped_session` instances) or a sync engine connection, and commands of a sync
    `redis.Redis`/`StrictRedis`/`redis.from_url()` client.

    The session, factory or client may be created in another module of the project
    (`from app.db import SessionLocal`), declared through an `Annotated` alias
    (`SessionDep = Annotated[Session, Depends(get_db)]`), or stored on an attribute earlier
    in the same function (`request.state.db = SessionLocal()` in a middleware).

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    Each of these calls waits for a database round trip on the event loop thread. Under load
    every request on the worker queues behind the slowest query. A plain `def` route is fine:
    FastAPI runs it in a thread pool.

    ## Example
    ```python
    from sqlalchemy.orm import Session

    @router.get("/users")
    async def users(db: Session = Depends(get_db)) -> list:
        return db.query(User).all()
    ```

    ## Use instead
    ```python
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    @router.get("/users")
    async def users(db: AsyncSession = Depends(get_db)) -> list:
        result = await db.execute(select(User))
        return result.scalars().all()
    ```

    Calls written as `await ...` are never reported (the object is async, whatever its
    name suggests). `session.add()` is not reported: it only stages an object in memory.

    ## References
    - [SQLAlchemy: Asynchronous I/O](https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html)
    - [redis-py: asyncio](https://redis.readthedocs.io/en/stable/examples/asyncio_examples.html)
    """

    CODE = "FAPI105"
    NAME = "sync-db-in-async"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("async", "database")
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # Only the async context is sure: a session or redis client another project module
        # creates may be imported under any name, and any method of a redis client blocks.
        return has_async_def(text)

    def message(self, written: str, resolved: str) -> str:
        return f"`{written}()`: {_ADVICE[blocking_kind(resolved)]}"
