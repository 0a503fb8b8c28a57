from __future__ import annotations

import collections
import fnmatch
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fastapi_lint.project import ProjectIndex, routers, signatures
from fastapi_lint.project.route_table import Route, table
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._wiring import QualnameRule, has_route, module_of

# fastapi.security's schemes (RULES.md FAPI312): a dependency on one of them authenticates
AUTH_SCHEMES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "HTTPBearer", "HTTPBasic",
    "APIKeyHeader", "APIKeyQuery", "APIKeyCookie",
})
# RULES.md: "a route", of any method; the `methods` option narrows it (a public read beside
# authenticated ones was a design choice more often than an oversight on the corpus)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
PUBLIC_PATHS = ("/health*", "/docs*", "/openapi.json", "/login", "/token", "/auth/*", "/signup",
                "/register", "/webhooks/*")
_MAX_DEPTH = 8
_Function = Tuple[str, str]  # (module, function qualname)


class _Auth:
    """Which authentication dependency each route of the table has, memoized per target."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self.model = routers.model(project)
        self._targets: Dict[str, Tuple[bool, bool]] = {}

    def of(self, route: Route) -> Tuple[Optional[str], bool]:
        """(the name of an authentication dependency in effect, whether the answer is known)."""
        if route.secured:
            return "Security(...)", True
        known = True
        candidates = [d.target for d in route.dependencies]
        for annotation in route.annotations:
            alias = signatures.annotated_alias(self.project, annotation)
            if alias is not None and alias[0] == "depends":
                candidates.append(alias[1] or signatures.UNKNOWN)
                if self._target(alias[1])[0]:
                    return _short(annotation), True
        for target in candidates:
            authenticates, complete = self._target(target)
            if authenticates:
                return _short(target), True
            known = known and complete
        return None, known

    def _target(self, target: str) -> Tuple[bool, bool]:
        if target not in self._targets:
            reached, complete = signatures.reached_dependencies(self.project, target)
            self._targets[target] = (any(self._scheme(name, 0) for name in reached), complete)
        return self._targets[target]

    def _scheme(self, name: str, depth: int) -> bool:
        """``name`` is a scheme, an instance of one, or of a project subclass of one."""
        name = name[:-2] if name.endswith("()") else name
        if name.rpartition(".")[2] in AUTH_SCHEMES:
            return True
        located = self.model._locate(name, None) if depth < _MAX_DEPTH and not name.startswith("<") else None
        if located is None or located[0].routers is None:
            return False
        summary, module, local = located
        return any(self._scheme(base, depth + 1) for base in summary.routers.classes.get(local, ()))


def _short(target: str) -> str:
    name = target.rpartition(".")[2] if not target.endswith("()") else target[:-2].rpartition(".")[2]
    return name


def public(path: str, patterns: Sequence[str]) -> bool:
    """``path`` or one of its tails after a ``/`` (``/api/v1/auth/login`` -> ``/auth/login``)
    matches a public-path pattern: the patterns name paths below any version prefix."""
    starts = [i for i, c in enumerate(path) if c == "/"] or [0]
    return any(fnmatch.fnmatchcase(path[i:], pattern) for i in starts for pattern in patterns)


_Scope = Tuple[Tuple[str, ...], Tuple[str, ...]]  # (public-path patterns, methods checked)


def unauthenticated(project: ProjectIndex, scope: _Scope) -> Dict[_Function, List[Tuple[Route, str, int]]]:
    """(module, function) of each route of ``scope``'s methods with no authentication
    dependency whose siblings (the other routes of its router in one app, any method) have
    one -> (route, the siblings' dependency, how many siblings use it)."""
    return project.derived(f"routes-without-auth:{scope}", lambda index: _unauthenticated(index, scope))


def _unauthenticated(project: ProjectIndex, scope: _Scope) -> Dict[_Function, List[Tuple[Route, str, int]]]:
    patterns, methods = scope
    auth = _Auth(project)
    groups: Dict[Tuple[Optional[str], Tuple[str, ...], Optional[str]], List[Route]] = {}
    for route in table(project).routes:
        if route.methods != ("WEBSOCKET",):
            groups.setdefault((route.app, route.mounted, route.router), []).append(route)
    found: Dict[_Function, List[Tuple[Route, str, int]]] = {}
    for routes in groups.values():
        verdicts = [(route, *auth.of(route)) for route in routes]
        used = collections.Counter(name for _, name, _ in verdicts if name is not None)
        if not used:
            continue
        sibling, count = used.most_common(1)[0]
        for route, name, known in verdicts:
            if (name is None and known and route.path is not None and set(route.methods) & set(methods)
                    and not public(route.path, patterns)):
                found.setdefault((route.module, route.function), []).append((route, sibling, count))
    return found


class RouteWithoutAuth(QualnameRule):
    """
    ## What it does
    Reports a route (of the methods of the `methods` option: all of them by default) with
    no authentication dependency in effect — none at the route
    (`Depends`/`Security` parameters, `Annotated` aliases, `dependencies=`), at its router,
    at its `include_router` calls or at the app — when other routes of the same router in
    the same app (of any method) have one. An authentication dependency is one of `fastapi.security`'s
    schemes (`OAuth2PasswordBearer`, `OAuth2AuthorizationCodeBearer`, `HTTPBearer`,
    `HTTPBasic`, `APIKeyHeader`, `APIKeyQuery`, `APIKeyCookie`, or a project subclass of
    one), `Security(...)`, or a project dependency that depends on one at any depth, across
    modules (`CurrentUser = Annotated[User, Depends(get_current_user)]`). The message names
    the dependency the siblings use. Paths matching the `public-paths` option are public;
    a pattern matches the full path or any tail of it after a `/` (`/auth/*` matches
    `/api/v1/auth/login`). Not reported when a dependency of the route cannot be resolved,
    for websocket routes, and for routes whose full path is not a literal.

    ## Why is this bad?
    A route added to an authenticated router without the dependency its siblings have
    serves its data, or accepts its changes, from anyone (CWE-284). Authentication declared
    route by route is easy to forget on the next one; declaring it once on the router or
    the `include_router` call cannot be forgotten.

    ## Example
    ```python
    @router.get("/items/")
    async def list_items(user: CurrentUser): ...

    @router.delete("/items/{item_id}")
    async def delete_item(item_id: int): ...
    ```

    ## Use instead
    ```python
    @router.delete("/items/{item_id}")
    async def delete_item(item_id: int, user: CurrentUser): ...
    ```

    ## Options
    - `methods` (list of HTTP methods): the routes checked. Default: all. On real projects a
      read left public beside authenticated ones was more often a design choice (a public
      catalogue, a profile page) than an oversight: `["POST", "PUT", "PATCH", "DELETE"]`
      checks only the routes that change state.
    - `public-paths` (list of glob patterns): paths that are public by design. Default:
      `/health*`, `/docs*`, `/openapi.json`, `/login`, `/token`, `/auth/*`, `/signup`,
      `/register`, `/webhooks/*`.

    ## References
    - [FastAPI: Security - First Steps](https://fastapi.tiangolo.com/tutorial/security/first-steps/)
    - [FastAPI: Dependencies in path operation decorators](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-in-path-operation-decorators/)
    - [CWE-284: Improper Access Control](https://cwe.mitre.org/data/definitions/284.html)
    """

    CODE = "FAPI312"
    NAME = "route-without-auth"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.PREVIEW
    TAGS = ("security", "routes")
    CWE = 284
    SEEDS = ("003",)
    OPTIONS = {"public-paths": list(PUBLIC_PATHS), "methods": list(HTTP_METHODS)}

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        module = module_of(project, path)
        return module is not None and any(m == module for m, _ in unauthenticated(project, _scope(options or cls.OPTIONS)))

    def function(self, node: cst.FunctionDef) -> None:
        if self.ctx.project is None:
            return
        key = (self.ctx.facts.module_name, self.qualname(node.name.value))
        for route, sibling, count in unauthenticated(self.ctx.project, _scope(self.options)).get(key, ())[:1]:
            others = "another route of its router uses" if count == 1 else f"{count} other routes of its router use"
            self.report(node.name, f"{'/'.join(route.methods)} `{route.path}` has no authentication dependency, "
                                   f"while {others} `{sibling}`: add it (or declare it on the router), or list "
                                   "the path in `public-paths` if it is public by design")


def _scope(options) -> _Scope:
    return (tuple(options.get("public-paths", PUBLIC_PATHS)),
            tuple(m.upper() for m in options.get("methods", HTTP_METHODS)))
