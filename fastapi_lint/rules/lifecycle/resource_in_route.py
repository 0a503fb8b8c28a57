from __future__ import annotations

from typing import Any, Mapping, Optional

import libcst as cst

from fastapi_lint.names import positional
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import GAP
from fastapi_lint.rules.lifecycle._resources import CREATORS, SESSION_FACTORIES, is_session_factory
from fastapi_lint.words import name_parts

_DB_WORDS = {"db", "database", "session", "conn", "connection"}
_PER_MESSAGE = {"a database session", "a database connection"}
# `@(` + a line break + `app.get("/")` + `)`: a route `has_route` does not see (it reads a
# decorator on its own line)
_PARENTHESIZED_DECORATOR = lazy_pattern(r"@" + GAP + r"\(")


class ResourceCreatedInRoute(Rule):
    """
    ## What it does
    Reports a route body that creates a database engine, a session or a connection itself:
    `create_engine`, `create_async_engine`, `sessionmaker()`/`async_sessionmaker()`, a name
    bound to such a session factory called (`SessionLocal()`, also when the factory is
    defined in another module of the project), `Session(engine)`, `asyncpg.connect`,
    `asyncpg.create_pool`, `psycopg.connect`, or `next(get_db())`.

    Dependencies, pytest fixtures, lifespans and module-level code are not routes and are
    not reported. In a websocket route, which lives as long as its connection, opening a
    short session or connection per message is the right shape and is not reported (engines,
    pools and session factories still are).

    ## Why is this bad?
    An engine or pool created per request defeats connection pooling and leaks connections
    when the handler fails before closing them. Sessions opened by hand (or by driving a
    dependency generator with `next()`) skip the dependency's cleanup, cannot be overridden
    in tests, and duplicate the setup across endpoints.

    ## Example
    ```python
    SessionLocal = sessionmaker(bind=engine)

    @router.get("/users")
    def list_users():
        db = SessionLocal()
        return db.query(User).all()
    ```

    ## Use instead
    ```python
    def get_db():
        with SessionLocal() as db:
            yield db

    @router.get("/users")
    def list_users(db: Annotated[Session, Depends(get_db)]):
        return db.query(User).all()
    ```

    ## References
    - [FastAPI: Dependencies with yield](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/)
    """

    CODE = "FAPI403"
    NAME = "resource-created-in-route"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("lifecycle", "database")
    SEEDS = ("001", "003", "004")
    PROJECT_FACTS = (SESSION_FACTORIES,)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # Only a route body is checked. No substring test: a session factory defined in
        # another module may have any name (`from app.db import async_session`).
        return has_route(text) or _PARENTHESIZED_DECORATOR.search(text) is not None

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.current_function
        routes = self.ctx.routes_of(function) if function is not None else []
        if not routes:
            return
        what = self._created(node)
        # a websocket outlives any dependency: it opens a short session or connection per
        # message itself; only engines, pools and factories made per connection are waste
        if what is not None and all(route.is_websocket for route in routes) and what in _PER_MESSAGE:
            return
        if what is not None:
            self.report(node, f"route creates {what} itself; inject it with a dependency instead")

    def _created(self, node: cst.Call) -> Optional[str]:
        name = self.ctx.resolve(node.func)
        if name is None:
            return None
        if name in CREATORS:
            return CREATORS[name]
        if is_session_factory(self.ctx, name):
            return "a database session"
        if name == "builtins.next":
            return self._next_of_dependency(node)
        return None

    def _next_of_dependency(self, node: cst.Call) -> Optional[str]:
        """``next(get_db())``: a database dependency generator driven by hand."""
        arg = positional(node, 0)
        if arg is None or not isinstance(arg.value, cst.Call):
            return None
        func = arg.value.func
        called = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        if isinstance(called, str) and _DB_WORDS.intersection(name_parts(called)):
            return "a database session (by calling `next()` on a dependency)"
        return None
