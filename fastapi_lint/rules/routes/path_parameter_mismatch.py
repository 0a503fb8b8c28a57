from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastapi_lint.project import signatures
from fastapi_lint.facts import DEPENDS, PATH, SPECIAL, RouteInfo, marker_kind, path_parameters
from fastapi_lint.names import iter_params, keyword, positional
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.project.route_decls import ROUTE_DECLS
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._wiring import QualnameRule, Registration, registered

# app, include and router dependencies the table lists; the route's own are read from the tree
_CHAIN_LEVELS = ("app", "include", "router")
PATH_PARAMS_READ = "path_params_read"
# `request.path_params["organization"]` or `.get("organization")`, in any module: a
# middleware or a base class reading a prefix's placeholder for every route
_READ = lazy_pattern(r"""path_params\s*(?:\[|\.get\(|\.pop\()\s*["'](\w+)["']""")


@collector(PATH_PARAMS_READ, triggers=("path_params",))
def _collect_reads(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    names = sorted(set(_READ.findall(text)))
    if names:
        summary.extra[PATH_PARAMS_READ] = tuple(names)


def _read_anywhere(project: Optional[ProjectIndex]) -> FrozenSet[str]:
    if project is None:
        return frozenset()
    return project.derived(PATH_PARAMS_READ, lambda index: frozenset(
        name for summary in index.modules.values() for name in summary.extra.get(PATH_PARAMS_READ, ())))


class PathParameterMismatch(QualnameRule):
    """
    ## What it does
    Reports a `{name}` placeholder of a route's full path that neither the route function
    nor any of its dependencies takes as a parameter, and a `Path(...)` parameter (also in
    `Annotated` metadata, `alias=` honoured) whose name is not a placeholder of the full
    path. The full path is the app's: the `prefix=` of the router and of every
    `include_router` along the chain from the app (nested routers, other modules), for each
    place the router is included.

    Dependencies are followed through the whole project: a function, a class used as
    `Depends(Class)` (its `__init__` parameters or model fields), a callable instance
    (`__call__`), a dependency factory returning a nested function, and `Annotated[...,
    Depends(...)]` aliases, defined in any module, and their own sub-dependencies, plus the
    route's, its router's, its `include_router` calls' and the app's `dependencies=[...]`.
    When a dependency cannot be resolved the placeholder check is skipped rather than
    guessed. A `Path(...)` parameter is reported only when every full path of the route is
    known (an app serves it and each prefix is a literal): a router no app is seen to
    include may get its prefix elsewhere. A `{rest:path}` catch-all (an SPA fallback, a proxy) is received
    by a handler that takes the `Request`, which reads it as `request.url`.

    ## Why is this bad?
    A placeholder nobody reads means a typo or a renamed parameter: the handler serves the
    path but ignores the value, or reads the wrong one from the query string instead. A
    `Path(...)` parameter missing from the path makes FastAPI fail when it builds the
    route, or leaves a required parameter no request can ever supply.

    ## Example
    ```python
    @router.get("/items/{item_id}")
    async def read_item(id: int):
        ...
    ```

    ## Use instead
    ```python
    @router.get("/items/{item_id}")
    async def read_item(item_id: int):
        ...
    ```

    ## References
    - [FastAPI: Path Parameters](https://fastapi.tiangolo.com/tutorial/path-params/)
    """

    CODE = "FAPI206"
    NAME = "path-parameter-mismatch"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("routes", "correctness")
    SEEDS = ("000", "001", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # not narrowed to `{`: a `Path()` marker may come from an Annotated alias of another module
        return has_route(text)

    PROJECT_FACTS = (ROUTE_DECLS, PATH_PARAMS_READ)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # functions nested in other functions, by name: dependencies the project pass skips
        self._nested: Dict[str, cst.FunctionDef] = {}
        self._classes: List[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        self._classes.pop()

    def function(self, node: cst.FunctionDef) -> None:
        if len(self.ctx.frames) > 2:  # the frame of `node` itself sits on the enclosing one
            self._nested[node.name.value] = node
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        for route in self.ctx.current_routes:
            if route.full_path is not None:
                entries = registered(self.ctx.project, self.ctx.facts.module_name, self.qualname(node.name.value), route)
                self._check(node, route, entries)

    def _check(self, function: cst.FunctionDef, route: RouteInfo, entries: List[Registration]) -> None:
        paths, complete = _full_paths(route, entries, self.ctx.project is None)
        placeholders = tuple(dict.fromkeys(p for path in paths for p in path_parameters(path)))
        consumed: Set[str] = set()
        known = True
        manual = False
        for param in iter_params(function.params):
            source = self.ctx.param_source(param, route)
            if source.kind == DEPENDS:
                known = self._consume(source.target, consumed) and known
                continue
            name = source.alias or param.name.value
            consumed.add(name)
            manual = manual or source.kind == SPECIAL
            if source.kind == PATH and source.explicit and name not in placeholders and complete:
                self.report(
                    param.name,
                    f"`{name}` is declared with `Path(...)` but `{paths[0]}` has no `{{{name}}}` placeholder",
                )
        missing = [p for p in placeholders if p not in consumed and signatures.ANY_NAME not in consumed
                   and p not in _read_anywhere(self.ctx.project)]
        if not missing or function.params.star_kwarg is not None or self._class_based_view(function):
            return
        known = known and self._consume_all(self._listed_dependencies(route), consumed) \
            and self._consume_all(_chain_dependencies(entries), consumed)
        # a handler taking the Request may read request.path_params itself
        if not known or signatures.ANY_NAME in consumed or (manual and "path_params" in self.ctx.source):
            return
        if manual:
            # a `{rest:path}` catch-all (an SPA fallback, a proxy) captures the rest of the URL,
            # which a handler taking the Request reads as `request.url`
            missing = [name for name in missing if not any(f"{{{name}:path}}" in path for path in paths)]
        anchor = self._path_node(route) or function.name
        for name in missing:
            if name not in consumed:
                path = next(p for p in paths if name in path_parameters(p))
                self.report(
                    anchor,
                    f"Path parameter `{{{name}}}` of `{path}` is not a parameter of "
                    f"`{function.name.value}` or of its dependencies",
                )

    def _class_based_view(self, function: cst.FunctionDef) -> bool:
        """A route method of a class (``@cbv(router)``, a controller base class): the class's
        attributes are dependencies injected into every route, which the check does not read."""
        params = function.params.params
        if not self._classes or not params or params[0].name.value != "self":
            return False
        owner = self._classes[-1]
        return bool(owner.bases) or any(
            isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.AnnAssign) for stmt in owner.body.body)

    def _consume(self, target: Optional[str], consumed: Set[str], depth: int = 0) -> bool:
        """Add the names dependency ``target`` reads; False when they cannot be known."""
        if target is not None and target.startswith("<local>."):
            return self._consume_nested(target[len("<local>."):], consumed, depth)
        names = signatures.consumed_names(self.ctx.project, target or signatures.UNKNOWN)
        if names is None:
            return False
        consumed.update(names)
        return True

    def _consume_nested(self, name: str, consumed: Set[str], depth: int) -> bool:
        function = self._nested.get(name)
        if function is None or depth > 5:
            return False
        if "path_params" in self.ctx.facts.module.code_for_node(function.body):
            consumed.add(signatures.ANY_NAME)
        for param in iter_params(function.params):
            source = self.ctx.param_source(param)
            if source.kind != DEPENDS:
                consumed.add(source.alias or param.name.value)
            elif not self._consume(source.target, consumed, depth + 1):
                return False
        return True

    def _consume_all(self, targets: Optional[List[str]], consumed: Set[str]) -> bool:
        if targets is None:
            return False
        return all(self._consume(t, consumed) for t in targets)

    def _listed_dependencies(self, route: RouteInfo) -> Optional[List[str]]:
        """Targets of ``dependencies=[...]`` of the route and of its router/app; None if unknown."""
        lists = [route.keyword("dependencies")]
        if isinstance(route.call, cst.Call) and isinstance(route.call.func, cst.Attribute):
            receiver = route.call.func.value
            created = self.ctx.facts.assignments.get(receiver.value) if isinstance(receiver, cst.Name) else None
            if isinstance(created, cst.Call):
                arg = keyword(created, "dependencies")
                lists.append(arg.value if arg is not None else None)
        targets: List[str] = []
        for listed in lists:
            if listed is None:
                continue
            found = self._targets(listed)
            if found is None:
                return None
            targets.extend(found)
        return targets

    def _targets(self, listed: cst.BaseExpression) -> Optional[List[str]]:
        if not isinstance(listed, (cst.List, cst.Tuple)):
            return None
        targets = []
        for element in listed.elements:
            call = element.value
            if marker_kind(call, self.ctx.resolve) != DEPENDS:
                return None
            assert isinstance(call, cst.Call)
            dependency = positional(call, 0) or keyword(call, "dependency")
            resolved = self.ctx.resolve(dependency.value) if dependency is not None else None
            targets.append(resolved or signatures.UNKNOWN)
        return targets

    @staticmethod
    def _path_node(route: RouteInfo) -> Optional[cst.CSTNode]:
        """The path argument of the decorator or of ``add_api_route(path, endpoint)``."""
        if route.call is None:
            return None
        arg = positional(route.call, 0) or keyword(route.call, "path")
        return arg.value if arg is not None else None


def _full_paths(route: RouteInfo, entries: Sequence[Registration], alone: bool) -> Tuple[List[str], bool]:
    """The route's full paths (app, include and router prefixes of each registration in the
    route table), and whether they are all known: a registration whose chain holds a prefix
    that is not a literal, or that no app is known to serve, may get a prefix at run time,
    and so may a route the table does not hold. ``alone``: no project, the module is all."""
    paths = list(dict.fromkeys(entry.path for entry, _ in entries if entry.path is not None))
    complete = all(done and entry.path is not None for entry, done in entries) if entries else alone
    if route.full_path is not None and not any(p.endswith(route.full_path) for p in paths):
        paths.append(route.full_path)
    return paths, complete


def _chain_dependencies(entries: Sequence[Registration]) -> List[str]:
    """The app-, include- and router-level dependencies in effect on any registration."""
    return list(dict.fromkeys(d.target for entry, _ in entries for d in entry.dependencies
                              if d.level in _CHAIN_LEVELS))
