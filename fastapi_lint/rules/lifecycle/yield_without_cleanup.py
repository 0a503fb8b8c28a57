from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import GAP, universal_newlines
from fastapi_lint.rules.lifecycle._dependencies import DEPENDS_TARGETS, defines_dependency, is_dependency
from fastapi_lint.rules.lifecycle._resources import CREATORS, SESSION_FACTORIES, is_session_factory
from fastapi_lint.prefilter import lazy_pattern

_CLEANUP = frozenset({
    "close", "aclose", "dispose", "release", "disconnect", "shutdown", "terminate", "stop",
    "cleanup", "quit", "remove",
})
# constructors of clients and connections that hold sockets (resolved names)
_CLIENTS = frozenset({
    "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "requests.Session",
    "redis.Redis", "redis.asyncio.Redis", "redis.from_url", "redis.asyncio.from_url",
    "redis.Redis.from_url", "redis.asyncio.Redis.from_url", "psycopg2.connect", "sqlite3.connect",
    "pymysql.connect", "aiosqlite.connect", "motor.motor_asyncio.AsyncIOMotorClient",
    "pymongo.MongoClient",
})
# `engine.connect()`, `pool.acquire()`: methods that hand out a connection
_ACQUIRE_METHODS = ("connect", "acquire", "begin")
# a `yield` with a value (not `yield from`, not a bare `(yield)`)
_YIELD_VALUE = lazy_pattern(r"\byield\b(?!" + GAP + r"(?:from\b|\)|$))")


class YieldDependencyWithoutCleanup(Rule):
    """
    ## What it does
    Reports a generator dependency that yields an acquired resource outside `try/finally`
    and outside `with`/`async with`.

    A *generator dependency* is a function containing `yield` whose name is passed to
    `Depends(...)`/`Security(...)` somewhere in the project. An *acquired resource* is the
    result of a call (possibly awaited) that is yielded directly or through a local name,
    when the call creates a database session, engine, connection or network client
    (session factories, `Session(...)`, `connect()`, `acquire()`, `httpx.AsyncClient()`,
    Redis clients...) or when the function calls a cleanup method (`close`, `aclose`,
    `dispose`, `release`, `disconnect`...) on that name.

    ## Why is this bad?
    When the endpoint (or a later dependency) raises, FastAPI throws the exception into the
    generator at the `yield`. Cleanup written after the `yield` without `finally` is then
    skipped and the session or connection leaks until the pool is exhausted.

    ## Example
    ```python
    def get_db():
        db = SessionLocal()
        yield db
        db.close()
    ```

    ## Use instead
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
    ```
    or `with SessionLocal() as db: yield db`.

    ## References
    - [FastAPI: Dependencies with yield](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/)
    """

    CODE = "FAPI404"
    NAME = "yield-dependency-without-cleanup"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("lifecycle", "database")
    SEEDS = ("004",)
    TRIGGERS = ("yield",)
    PROJECT_FACTS = (DEPENDS_TARGETS, SESSION_FACTORIES)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # Which functions are dependencies, and which calls make a session, other modules
        # decide: only the yielded value is in the text.
        text = universal_newlines(text)
        return super().applies_to(text, options) and _YIELD_VALUE.search(text) is not None

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        return defines_dependency(text, project)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # one frame per enclosing generator dependency: (function, names it calls a cleanup
        # method on, yields whose verdict waits for those names)
        self._frames: List[Tuple[cst.FunctionDef, Set[str], List[Tuple[cst.Yield, str]]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not is_dependency(self.ctx, node):
            return
        self._frames.append((node, set(), []))
        self._walk(node.body.body, protected=False, acquired={})

    def visit_Call(self, node: cst.Call) -> None:
        # `db.close()` anywhere in the dependency (the same walk as every other rule's)
        if self._frames and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name) \
                and node.func.attr.value in _CLEANUP:
            for _, cleaned, _ in self._frames:
                cleaned.add(node.func.value.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._frames or self._frames[-1][0] is not node:
            return
        _, cleaned, waiting = self._frames.pop()
        for yield_node, name in waiting:
            if name in cleaned:
                self._report(yield_node)

    def _walk(self, body: Sequence[cst.CSTNode], protected: bool,
              acquired: Dict[str, cst.BaseExpression]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._small(small, protected, acquired)
            elif isinstance(stmt, cst.With):
                self._walk(stmt.body.body, True, acquired)
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                inner = protected or stmt.finalbody is not None
                self._walk(stmt.body.body, inner, acquired)
                for handler in stmt.handlers:
                    self._walk(handler.body.body, protected, acquired)
                if stmt.orelse is not None:
                    self._walk(stmt.orelse.body.body, inner, acquired)
                if stmt.finalbody is not None:
                    self._walk(stmt.finalbody.body.body, protected, acquired)
            elif isinstance(stmt, (cst.If, cst.For, cst.While)):
                self._walk(stmt.body.body, protected, acquired)
                orelse = stmt.orelse
                while orelse is not None:
                    self._walk(orelse.body.body, protected, acquired)
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None

    def _small(self, small: cst.BaseSmallStatement, protected: bool,
               acquired: Dict[str, cst.BaseExpression]) -> None:
        value = getattr(small, "value", None)
        if isinstance(value, cst.Yield):
            self._yield(value, protected, acquired)
        elif isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                call = _call_of(small.value)
                if call is not None:
                    acquired[target.value] = call
                else:
                    acquired.pop(target.value, None)

    def _yield(self, node: cst.Yield, protected: bool,
               acquired: Dict[str, cst.BaseExpression]) -> None:
        if protected or not isinstance(node.value, cst.BaseExpression):
            return
        value = node.value
        name = value.value if isinstance(value, cst.Name) else None
        call = acquired.get(name) if name is not None else _call_of(value)
        if call is None:
            return
        if self._acquires(call):
            self._report(node)
        elif name is not None:
            self._frames[-1][2].append((node, name))

    def _report(self, node: cst.Yield) -> None:
        self.report(
            node,
            "dependency yields a resource outside `try/finally` or `with`: its cleanup "
            "is skipped when the request fails",
        )

    def _acquires(self, call: cst.BaseExpression) -> bool:
        assert isinstance(call, cst.Call)
        name = self.ctx.resolve(call.func)
        if name is None:
            return False
        if name in CREATORS or name in _CLIENTS or is_session_factory(self.ctx, name):
            return True
        return "()." in name and name.rsplit(".", 1)[-1] in _ACQUIRE_METHODS


def _call_of(expr: Optional[cst.BaseExpression]) -> Optional[cst.Call]:
    if isinstance(expr, cst.Await):
        expr = expr.expression
    return expr if isinstance(expr, cst.Call) else None

