"""The FastAPI semantic model of one module, built once per file and shared by all rules.

A cheap pre-pass over the module's top-level statements (not a full traversal) records
imports and aliases, module-level assignments, functions, classes, FastAPI apps/routers and
``add_api_route`` registrations. Names met inside functions are tracked during the single
rule traversal by :mod:`fastapi_lint.context`.

Resolved names are dotted strings. An *instance* of something is written with ``()``:
``client = httpx.Client()`` makes ``client`` resolve to ``"httpx.Client()"`` and
``client.get`` to ``"httpx.Client().get"``; ``db: Session`` resolves to
``"sqlalchemy.orm.Session()"``.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastapi_lint.names import dotted, iter_params, keyword, positional, string_value

if TYPE_CHECKING:
    from fastapi_lint.project import ProjectIndex

ROUTE_METHODS = {
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket",
}
APP_TYPES = {"fastapi.FastAPI", "fastapi.applications.FastAPI"}
ROUTER_TYPES = {"fastapi.APIRouter", "fastapi.routing.APIRouter"}
APP_OR_ROUTER_INSTANCES = {t + "()" for t in APP_TYPES | ROUTER_TYPES}
_BUILTINS = frozenset(dir(builtins))
_TYPE_WRAPPERS = {"typing.Optional", "typing_extensions.Optional", "typing.Union"}
_ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}


@dataclass
class RouteInfo:
    """A route handler: one decorator (or ``add_api_route``) that registers a function."""

    function: cst.FunctionDef
    method: str  # "get", ..., "api_route", "websocket"
    path: Optional[str]
    receiver: str  # the app/router expression as written, e.g. "router"
    call: Optional[cst.Call]  # the decorator or add_api_route call
    decorator: Optional[cst.Decorator]
    methods: Tuple[str, ...]  # HTTP methods, upper case ("GET", ...); empty for websocket

    @property
    def is_websocket(self) -> bool:
        return self.method == "websocket"

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        if self.call is None:
            return None
        arg = keyword(self.call, name)
        return arg.value if arg is not None else None

    @property
    def params(self) -> List[cst.Param]:
        return list(iter_params(self.function.params))


@dataclass
class ModuleFacts:
    path: str
    module_name: str
    module: cst.Module
    package: str = ""
    project: Optional["ProjectIndex"] = None
    # name -> resolved dotted name ("time.sleep", "httpx.Client()", "app.utils.helper")
    names: Dict[str, str] = field(default_factory=dict)
    # module-level NAME = value (the last assignment wins)
    assignments: Dict[str, cst.BaseExpression] = field(default_factory=dict)
    functions: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    classes: Dict[str, cst.ClassDef] = field(default_factory=dict)
    # function name -> routes registered with add_api_route
    api_routes: Dict[str, List[RouteInfo]] = field(default_factory=dict)
    _routes: Dict[int, List[RouteInfo]] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        module: cst.Module,
        path: str,
        module_name: str,
        project: Optional["ProjectIndex"] = None,
        is_package: bool = False,
    ) -> "ModuleFacts":
        package = module_name if is_package else module_name.rpartition(".")[0]
        facts = cls(path=path, module_name=module_name, module=module, package=package, project=project)
        facts._scan(module.body)
        return facts

    def _scan(self, body: Sequence[cst.CSTNode]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._scan_small(small)
            elif isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
                self.names[stmt.name.value] = self.local(stmt.name.value)
            elif isinstance(stmt, cst.ClassDef):
                self.classes[stmt.name.value] = stmt
                self.names[stmt.name.value] = self.local(stmt.name.value)
            elif isinstance(stmt, cst.If):
                self._scan(stmt.body.body)
                orelse = stmt.orelse
                while orelse is not None:
                    self._scan(orelse.body.body)
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                self._scan(stmt.body.body)
                for handler in stmt.handlers:
                    self._scan(handler.body.body)
                if stmt.orelse is not None:
                    self._scan(stmt.orelse.body.body)
            elif isinstance(stmt, cst.With):
                self._scan(stmt.body.body)

    def _scan_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            self.names.update(import_bindings(small, self.package))
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    self._bind_module(target.target.value, small.value, None)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            self._bind_module(small.target.value, small.value, small.annotation.annotation)
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            self._scan_add_api_route(small.value)

    def _bind_module(
        self, name: str, value: Optional[cst.BaseExpression], annotation: Optional[cst.BaseExpression]
    ) -> None:
        if value is not None:
            self.assignments[name] = value
        bound = self.value_binding(value, self.names.get) if value is not None else None
        if bound is None and annotation is not None:
            bound = self.annotation_type(annotation, self.names.get)
        if bound is not None:
            self.names[name] = bound
        else:
            self.names[name] = self.local(name)

    def _scan_add_api_route(self, call: cst.Call) -> None:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_api_route"):
            return
        receiver = call.func.value
        if not self.is_app_or_router(self.resolve(receiver, self.names.get)):
            return
        endpoint = positional(call, 1) or keyword(call, "endpoint")
        if endpoint is None or not isinstance(endpoint.value, cst.Name):
            return
        path = string_value((positional(call, 0) or keyword(call, "path") or cst.Arg(cst.Name("_"))).value)
        methods_arg = keyword(call, "methods")
        methods = _string_list(methods_arg.value) if methods_arg is not None else ("GET",)
        function = self.functions.get(endpoint.value.value)
        if function is None:
            return
        method = methods[0].lower() if len(methods) == 1 else "api_route"
        info = RouteInfo(function, method, path, dotted(receiver) or "", call, None, methods)
        self.api_routes.setdefault(endpoint.value.value, []).append(info)

    # -- names ---------------------------------------------------------------------------
    def local(self, name: str) -> str:
        return f"{self.module_name}.{name}" if self.module_name else name

    def resolve(self, expr: cst.BaseExpression, lookup=None) -> Optional[str]:
        """The dotted name ``expr`` refers to, or None when it is not statically known."""
        lookup = lookup or self.names.get
        if isinstance(expr, cst.Name):
            found = lookup(expr.value)
            if found is not None:
                return found
            return f"builtins.{expr.value}" if expr.value in _BUILTINS else None
        if isinstance(expr, cst.Attribute):
            base = self.resolve(expr.value, lookup)
            return f"{base}.{expr.attr.value}" if base is not None else None
        if isinstance(expr, cst.Call):
            func = self.resolve(expr.func, lookup)
            return f"{func}()" if func is not None else None
        if isinstance(expr, cst.Await):
            return self.resolve(expr.expression, lookup)
        return None

    def value_binding(self, value: cst.BaseExpression, lookup) -> Optional[str]:
        """What a name bound to ``value`` resolves to: an alias or an instance."""
        if isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Await)):
            return self.resolve(value, lookup)
        return None

    def annotation_type(self, annotation: cst.BaseExpression, lookup=None) -> Optional[str]:
        """The instance type an annotation declares, unwrapping Annotated/Optional/``| None``."""
        lookup = lookup or self.names.get
        ann = unwrap_annotation(annotation, lambda e: self.resolve(e, lookup))
        if ann is None:
            return None
        base = self.resolve(ann, lookup)
        return f"{base}()" if base is not None else None

    def is_app_or_router(self, resolved: Optional[str]) -> bool:
        if resolved is None:
            return False
        if resolved in APP_OR_ROUTER_INSTANCES:
            return True
        return self.project is not None and self.project.is_app_or_router(resolved)

    # -- routes --------------------------------------------------------------------------
    def routes_of(self, function: cst.FunctionDef, lookup=None) -> List[RouteInfo]:
        """Every registration of ``function`` as a route (decorators and add_api_route)."""
        key = id(function)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        routes: List[RouteInfo] = []
        for decorator in function.decorators:
            info = self._route_from_decorator(function, decorator, lookup or self.names.get)
            if info is not None:
                routes.append(info)
        registered = self.api_routes.get(function.name.value, [])
        routes.extend(r for r in registered if r.function is function)
        self._routes[key] = routes
        return routes

    def _route_from_decorator(
        self, function: cst.FunctionDef, decorator: cst.Decorator, lookup
    ) -> Optional[RouteInfo]:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return None
        method = call.func.attr.value
        if method not in ROUTE_METHODS:
            return None
        receiver = call.func.value
        if not self.is_app_or_router(self.resolve(receiver, lookup)):
            return None
        path_arg = positional(call, 0) or keyword(call, "path")
        path = string_value(self.constant(path_arg.value)) if path_arg is not None else None
        if method == "api_route":
            methods_arg = keyword(call, "methods")
            methods = _string_list(methods_arg.value) if methods_arg is not None else ("GET",)
        elif method == "websocket":
            methods = ()
        else:
            methods = (method.upper(),)
        return RouteInfo(function, method, path, dotted(receiver) or "", call, decorator, methods)

    # -- constants -----------------------------------------------------------------------
    def constant(self, expr: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression:
        """Follow a module-level NAME to the expression assigned to it (a few levels)."""
        while isinstance(expr, cst.Name) and depth < 5 and expr.value in self.assignments:
            expr = self.assignments[expr.value]
            depth += 1
        return expr


def unwrap_annotation(annotation: cst.BaseExpression, resolve) -> Optional[cst.BaseExpression]:
    """``Annotated[T, ...]``/``Optional[T]``/``T | None``/``"T"`` -> ``T``."""
    for _ in range(5):
        if isinstance(annotation, cst.Subscript):
            name = resolve(annotation.value)
            elements = annotation.slice
            if name in _ANNOTATED or name in _TYPE_WRAPPERS:
                non_none = [
                    e.slice.value for e in elements
                    if isinstance(e.slice, cst.Index)
                    and not (isinstance(e.slice.value, cst.Name) and e.slice.value.value == "None")
                ]
                if name in _ANNOTATED:
                    non_none = non_none[:1]
                if len(non_none) != 1:
                    return None
                annotation = non_none[0]
                continue
            return annotation
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [s for s in (annotation.left, annotation.right)
                     if not (isinstance(s, cst.Name) and s.value == "None")]
            if len(sides) != 1:
                return None
            annotation = sides[0]
            continue
        if isinstance(annotation, cst.SimpleString):
            text = string_value(annotation)
            if text is None:
                return None
            try:
                annotation = cst.parse_expression(text)
            except Exception:  # a malformed string annotation is simply unknown
                return None
            continue
        return annotation
    return None


def annotated_metadata(annotation: Optional[cst.BaseExpression], resolve) -> List[cst.BaseExpression]:
    """The metadata of ``Annotated[T, m1, m2]`` (``[m1, m2]``), else an empty list."""
    if isinstance(annotation, cst.Subscript) and resolve(annotation.value) in _ANNOTATED:
        return [e.slice.value for e in annotation.slice[1:] if isinstance(e.slice, cst.Index)]
    return []


def import_bindings(node: cst.CSTNode, package: str) -> Dict[str, str]:
    """The names an import statement binds, mapped to their dotted targets.

    ``package`` is the package the importing module lives in (for relative imports).
    """
    out: Dict[str, str] = {}
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out[alias.asname.name.value] = full
            else:
                head = full.split(".", 1)[0]
                out[head] = head
    elif isinstance(node, cst.ImportFrom):
        base = dotted(node.module) if node.module is not None else ""
        if node.relative:
            parts = package.split(".") if package else []
            # one dot is the package itself; each further dot goes one level up
            up = len(node.relative) - 1
            parent = parts[: max(len(parts) - up, 0)]
            base = ".".join([p for p in parent + ([base] if base else []) if p])
        if isinstance(node.names, cst.ImportStar):
            return out
        for alias in node.names:
            name = dotted(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            out[local] = f"{base}.{name}" if base else name
    return out


def _string_list(expr: cst.BaseExpression) -> Tuple[str, ...]:
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        values = [string_value(e.value) for e in expr.elements]
        return tuple(v.upper() for v in values if v)
    return ()
