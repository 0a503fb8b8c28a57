from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.prefilter import count_routes, has_route, lazy_pattern
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_table import Route, table
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._wiring import QualnameRule, module_of
from fastapi_lint.rules.routes.shadowed_route import first_registered, normal_path, same_handler

# `{item_id}` and `{id}` match the same requests: only the converter matters
_PLACEHOLDER = lazy_pattern(r"\{[A-Za-z_]\w*(:[^}]*)?\}")
_Key = Tuple[int, str, str, str, str]
_EMPTY = cst.Module([])
_Function = Tuple[str, str]  # (module, function qualname)


def duplicates(project: ProjectIndex) -> Dict[_Function, List[Tuple[Route, Route]]]:
    """(module, function) of each route registered again on an app's full path -> (the later
    registration, the earlier one). Two routes of one router in one module are the per-file
    check's, which also tells branches and decorators apart."""
    return project.derived("duplicate-routes", _duplicates)


def _duplicates(project: ProjectIndex) -> Dict[_Function, List[Tuple[Route, Route]]]:
    groups: Dict[Tuple[Optional[str], Tuple[str, ...], str, str], List[Route]] = {}
    for route in table(project).routes:
        if route.path is not None:
            for method in route.methods:
                groups.setdefault((route.app, route.mounted, method, normal_path(route.path)), []).append(route)
    found: Dict[_Function, List[Tuple[Route, Route]]] = {}
    for routes in groups.values():
        for later in routes[1:] if len(routes) > 1 else ():
            earlier = next((r for r in routes if _clashes(r, later)), None)
            if earlier is not None:
                found.setdefault((later.module, later.function), []).append((later, earlier))
    return found


def _clashes(earlier: Route, later: Route) -> bool:
    if same_handler(earlier, later) or (earlier.router == later.router and earlier.module == later.module):
        return False
    # only where the code says which comes first (one module orders both)
    return first_registered(earlier, later)


class DuplicateRoute(QualnameRule):
    """
    ## What it does
    Reports a route registered for the same method and path as an earlier route of the
    same app or router (the same receiver name in the same block of code), or for the same
    method and full path as an earlier route of the same app through another router (the
    app's full paths: `include_router` and router prefixes along the chain, nested routers;
    each mounted sub-application apart; only where one module decides the order, as in two
    `include_router` calls of one file). The second registration is reported. `api_route(methods=[...])` registers each of its methods;
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
        return has_route(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # two registrations; one `api_route(methods=["GET", "GET"])` registers twice by itself
        if "api_route" in text or count_routes(text) >= 2:
            return True
        module = module_of(project, path)
        return module is not None and any(m == module for m, _ in duplicates(project))

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._reported: Set[int] = set()  # functions reported by the per-file check
        # the statement block each route sits in: routes of different branches never clash
        self._blocks: List[int] = [0]
        self._seen: Dict[_Key, str] = {}

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._blocks.pop()

    def function(self, node: cst.FunctionDef) -> None:
        if not node.decorators:
            return
        routes = self.ctx.current_routes
        registering = {id(route.decorator) for route in routes if route.decorator is not None}
        for route in reversed(routes):  # the decorator nearest the def registers first
            if route.decorator is not None:
                self._register(node, route, self._blocks[-1], _marks(node, route.decorator, registering))
        if self.ctx.project is not None and id(node) not in self._reported:
            self._across_routers(node)

    def _across_routers(self, node: cst.FunctionDef) -> None:
        key = (self.ctx.facts.module_name, self.qualname(node.name.value))
        for later, earlier in duplicates(self.ctx.project).get(key, ())[:1]:
            self.report(node.name, f"{'/'.join(later.methods)} `{later.path}` is already registered by "
                                   f"`{earlier.function}` (line {earlier.line} of `{earlier.module}`), "
                                   "included earlier: this route is unreachable")

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
            self._reported.add(id(function))
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
