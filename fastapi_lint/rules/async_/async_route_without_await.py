from __future__ import annotations

from typing import Dict

import libcst as cst

from fastapi_lint.prefilter import has_async_def, has_route
from fastapi_lint.rule import Default, Rule, Severity


class AsyncRouteWithoutAwait(Rule):
    """
    ## What it does
    Reports an `async def` route whose own body has no `await`, `async for` or `async with`
    (those of nested functions don't count). Helpers and dependencies are not checked.

    Preview, not on by default: on real projects almost every such route is a trivial
    handler (a constant, a health check, a field of a dependency's result), and for those
    FastAPI's docs recommend `async def` — it skips the thread-pool hop. The rule is worth
    enabling where handlers call sync code: a trivial handler is fine as `async def`; one
    that calls sync code belongs in a plain `def`.

    ## Why is this bad?
    FastAPI runs an `async def` route on the event loop and a plain `def` route in a thread
    pool. A coroutine that never awaits gains nothing from being async, and any sync work
    it does (a library call, a loop over data) holds the event loop: every other request on
    the worker waits. As a plain `def` it would run in the thread pool instead.

    ## Example
    ```python
    @router.get("/items")
    async def list_items() -> list[Item]:
        return compute_items()
    ```

    ## Use instead
    ```python
    @router.get("/items")
    def list_items() -> list[Item]:
        return compute_items()
    ```

    ## References
    - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/)
    """

    CODE = "FAPI110"
    NAME = "async-route-without-await"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("async",)
    SEEDS = ("001",)
    SKIP_TEST_FILES = True

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_async_def(text) and has_route(text)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # async routes being visited -> whether their own body awaited something
        self._awaited: Dict[cst.FunctionDef, bool] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None and self.ctx.routes_of(node):
            self._awaited[node] = False

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._awaited.pop(node, True):
            return
        self.report(
            node.name,
            f"`async def {node.name.value}` never awaits: fine if it is a trivial handler; if it "
            "calls sync code, make it a plain `def` so FastAPI runs it in the thread pool",
        )

    def visit_Await(self, node: cst.Await) -> None:
        self._mark()

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._mark()

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._mark()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._mark()

    def _mark(self) -> None:
        function = self.ctx.current_function
        if function in self._awaited:
            self._awaited[function] = True
