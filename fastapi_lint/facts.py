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
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Collection, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fastapi_lint.project import routers, signatures
from fastapi_lint.names import dotted, iter_params, keyword, positional, string_value

if TYPE_CHECKING:
    from fastapi_lint.project import ProjectIndex

ROUTE_METHODS = {
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket",
}
APP_TYPES = set(routers.APP_TYPES)
ROUTER_TYPES = set(routers.ROUTER_TYPES)
APP_OR_ROUTER_INSTANCES = {t + "()" for t in APP_TYPES | ROUTER_TYPES}
_BUILTINS = frozenset(dir(builtins))
_TYPE_WRAPPERS = {"typing.Optional", "typing_extensions.Optional", "typing.Union"}
_ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}

# Where FastAPI takes a route/dependency parameter from (ParamSource.kind).
DEPENDS, PATH, QUERY, HEADER, COOKIE, BODY, SPECIAL = (
    "depends", "path", "query", "header", "cookie", "body", "special",
)
_MARKER_KINDS = {
    "Depends": DEPENDS, "Security": DEPENDS, "Path": PATH, "Query": QUERY, "Header": HEADER,
    "Cookie": COOKIE, "Body": BODY, "Form": BODY, "File": BODY,
}
# Parameters FastAPI fills itself, by annotation.
SPECIAL_PARAM_TYPES = frozenset(
    f"{module}.{name}"
    for modules, name in (
        (("fastapi", "fastapi.requests", "starlette.requests"), "Request"),
        (("fastapi", "fastapi.websockets", "starlette.websockets"), "WebSocket"),
        (("fastapi.requests", "starlette.requests"), "HTTPConnection"),
        (("fastapi", "fastapi.responses", "starlette.responses"), "Response"),
        (("fastapi", "fastapi.background", "starlette.background"), "BackgroundTasks"),
        (("fastapi.security", "fastapi.security.oauth2"), "SecurityScopes"),
    )
    for module in modules
)
_SCALAR_TYPES = frozenset({
    "builtins.int", "builtins.str", "builtins.float", "builtins.bool", "builtins.bytes",
    "builtins.complex", "builtins.object", "typing.Any", "typing_extensions.Any",
})
_SCALAR_MODULES = ("datetime.", "uuid.", "decimal.", "pathlib.", "ipaddress.", "enum.", "pydantic.")
_PYDANTIC_COMPLEX = frozenset({"BaseModel", "RootModel"})
_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
# short names (lower case) of mapping/sequence types: FastAPI reads them from the body
_COMPLEX_GENERICS = frozenset({
    "dict", "list", "set", "frozenset", "tuple", "sequence", "mapping", "mutablemapping",
    "mutablesequence", "abstractset", "mutableset", "iterable", "collection", "deque",
    "defaultdict", "ordereddict", "counter",
})
_PATH_PARAM = re.compile(r"\{([A-Za-z_]\w*)(?::[^}]*)?\}")


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
    # prefix= of the router when it is created in this module (``APIRouter(prefix="/items")``)
    prefix: str = ""

    @property
    def is_websocket(self) -> bool:
        return self.method == "websocket"

    @property
    def full_path(self) -> Optional[str]:
        """The router prefix and the path; None when the path is not a literal."""
        return None if self.path is None else self.prefix + self.path

    @property
    def path_params(self) -> Tuple[str, ...]:
        """Names of the ``{name}``/``{name:converter}`` placeholders of the prefixed path."""
        return path_parameters(self.full_path or "")

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
    _owners: Optional[Dict[int, str]] = None

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
        info = RouteInfo(function, method, path, dotted(receiver) or "", call, None, methods,
                         self.router_prefix(receiver))
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
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            # ``Path(a) / "b"`` is a Path again (FAPI104 follows paths built this way)
            left = self.resolve(expr.left, lookup)
            return "pathlib.Path()" if left is not None and left.startswith("pathlib.Path") else None
        return None

    def value_binding(self, value: cst.BaseExpression, lookup) -> Optional[str]:
        """What a name bound to ``value`` resolves to: an alias or an instance."""
        if isinstance(value, cst.Name) and value.value in ("None", "True", "False"):
            # ``client: httpx.Client | None = None``: the annotation says what it will hold
            return None
        if isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Await, cst.BinaryOperation)):
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
        """An app or router instance: of FastAPI's classes, of a project class deriving from
        them, made by a project factory, or a router attribute of a project object."""
        if resolved is None:
            return False
        if resolved in APP_OR_ROUTER_INSTANCES:
            return True
        if resolved.endswith("()") and self._is_app_or_router_subclass(resolved[:-2]):
            return True
        return self.project is not None and self.project.is_app_or_router(resolved, self.module_name)

    def _is_app_or_router_subclass(self, class_name: str) -> bool:
        """``class VersionedRouter(APIRouter)`` defined in this module (without a project index)."""
        node = self.classes.get(class_name.rpartition(".")[2])
        if node is None or class_name != self.local(node.name.value):
            return False
        return any(self.resolve(base.value) in APP_TYPES | ROUTER_TYPES for base in node.bases)

    def _receiver(self, function: cst.FunctionDef, receiver: cst.BaseExpression, lookup) -> Optional[str]:
        """What a route decorator's receiver resolves to; ``self.router`` in a method (or a
        function nested in one) is the attribute of an instance of the enclosing class."""
        resolved = self.resolve(receiver, lookup)
        if resolved is not None and resolved.startswith(("<local>.self.", "<local>.cls.")):
            owner = self._method_classes().get(id(function))
            if owner is not None:
                attribute = resolved.split(".", 2)[2]
                return f"{self.local(owner)}().{attribute}"
        return resolved

    def _method_classes(self) -> Dict[int, str]:
        """id of every function defined in a module-level class (at any depth) -> the class."""
        if self._owners is None:
            self._owners = {}
            for name, node in self.classes.items():
                for function in _functions_in(node.body.body):
                    self._owners[id(function)] = name
        return self._owners

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
        if not self.is_app_or_router(self._receiver(function, receiver, lookup)):
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
        return RouteInfo(function, method, path, dotted(receiver) or "", call, decorator, methods,
                         self.router_prefix(receiver))

    def router_prefix(self, receiver: cst.BaseExpression) -> str:
        """The literal ``prefix=`` of a router created at module level as ``receiver``."""
        if not isinstance(receiver, cst.Name):
            return ""
        created = self.assignments.get(receiver.value)
        if not isinstance(created, cst.Call) or not self._is_router_type(self.resolve(created.func)):
            return ""
        prefix = keyword(created, "prefix")
        return (string_value(self.constant(prefix.value)) or "") if prefix is not None else ""

    def _is_router_type(self, name: Optional[str]) -> bool:
        """``APIRouter`` or a project subclass of it (whose ``prefix=`` is FastAPI's)."""
        if name is None or name in APP_TYPES:
            return False
        return name in ROUTER_TYPES or (
            self.project is not None and routers.model(self.project).is_router_class(name, self.module_name)
        )

    # -- parameters ----------------------------------------------------------------------
    def param_source(
        self, param: cst.Param, path_params: Collection[str] = (), lookup=None
    ) -> "ParamSource":
        """Where FastAPI takes ``param`` from (see :class:`ParamSource`).

        ``path_params`` are the route's path placeholders (``RouteInfo.path_params``); for a
        dependency function, whose routes are not known here, pass none: a plain scalar
        parameter is then classified ``query``.
        """
        lookup = lookup or self.names.get
        resolve = lambda e: self.resolve(e, lookup)  # noqa: E731
        annotation = param.annotation.annotation if param.annotation is not None else None
        found = self._explicit_source(annotation, param.default, resolve, 0)
        if found is not None:
            return found
        plain = unwrap_annotation(annotation, resolve) if annotation is not None else None
        if plain is not None and resolve(plain) in SPECIAL_PARAM_TYPES:
            return ParamSource(SPECIAL)
        if param.name.value in path_params:
            return ParamSource(PATH)
        if annotation is None:
            return ParamSource(QUERY)  # FastAPI reads an unannotated parameter as Any: a query
        return ParamSource(BODY if self._is_complex(annotation, param.default, resolve) else QUERY)

    def _explicit_source(
        self,
        annotation: Optional[cst.BaseExpression],
        default: Optional[cst.BaseExpression],
        resolve,
        depth: int,
    ) -> Optional["ParamSource"]:
        """A marker in Annotated metadata (FastAPI takes the last), an alias's, or the default's."""
        for meta in reversed(annotated_metadata(annotation, resolve)):
            kind = marker_kind(meta, resolve)
            if kind is not None:
                assert isinstance(meta, cst.Call)
                inner = annotation.slice[0].slice  # type: ignore[union-attr]
                value = inner.value if isinstance(inner, cst.Index) else None
                return _source(kind, meta, True, value, resolve)
        if isinstance(annotation, (cst.Name, cst.Attribute)) and depth < 3:
            from_alias = self._alias_source(annotation, resolve, depth)
            if from_alias is not None:
                return from_alias
        kind = marker_kind(default, resolve) if default is not None else None
        if kind is not None:
            assert isinstance(default, cst.Call)
            plain = unwrap_annotation(annotation, resolve) if annotation is not None else None
            return _source(kind, default, False, plain, resolve)
        return None

    def _alias_source(self, annotation: cst.BaseExpression, resolve, depth: int) -> Optional["ParamSource"]:
        """``x: CurrentUser`` where ``CurrentUser = Annotated[User, Depends(...)]`` here or in the project."""
        if isinstance(annotation, cst.Name) and annotation.value in self.assignments:
            value = self.assignments[annotation.value]
            if isinstance(value, cst.Subscript):
                found = self._explicit_source(value, None, resolve, depth + 1)
                return replace(found, annotated=True) if found is not None else None
            return None
        target = resolve(annotation)
        if target is None or target.startswith(f"{self.module_name}."):
            return None
        marker = signatures.annotated_alias(self.project, target)
        if marker is None:
            return None
        kind, dependency = marker
        return ParamSource(kind, None, True, dependency or None)

    def _is_complex(self, annotation: cst.BaseExpression, default: Optional[cst.BaseExpression], resolve) -> bool:
        """FastAPI's "not a scalar" (models, mappings, sequences, files): read from the body."""
        members = _union_members(annotation, resolve)
        if members is None:
            plain = unwrap_annotation(annotation, resolve)
            members = [plain] if plain is not None else []
        return any(self._is_complex_type(m, default, resolve) for m in members)

    def _is_complex_type(self, ann: cst.BaseExpression, default: Optional[cst.BaseExpression], resolve) -> bool:
        if isinstance(ann, cst.Subscript):
            name = resolve(ann.value) or ""
            return name not in _LITERAL and name.rpartition(".")[2].lower() in _COMPLEX_GENERICS
        name = resolve(ann)
        if name is None:
            # an unknown name: a model unless an enum member default says otherwise
            return not isinstance(default, (cst.Attribute, cst.SimpleString, cst.Integer, cst.Float))
        short = name.rpartition(".")[2]
        if short.lower() in _COMPLEX_GENERICS or short in _PYDANTIC_COMPLEX or short == "UploadFile":
            return True
        if name in _SCALAR_TYPES or name.startswith(_SCALAR_MODULES):
            return False
        local = self.classes.get(short) if name == self.local(short) else None
        if local is not None:
            return not any((resolve(b.value) or "").endswith(("Enum", "IntFlag", "Flag")) for b in local.bases)
        if signatures.is_project_enum(self.project, name):
            return False
        if short[:1].isupper():
            return not isinstance(default, (cst.Attribute, cst.SimpleString, cst.Integer, cst.Float))
        return False

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


def _functions_in(body: Sequence[cst.CSTNode]):
    """Every function defined in ``body``, nested ones included (not in nested classes)."""
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef):
            yield stmt
            yield from _functions_in(stmt.body.body)
        elif isinstance(stmt, (cst.If, cst.With, cst.For, cst.While, cst.Try, cst.TryStar)):
            yield from _functions_in(stmt.body.body)


def _string_list(expr: cst.BaseExpression) -> Tuple[str, ...]:
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        values = [string_value(e.value) for e in expr.elements]
        return tuple(v.upper() for v in values if v)
    return ()


@dataclass(frozen=True)
class ParamSource:
    """Where FastAPI takes a route or dependency parameter from.

    ``kind`` is one of ``depends`` (a ``Depends``/``Security`` default or ``Annotated``
    metadata, also through an ``Annotated`` alias defined here or in another project
    module), ``path``, ``query``, ``header``, ``cookie``, ``body`` (``Body``/``Form``/
    ``File``, or a model/mapping/sequence annotation without a marker) and ``special``
    (``Request``, ``WebSocket``, ``Response``, ``BackgroundTasks``, ``SecurityScopes``,
    ``HTTPConnection``).
    """

    kind: str
    # the Depends()/Query()/... call that decided it, when it is in this module
    marker: Optional[cst.Call] = None
    # the marker sits in Annotated metadata (directly or through an alias), not the default
    annotated: bool = False
    # depends: dotted name of the dependency callable ("?" when not statically known)
    target: Optional[str] = None
    # validation_alias=/alias= of a Path/Query/Header/Cookie/Body marker: the name FastAPI reads
    alias: Optional[str] = None

    @property
    def explicit(self) -> bool:
        """Decided by a marker (default, Annotated metadata or alias), not inferred."""
        return self.marker is not None or self.annotated


def marker_kind(expr: Optional[cst.BaseExpression], resolve) -> Optional[str]:
    """The ParamSource kind of a FastAPI marker call (``Depends(...)``, ``Query()``...)."""
    if not isinstance(expr, cst.Call):
        return None
    name = resolve(expr.func)
    if not name or not name.startswith("fastapi."):
        return None
    return _MARKER_KINDS.get(name.rpartition(".")[2])


def _source(kind: str, call: cst.Call, annotated: bool, inner: Optional[cst.BaseExpression], resolve) -> ParamSource:
    if kind != DEPENDS:
        # the name read from the request: validation_alias= wins over alias=
        names = [keyword(call, "validation_alias"), keyword(call, "alias")]
        alias = next((string_value(a.value) for a in names if a is not None and string_value(a.value)), None)
        return ParamSource(kind, call, annotated, alias=alias)
    dependency = positional(call, 0) or keyword(call, "dependency")
    # Depends() without a callable: FastAPI calls the annotated class itself
    expr = dependency.value if dependency is not None else inner
    target = resolve(expr) if expr is not None else None
    return ParamSource(DEPENDS, call, annotated, target or signatures.UNKNOWN)


def _union_members(annotation: cst.BaseExpression, resolve) -> Optional[List[cst.BaseExpression]]:
    """The non-None members of a ``Union[...]``/``A | B`` with two or more of them, else None."""
    if isinstance(annotation, cst.Subscript) and resolve(annotation.value) in _ANNOTATED:
        first = annotation.slice[0].slice
        annotation = first.value if isinstance(first, cst.Index) else annotation
    members: List[cst.BaseExpression] = []
    if isinstance(annotation, cst.Subscript) and resolve(annotation.value) == "typing.Union":
        members = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
    elif isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        stack = [annotation]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
                stack.extend((node.right, node.left))
            else:
                members.append(node)
    members = [m for m in members if not (isinstance(m, cst.Name) and m.value == "None")]
    return members if len(members) > 1 else None


def path_parameters(path: str) -> Tuple[str, ...]:
    """``"/items/{item_id}/{file:path}"`` -> ``("item_id", "file")``."""
    return tuple(match.group(1) for match in _PATH_PARAM.finditer(path))
