from __future__ import annotations

from typing import List

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._common import RouteBody, RouteBodyRule


class DeleteWithout204(RouteBodyRule):
    """
    ## What it does
    Reports a `delete` route without `status_code=` whose body returns nothing (no
    `return <value>`; `return None` and falling off the end count as nothing).

    ## Why is this bad?
    FastAPI answers such a route with `200 OK` and a body of `null`. A deletion that has
    nothing to say should answer `204 No Content`: clients then know not to parse a body,
    and the OpenAPI schema documents the real behaviour.

    ## Example
    ```python
    @router.delete("/users/{user_id}")
    async def delete_user(user_id: int) -> None:
        await users.delete(user_id)
    ```

    ## Use instead
    ```python
    @router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_user(user_id: int) -> None:
        await users.delete(user_id)
    ```

    ## References
    - [FastAPI: Response Status Code](https://fastapi.tiangolo.com/tutorial/response-status-code/)
    """

    CODE = "FAPI205"
    NAME = "delete-without-204"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("routes", "api-design")
    SEEDS = ("001",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, ("delete", "api_route"))  # add_api_route passes too

    def wants(self, routes: List[RouteInfo]) -> bool:
        return any(r.methods == ("DELETE",) and r.keyword("status_code") is None for r in routes)

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        if body.returns_value or body.sets_status:
            return
        self.report(
            function.name,
            f"DELETE route `{function.name.value}` returns nothing but answers 200 with `null`: "
            "set `status_code=204`",
        )
