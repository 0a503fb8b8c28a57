from __future__ import annotations

import re
from typing import Dict, List, Set, Tuple

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.prefilter import count_routes
from fastapi_lint.rule import Default, Rule, Severity

# `{item_id}` and `{id}` match the same requests: only the converter matters
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*(:[^}]*)?\}")
_Key = Tuple[int, str, str, str, str]
_EMPTY = cst.Module([])


class DuplicateRoute(Rule):
    """
    ## What it does
    Reports a route registered for the same method and path as an earlier route of the
    same app or router (the same receiver name in the same block of code). The second
    registration is reported. `api_route(methods=[...])` registers each of its methods;
    placeholders that differ only by name (`{id}` and `{user_id}`) match the same requests,
    so they count as the same path. Different routers are different namespaces, and routes
    in different branches of an `if`/`try` are not compared, nor are routes whose other
    decorators beneath the route decorator differ (`@version(2)`: what is registered is the
    decorator's result, which a versioned router tells apart).

    ## Why is this bad?
    Starlette matches routes in registration order: the first one always wins and the second
    handler is dead code, which usually hides a copy-paste mistake (an old and a new
    version of an endpoint side by side, only the old one served).

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id: int): ...

    @router.get("/users/{user_id}")
    async def get_user_v2(user_id: int): ...
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id: int): ...
    ```

    ## References
    - [FastAPI: Path Parameters - Order matters](https://fastapi.tiangolo.com/tutorial/path-params/#order-matters)
    """

    CODE = "FAPI207"
    NAME = "duplicate-route"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("routes", "correctness")
    SEEDS = ("000", "001")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # two registrations; one `api_route(methods=["GET", "GET"])` registers twice by itself
        return "api_route" in text or count_routes(text) >= 2

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # the statement block each route sits in: routes of different branches never clash
        self._blocks: List[int] = [0]
        self._seen: Dict[_Key, str] = {}

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._blocks.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators:
            return
        routes = self.ctx.current_routes
        registering = {id(route.decorator) for route in routes if route.decorator is not None}
        for route in reversed(routes):  # the decorator nearest the def registers first
            if route.decorator is not None:
                self._register(node, route, self._blocks[-1], _marks(node, route.decorator, registering))

    def finish(self) -> None:
        for routes in self.ctx.facts.api_routes.values():
            for route in routes:
                self._register(route.function, route, 0)

    def _register(self, function: cst.FunctionDef, route: RouteInfo, block: int, marks: str = "") -> None:
        if route.path is None:
            return
        path = _PLACEHOLDER.sub(lambda m: "{" + (m.group(1) or "") + "}", route.path)
        for method in route.methods or ("WEBSOCKET",):
            key = (block, route.receiver, method, path, marks)
            first = self._seen.get(key)
            if first is None:
                self._seen[key] = function.name.value
                continue
            self.report(
                function.name,
                f"{method} `{route.path}` is already registered on `{route.receiver}` by "
                f"`{first}`: this route is unreachable",
            )


def _marks(function: cst.FunctionDef, decorator: cst.Decorator, registering: Set[int]) -> str:
    """The other decorators between a route decorator and the function (`@version(2)`): what
    is registered is their result, which a versioned or conditional router tells apart."""
    below = function.decorators[[id(d) for d in function.decorators].index(id(decorator)) + 1:] \
        if any(d is decorator for d in function.decorators) else ()
    return "\n".join(_EMPTY.code_for_node(d.decorator) for d in below if id(d) not in registering)
