from __future__ import annotations

from typing import List

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._common import HTTP_ROUTE_METHODS, RouteBody, RouteBodyRule, status_code_number

_NO_BODY_STATUS = (204, 205, 304)


class MissingResponseModel(RouteBodyRule):
    """
    ## What it does
    Reports a route with neither `response_model=` nor a return annotation.

    Not reported when the route declares `response_class=`, says `response_model=None`
    explicitly, answers without a body (`status_code` 204, 205 or 304, also written
    `status.HTTP_204_NO_CONTENT` or `HTTPStatus.NO_CONTENT`), is a websocket, or when every
    value it returns is a `Response` object (`JSONResponse(...)`, `RedirectResponse(...)`,
    `templates.TemplateResponse(...)`): FastAPI sends those as they are, without serializing.

    ## Why is this bad?
    Without a response model FastAPI serializes whatever the function returns: an ORM
    object or a dict returned as is goes out with every field, including the ones that must
    not leave the server (`hashed_password`, internal flags). The OpenAPI schema also has no
    response shape, so clients cannot be generated or checked against it.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id: int):
        return await users.get(user_id)
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}", response_model=UserPublic)
    async def get_user(user_id: int) -> UserPublic:
        return await users.get(user_id)
    ```

    ## References
    - [FastAPI: Response Model - Return Type](https://fastapi.tiangolo.com/tutorial/response-model/)
    """

    CODE = "FAPI201"
    NAME = "missing-response-model"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("routes", "api-design")
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, HTTP_ROUTE_METHODS)  # a websocket route has no response model

    def wants(self, routes: List[RouteInfo]) -> bool:
        function = routes[0].function
        return function.returns is None and any(self._unmodelled(route) for route in routes)

    def _unmodelled(self, route: RouteInfo) -> bool:
        if route.is_websocket:
            return False
        if route.keyword("response_model") is not None or route.keyword("response_class") is not None:
            return False
        return status_code_number(route, self.ctx) not in _NO_BODY_STATUS

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        if body.returns_value and body.all_responses:
            return
        self.report(
            function.name,
            f"Route `{function.name.value}` has neither `response_model=` nor a return annotation: "
            "whatever it returns is serialized as is",
        )
