from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.rules.lifecycle._dependencies import DEPENDS_TARGETS, is_dependency

_EXCEPTIONS = frozenset({
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException",
    "starlette.exceptions.HTTPException", "fastapi.WebSocketException",
    "fastapi.exceptions.WebSocketException", "starlette.exceptions.WebSocketException",
})


class ReturnedHttpException(Rule):
    """
    ## What it does
    Reports `return HTTPException(...)` (FastAPI's or Starlette's, under any alias) in a
    route, a dependency (a function the project passes to `Depends`/`Security`) or an
    exception handler (`@app.exception_handler(...)`).

    ## Why is this bad?
    An exception that is returned is not raised: the route answers `200 OK` with the
    exception's fields as JSON (`{"status_code": 404, "detail": ...}`), a dependency hands
    the exception object to the route as if it were the value it provides, and an exception
    handler that returns one fails with a 500 since Starlette expects a `Response`.

    ## Example
    ```python
    @router.get("/items/{item_id}")
    async def read_item(item_id: int):
        item = await items.get(item_id)
        if item is None:
            return HTTPException(status_code=404, detail="Item not found")
        return item
    ```

    ## Use instead
    ```python
    @router.get("/items/{item_id}")
    async def read_item(item_id: int):
        item = await items.get(item_id)
        if item is None:
            raise HTTPException(status_code=404, detail="Item not found")
        return item
    ```

    ## Fix safety
    In a route or a dependency the fix replaces `return` by `raise`, which is what FastAPI's
    error handling expects: safe. In an exception handler there is no fix (raising there
    ends in a 500 too): return a `JSONResponse` instead.

    ## References
    - [FastAPI: Handling Errors](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    """

    CODE = "FAPI211"
    NAME = "returned-http-exception"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("routes", "correctness")
    SEEDS = ("000",)
    TRIGGERS = ("Exception(",)
    PROJECT_FACTS = (DEPENDS_TARGETS,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # names resolve through this file's imports and assignments only, so the class is
        # named here (``from starlette import exceptions`` then ``exceptions.HTTPException``)
        return "return" in text and ("HTTPException" in text or "WebSocketException" in text)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # per enclosing function: None (not checked), "raise" (route/dependency), "handler"
        self._kinds: List[Optional[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._kinds.append(self._kind(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._kinds.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._kinds.append(None)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._kinds.pop()

    def _kind(self, node: cst.FunctionDef) -> Optional[str]:
        if any(_is_exception_handler(d) for d in node.decorators):
            return "handler"
        if self.ctx.routes_of(node) or is_dependency(self.ctx, node):
            return "raise"
        return None

    def visit_Return(self, node: cst.Return) -> None:
        kind = self._kinds[-1] if self._kinds else None
        value = node.value
        if kind is None or not isinstance(value, cst.Call):
            return
        name = self.ctx.resolve(value.func)
        if name not in _EXCEPTIONS:
            return
        short = name.rpartition(".")[2]
        if kind == "handler":
            self.report(node, f"an exception handler returns `{short}(...)`, which is no response "
                              "(a 500): return a `JSONResponse`")
            return
        self.report(node, f"`return {short}(...)` answers 200 with the exception as JSON: `raise` it",
                    replace=(node, cst.Raise(exc=value)), fix_message="Replace `return` with `raise`")


def _is_exception_handler(decorator: cst.Decorator) -> bool:
    call = decorator.decorator
    return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "exception_handler")
