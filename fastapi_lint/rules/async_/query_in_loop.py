from __future__ import annotations

import ast
from typing import List, Optional, Tuple

import libcst as cst

from fastapi_lint.prefilter import any_word, resolvable
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.async_._async_io import (
    DB_QUERIES, DB_TYPES, is_db_query, uses_project_async_io, through_project,
)
from fastapi_lint.project import LazyAst, prefilter_fact
from fastapi_lint.project.instances import INSTANCES

_Comprehension = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_SESSIONS = resolvable(DB_TYPES)
_QUERIES = any_word(DB_QUERIES)


# What the project pass's `ast` parse tells the prefilter: whether an awaited call that may
# be a query (``await x.execute(...)``, or of a plain name) lies inside a loop or a
# comprehension. Most modules that name a session and a query method await none in a loop.
LOOP_AWAITS = "loop_awaits"
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _awaits_query_in_loop(tree: LazyAst) -> bool:
    """A superset of what ``QueryInLoop`` reports: the loop's once-evaluated part and the
    function boundaries are not told apart here."""
    awaited = [
        (node.lineno, node.col_offset) for node in tree.of_type(ast.Await)  # type: ignore[attr-defined]
        if type(node.value) is ast.Call  # type: ignore[attr-defined]
        and (type(node.value.func) is ast.Name  # type: ignore[attr-defined]
             or (type(node.value.func) is ast.Attribute and node.value.func.attr in DB_QUERIES))  # type: ignore[attr-defined]
    ]
    if not awaited:
        return False
    loops = [((loop.lineno, loop.col_offset), (loop.end_lineno, loop.end_col_offset))  # type: ignore[attr-defined]
             for loop in tree.of_type(*_LOOPS)]
    return any(start <= place <= end for place in awaited for start, end in loops)


prefilter_fact(LOOP_AWAITS, ("await",), None, _awaits_query_in_loop)


class QueryInLoop(Rule):
    """
    ## What it does
    Reports an awaited database query (`execute`, `scalar(s)`, `get`, `fetch*` on an
    `AsyncSession`, `AsyncConnection` or asyncpg connection) inside the body of a `for`,
    `async for` or `while` loop or in the element of a comprehension, in the same function.
    The loop's iterable (evaluated once) does not count.

    ## Why is this bad?
    One query per item is the N+1 pattern: a page of 100 items costs 101 round trips to the
    database instead of two, and the latency grows with the data.

    ## Example
    ```python
    result = await db.execute(select(Market))
    for market in result.scalars():
        market.position = await db.scalar(
            select(Position).where(Position.market_id == market.id)
        )
    ```

    ## Use instead
    ```python
    result = await db.execute(select(Market).options(selectinload(Market.positions)))
    ```
    Or load the related rows in one query with `IN` and join them in Python.

    ## References
    - [SQLAlchemy: Relationship loading techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
    """

    CODE = "FAPI114"
    NAME = "query-in-loop"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("async", "performance", "database")
    SEEDS = ("000", "001")
    PROJECT_FACTS = (INSTANCES,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # not `async def`: libcst parses a module-level `await` (a notebook, a script for the
        # asyncio REPL), and the rule does not ask for an async context
        # a session type another module names is imported under some name: "import"
        return "await" in text and _QUERIES(text) and (_SESSIONS(text) or "import" in text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # ``db: DbSession`` with the alias in another module names no session type here:
        # such files pass when they name an async session alias or instance the project defines
        # (the text check first: it rejects most files for a fraction of `_SESSIONS`' cost)
        if project is not None and project.file_fact(path, LOOP_AWAITS) is False:
            return False
        return cls.applies_to(text, options) and (_SESSIONS(text) or uses_project_async_io(text, project, path))

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # open loops: (loop node, the part evaluated once, the function it belongs to)
        self._loops: List[Tuple[cst.CSTNode, Optional[cst.CSTNode], Optional[cst.FunctionDef]]] = []

    def _enter(self, node: cst.CSTNode, once: Optional[cst.CSTNode]) -> None:
        self._loops.append((node, once, self.ctx.current_function))

    def _leave(self, node: cst.CSTNode) -> None:
        if self._loops and self._loops[-1][0] is node:
            self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self._enter(node, node.iter)

    def leave_For(self, node: cst.For) -> None:
        self._leave(node)

    def visit_While(self, node: cst.While) -> None:
        self._enter(node, node.test)

    def leave_While(self, node: cst.While) -> None:
        self._leave(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter(node, node.for_in.iter)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self._leave(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter(node, node.for_in.iter)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self._leave(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter(node, node.for_in.iter)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self._leave(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter(node, node.for_in.iter)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._leave(node)

    def visit_Await(self, node: cst.Await) -> None:
        if not self._loops or not isinstance(node.expression, cst.Call):
            return
        resolved = through_project(self.ctx.project, self.ctx.resolve(node.expression.func))
        if not is_db_query(resolved) or not self._in_loop(node):
            return
        call = node.expression
        text = self.ctx.facts.module.code_for_node(call.func)
        self.report(
            node,
            f"`await {text}()` inside a loop runs one query per iteration (N+1); load the rows "
            "in one query (`selectinload`, `IN`)",
        )

    def _in_loop(self, node: cst.Await) -> bool:
        function = self.ctx.current_function
        for loop, once, owner in reversed(self._loops):
            if owner is not function:
                return False  # the loop is outside this function: its body is not repeated here
            if once is None or not _contains(once, node):
                return True
        return False


def _contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    stack: List[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False
