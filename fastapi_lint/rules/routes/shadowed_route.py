from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_table import Route, table
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._wiring import QualnameRule, has_route, module_of
from fastapi_lint.prefilter import lazy_pattern

# Starlette's converters, and a value of each that no stricter converter accepts
_CONVERTERS = {
    "str": ("[^/]+", "zz-zz"),
    "path": (".*", "zz/zz"),
    "int": ("[0-9]+", "7"),
    "float": (r"[0-9]+(?:\.[0-9]+)?", "7.5"),
    "uuid": ("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0f"),
}
_PARAM = lazy_pattern(r"\{([A-Za-z_]\w*)(?::([a-z]+))?\}")
_Key = Tuple[str, str]  # (module, function qualname)


def _pattern(path: str) -> Optional["re.Pattern[str]"]:
    parts: List[str] = []
    last = 0
    for match in _PARAM.finditer(path):
        converter = _CONVERTERS.get(match.group(2) or "str")
        if converter is None:
            return None  # a custom converter: unknown
        parts += [re.escape(path[last:match.start()]), converter[0]]
        last = match.end()
    parts.append(re.escape(path[last:]))
    return lazy_pattern("".join(parts))


def _example(path: str) -> Optional[str]:
    """A request path ``path`` matches that a capturing route must accept in full."""
    found = []
    for match in _PARAM.finditer(path):
        if (match.group(2) or "str") not in _CONVERTERS:
            return None
        found.append(match)
    return _PARAM.sub(lambda m: _CONVERTERS[m.group(2) or "str"][1], path)


def normal_path(path: str) -> str:
    """``path`` with its placeholders' names dropped: the requests it matches are the same."""
    return _PARAM.sub(lambda m: "{:" + (m.group(2) or "str") + "}", path)


def first_registered(a: Route, b: Route) -> bool:
    """``a`` is registered before ``b`` as far as the code says (same module decides)."""
    for mine, theirs in zip(a.order, b.order):
        if mine != theirs:
            return mine[0] == theirs[0] and mine[1] < theirs[1]
    return False


def same_handler(a: Route, b: Route) -> bool:
    # one router included twice (with and without a prefix, or by two calls of a factory)
    return a.module == b.module and a.function == b.function and a.line == b.line


def shadowed(project: ProjectIndex, module: str) -> Dict[_Key, List[Tuple[Route, Route]]]:
    """(module, function) of each shadowed route of ``module`` -> (shadowed route, earlier
    capturing route). Per module: linting one file compares its routes with the others,
    not every route of the app with every other (onyx: 0.25 s for one changed file)."""
    return project.derived(f"shadowed-routes:{module}", lambda index: _shadowed(index, module))


class _Candidate:
    """A route with what the comparison reads made once (n² comparisons per app); its
    pattern compiled only when an example gets past the cheap tests."""

    __slots__ = ("route", "methods", "normal", "prefix", "example", "_pattern", "_compiled")

    def __init__(self, route: Route) -> None:
        path = route.path or ""
        first = _PARAM.search(path)
        self.route = route
        self.methods = frozenset(route.methods)
        self.normal = normal_path(path)
        # every path the pattern matches starts with the text before the first parameter
        self.prefix = path[:first.start()] if first else path
        self.example = _example(path)
        self._pattern: Optional["re.Pattern[str]"] = None
        self._compiled = False

    def pattern(self) -> Optional["re.Pattern[str]"]:
        if not self._compiled:
            self._pattern, self._compiled = _pattern(self.route.path or ""), True
        return self._pattern


_Groups = Tuple[List[List["_Candidate"]], Dict[str, List[Tuple[int, int]]]]


def _groups(project: ProjectIndex) -> _Groups:
    """The routes of each app (and mounted sub-application), and where each module's are."""
    def build(index: ProjectIndex) -> _Groups:
        keyed: Dict[Tuple[Optional[str], Tuple[str, ...]], List[_Candidate]] = {}
        for route in table(index).routes:
            if route.path is not None:
                keyed.setdefault((route.app, route.mounted), []).append(_Candidate(route))
        groups = list(keyed.values())
        by_module: Dict[str, List[Tuple[int, int]]] = {}
        for number, candidates in enumerate(groups):
            for position, candidate in enumerate(candidates):
                by_module.setdefault(candidate.route.module, []).append((number, position))
        return groups, by_module
    return project.derived("shadowed-routes", build)


def _shadowed(project: ProjectIndex, module: str) -> Dict[_Key, List[Tuple[Route, Route]]]:
    groups, by_module = _groups(project)
    found: Dict[_Key, List[Tuple[Route, Route]]] = {}
    for number, position in by_module.get(module, ()):
        candidates = groups[number]
        later = candidates[position]
        example = later.example
        if example is None:
            continue
        for earlier in candidates:
            if not example.startswith(earlier.prefix) or not earlier.methods & later.methods:
                continue
            pattern = earlier.pattern()
            if pattern is None or pattern.fullmatch(example) is None:
                continue
            first, second = earlier.route, later.route
            if (same_handler(first, second) or earlier.normal == later.normal
                    or not first_registered(first, second)):
                continue
            found.setdefault((second.module, second.function), []).append((second, first))
            break
    return found


class ShadowedRoute(QualnameRule):
    """
    ## What it does
    Reports a route that an earlier-registered route of the same app and method always
    captures, on the app's full paths (`include_router` and router prefixes, nested routers;
    each mounted sub-application apart). Starlette tries routes in registration order and
    takes the first whose path matches: `/users/{user_id}` registered before `/users/me`
    answers `/users/me` itself. Path converters count (`{id:int}` does not capture `/me`,
    `{p:path}` captures several segments); `/users/` is not captured by `/users/{id}`.
    Order is only compared where one module decides it (two routes of one router in one
    file, two `include_router` calls in one file); the same path, on one router or two, is
    FAPI207's.

    ## Why is this bad?
    The later route is unreachable: its requests reach the earlier handler, which answers
    422 (`"me"` is no integer) or, worse, handles them as something else.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int): ...

    @router.get("/users/me")
    async def read_me(): ...
    ```

    ## Use instead
    ```python
    @router.get("/users/me")
    async def read_me(): ...

    @router.get("/users/{user_id}")
    async def read_user(user_id: int): ...
    ```

    ## References
    - [FastAPI: Path Parameters - Order matters](https://fastapi.tiangolo.com/tutorial/path-params/#order-matters)
    """

    CODE = "FAPI209"
    NAME = "shadowed-route"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("routes", "correctness")
    SEEDS = ("000",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        module = module_of(project, path)
        return module is not None and bool(shadowed(project, module))

    def function(self, node: cst.FunctionDef) -> None:
        if self.ctx.project is None:
            return
        key = (self.ctx.facts.module_name, self.qualname(node.name.value))
        reported: Set[Tuple[str, ...]] = set()
        for later, earlier in shadowed(self.ctx.project, key[0]).get(key, ()):
            if later.methods in reported:
                continue
            reported.add(later.methods)
            self.report(node.name, f"{'/'.join(later.methods)} `{later.path}` is always captured by "
                                   f"`{earlier.path}` (`{earlier.function}`, registered earlier, line "
                                   f"{earlier.line} of `{earlier.module}`): this route is unreachable "
                                   "(422 or the wrong handler)")
