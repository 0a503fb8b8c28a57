"""The project pass's record of one module's wiring: where apps and routers are created,
which routes their decorators register, and what is included or mounted where.

One walk of the module's ``ast`` statements and function bodies (the shared parse), run
only on modules whose text registers a route or includes, mounts or creates a router.
:mod:`fastapi_lint.project.route_table` assembles the records of every module into the app's
route table. Names follow the facts' conventions (``mod.router``, ``x()`` an instance);
a name bound inside a function is ``mod.func.<locals>.name`` so that a factory's router
keeps its identity.
"""
from __future__ import annotations

import ast
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements, resolve
from fastapi_lint.project.index import LazyAst, ModuleSummary, collector
from fastapi_lint.prefilter import has_route, lazy_pattern

ROUTE_DECLS = "route_decls"
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "trace",
                           "api_route", "websocket"})
# a callee that may create an app or a router (the table asks the router model which do)
_CREATOR = lazy_pattern(r"Router|FastAPI|API|App")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# an argument named like an app or a router (``base_app``, ``api``, ``v1_router``)
_LIKE_ROUTER = lazy_pattern(r"(?i)router|app|api")
_BLOCKS = (ast.If, ast.With, ast.AsyncWith, ast.Try, ast.For, ast.AsyncFor, ast.While)


class Creation(NamedTuple):
    """``name = APIRouter(prefix=..., tags=..., dependencies=...)`` (or FastAPI, a subclass)."""

    key: str  # the dotted name the router is known by (``mod.router``)
    callee: str  # the resolved class called
    line: int
    column: int  # 1-based, of the call
    prefix: Optional[str] = ""  # None: a prefix that is not a literal
    tags: Tuple[str, ...] = ()
    dependencies: Tuple[str, ...] = ()
    # ``name = helper(APIRouter(...))``: made on the spot and handed to ``helper`` (its
    # resolved name, the argument's position); ``name`` is that router only if ``helper``
    # returns that parameter (the table checks)
    via: Optional[Tuple[str, int]] = None


class RouteDecl(NamedTuple):
    """One route registration: a decorator or an ``add_api_route`` call."""

    receiver: str
    methods: Tuple[str, ...]  # upper case; ("WEBSOCKET",) for a websocket route
    path: Optional[str]  # None when not a literal
    function: str  # the handler's qualified name in its module
    line: int  # the ``def`` line
    column: int  # 1-based column of the function's name
    response_model: Optional[str] = None  # source text
    status_code: Optional[str] = None
    dependencies: Tuple[str, ...] = ()  # route ``dependencies=[...]``
    parameter_dependencies: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ()
    # the handler's parameter annotations that are names (``user: CurrentUser``): maybe
    # ``Annotated`` aliases of dependencies, decided when the table is read
    annotations: Tuple[str, ...] = ()
    secured: bool = False  # ``Security(...)`` among the route's or its parameters' dependencies


class Wiring(NamedTuple):
    """``receiver.include_router(child, prefix=...)`` or ``receiver.mount(path, child)``."""

    receiver: str
    child: Optional[str]  # None: not statically known (a loop variable, a call result)
    line: int
    prefix: Optional[str] = ""  # None: a prefix that is not a literal
    tags: Tuple[str, ...] = ()
    dependencies: Tuple[str, ...] = ()
    mount: bool = False
    # set when receiver or child is a parameter (``<param>0``) of this project function: its
    # callers (``Invocation``) say which routers it wires
    function: str = ""
    # ``include_router(make_router("github", mode="x"))``: the factory call's string arguments,
    # by position ("0") or keyword, which bind the parameters its router's strings name
    arguments: Tuple[Tuple[str, str], ...] = ()


class Invocation(NamedTuple):
    """``helper(app, router)``: a call passing what may be an app or a router."""

    function: str
    args: Tuple[Optional[str], ...]
    line: int
    keywords: Tuple[Tuple[str, Optional[str]], ...] = ()


class ModuleRoutes(NamedTuple):
    creations: Tuple[Creation, ...] = ()
    routes: Tuple[RouteDecl, ...] = ()
    wiring: Tuple[Wiring, ...] = ()
    # function -> the name it returns: its local router (``mod.make.<locals>.router``), a
    # module-level or an imported one
    returns: Tuple[Tuple[str, str], ...] = ()
    invocations: Tuple[Invocation, ...] = ()
    # path-like string constants other modules may use as prefixes: ``API_PREFIX``,
    # ``Settings.API_V1_STR`` (a field default) and ``settings.API_V1_STR`` for an instance
    constants: Tuple[Tuple[str, str], ...] = ()
    # routers handed to code the model does not follow (``VersionedFastAPI(app, routers=[r])``,
    # ``ROUTERS = [a.router]``, ``app.router.routes.extend(r.routes)``): maybe included
    escapes: Tuple[str, ...] = ()


# a string that names another module's constant, resolved when the table is built
REFERENCE = "@ref:"
# a factory's parameter inside a recorded string (prefix, path, method), bound by the
# arguments of the call that makes the router: ``\0position:name[=default]\0`` (position
# "-" for a keyword-only parameter)
PARAMETER = "\0"
_PARAMETERS = lazy_pattern("\0([^:\0]*):([^=\0]*)(?:=([^\0]*))?\0")


def bind(text: Optional[str], arguments: Tuple[Tuple[str, str], ...]) -> Optional[str]:
    """``text`` with its factory parameters replaced by the call's ``arguments`` (else their
    defaults); None when one has neither."""
    if text is None or PARAMETER not in text:
        return text
    given = dict(arguments)
    unbound = []

    def value(match) -> str:
        found = given.get(match.group(1), given.get(match.group(2), match.group(3)))
        if found is None:
            unbound.append(match.group(2))
            return ""
        return found

    bound = _PARAMETERS.sub(value, text)
    return None if unbound else bound


# text without which a module neither registers routes nor wires routers
TRIGGERS = ("@", "include_router", ".mount(", "Router", "router", "FastAPI", "add_api_route", '"/', "'/")
_WIRING_WORDS = ("include_router", ".mount(", "Router", "router", "FastAPI", "add_api_route", '"/', "'/")


def _may_wire(text: str) -> bool:
    # words with `in`, then the route decorators as the prefilters see them: one alternation
    # of both (a decorator branch running to each line's end) cost 0.27 s over the benchmark corpus
    return any(word in text for word in _WIRING_WORDS) or has_route(text)


@collector(ROUTE_DECLS, triggers=TRIGGERS)
def _collect(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    if not _may_wire(text):
        return
    parsed = tree.outline()  # a module with newer syntax still wires what parses
    if parsed is None:
        return
    found = _Walker(summary.module, importing_package(summary.module, summary.is_package), text).run(parsed)
    if found.creations or found.routes or found.wiring or found.invocations or found.constants or found.escapes:
        summary.extra[ROUTE_DECLS] = found


class _Walker:
    def __init__(self, module: str, package: str, text: str) -> None:
        self.module = module
        self.package = package
        self.text = text
        self.lines: Optional[List[str]] = None
        self.names: Dict[str, str] = {}
        self.strings: Dict[str, str] = {}  # module-level string constants (paths, prefixes)
        self.creations: List[Creation] = []
        self.routes: List[RouteDecl] = []
        self.wiring: List[Wiring] = []
        self.returns: List[Tuple[str, str]] = []
        self.invocations: List[Invocation] = []
        self.escapes: Dict[str, None] = {}
        self.keys: Set[str] = set()  # the creations' keys
        # the function being walked and its positional parameters
        self.params: Tuple[str, Tuple[str, ...]] = ("", ())
        # its parameters as they appear in a recorded string (``PARAMETER``)
        self.placeholders: Dict[str, str] = {}
        # module-level function -> the class of this module its ``-> Cls`` declares
        self.declared: Dict[str, str] = {}

    def local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def run(self, tree: ast.Module) -> ModuleRoutes:
        statements = list(module_statements(tree.body))
        for stmt in statements:
            if isinstance(stmt, (ast.ClassDef, *_FUNCTIONS)):
                self.names[stmt.name] = self.local(stmt.name)
        self._block(statements, {}, "", None)
        return ModuleRoutes(tuple(self.creations), tuple(self.routes), tuple(self.wiring),
                            tuple(self.returns), tuple(self.invocations), self._constants(), tuple(self.escapes))

    def _constants(self) -> Tuple[Tuple[str, str], ...]:
        found = {k: v for k, v in self.strings.items() if v.startswith("/")}
        for name, bound in self.names.items():  # ``settings = Settings()``, ``= get_settings()``
            if bound.endswith("()") and bound.startswith(f"{self.module}."):
                cls = bound[len(self.module) + 1:-2]
                cls = self.declared.get(cls, cls)
                found.update((f"{name}.{k[len(cls) + 1:]}", v) for k, v in list(found.items())
                             if k.startswith(f"{cls}."))
        return tuple(sorted(found.items()))

    # -- statements ------------------------------------------------------------------------
    def _block(self, body, scope: Dict[str, str], qualname: str, owner: Optional[str]) -> None:
        """``scope``: names local to the enclosing function (empty at module level)."""
        lookup = (lambda name: scope.get(name) or self.names.get(name)) if qualname else self.names.get
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                (scope if qualname else self.names).update(import_bindings(stmt, self.package))
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                self._assign(stmt, scope, qualname, lookup)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._call(stmt.value, stmt.lineno, lookup)
            elif isinstance(stmt, _FUNCTIONS):
                self._function(stmt, scope, qualname, owner, lookup)
            elif isinstance(stmt, ast.ClassDef) and not qualname:
                for item in stmt.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) \
                            and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str):
                        self.strings[f"{stmt.name}.{item.target.id}"] = item.value.value
                    if isinstance(item, _FUNCTIONS):
                        self._function(item, {}, stmt.name, stmt.name, lookup)
            elif isinstance(stmt, ast.Return) and qualname and isinstance(stmt.value, ast.Name):
                value = lookup(stmt.value.id)  # a router of its own, of the module, or imported
                if value is not None and not value.startswith("<"):
                    self.returns.append((self.local(qualname), value))
                elif stmt.value.id in self.params[1] and self.params[0] == self.local(qualname):
                    self.returns.append((self.local(qualname), f"<param>{self.params[1].index(stmt.value.id)}"))
            elif isinstance(stmt, _BLOCKS):
                for part in ("body", "orelse", "finalbody"):
                    self._block(getattr(stmt, part, []), scope, qualname, owner)
                for handler in getattr(stmt, "handlers", []):
                    self._block(handler.body, scope, qualname, owner)

    def _assign(self, stmt, scope: Dict[str, str], qualname: str, lookup) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = stmt.value
        if not names:
            return
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and not qualname:
            for name in names:
                self.strings[name] = value.value
            return
        if isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            self._escape([value], lookup)
        if _applied_decorator(value):
            self._applied(value, lookup)
        bound = resolve(value, lookup)
        table = scope if qualname else self.names
        if isinstance(value, ast.Call) and (value.args or value.keywords):
            self._invocation(value, stmt.lineno, lookup)  # `app = create_app(router=router)`
            if self._handed(value, names, table, qualname, stmt.lineno, lookup):
                return
        if isinstance(value, ast.Call) and bound is not None and _CREATOR.search(bound[:-2].rpartition(".")[2]):
            key = f"{self.local(qualname)}.<locals>.{names[0]}" if qualname else self.local(names[0])
            self.creations.append(self._creation(key, bound[:-2], value, lookup))
            self.keys.add(key)
            for name in names:
                table[name] = key
            return
        for name in names:
            table[name] = bound or (f"{self.local(qualname)}.<locals>.{name}" if qualname else self.local(name))

    def _handed(self, call: ast.Call, names: List[str], table: Dict[str, str], qualname: str, line: int,
                lookup) -> bool:
        """``name = helper(APIRouter(prefix=...))``: a router made on the spot, wired by the
        helper (its ``include_router`` calls on the parameter) and returned by it."""
        function = resolve(call.func, lookup)
        if function is None or function.startswith("<"):
            return False
        for position, argument in enumerate(call.args):
            made = resolve(argument, lookup) if isinstance(argument, ast.Call) else None
            if made is None or _CREATOR.search(made[:-2].rpartition(".")[2]) is None:
                continue
            key = f"{self.local(qualname)}.<locals>.{names[0]}" if qualname else self.local(names[0])
            self.creations.append(self._creation(key, made[:-2], argument, lookup)._replace(via=(function, position)))
            self.keys.add(key)
            arguments = tuple(key if n == position else resolve(a, lookup) for n, a in enumerate(call.args))
            self.invocations.append(Invocation(function, arguments, line))
            for name in names:
                table[name] = key
            return True
        return False

    def _creation(self, key: str, callee: str, call: ast.Call, lookup) -> Creation:
        keywords = _keywords(call)
        prefix = keywords.get("prefix")
        return Creation(key, callee, call.lineno, call.col_offset + 1,
                        self._string(prefix) if prefix is not None else "",
                        _strings(keywords.get("tags")), self._dependencies(keywords.get("dependencies"), lookup))

    def _function(self, node, outer: Dict[str, str], qualname: str, owner: Optional[str], lookup) -> None:
        own = f"{qualname}.{node.name}" if qualname else node.name
        if not qualname and isinstance(node.returns, ast.Name):
            self.declared[node.name] = node.returns.id
        for decorator in node.decorator_list:
            self._decorator(node, own, decorator, owner, lookup)
        scope = dict(outer)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]:
            if arg is not None:
                scope[arg.arg] = f"<local>.{arg.arg}"
        outer_params, outer_placeholders = self.params, self.placeholders
        self.params = (self.local(own), tuple(a.arg for a in [*args.posonlyargs, *args.args]))
        self.placeholders = _placeholders(args)
        self._block(node.body, scope, own, owner)
        self.params, self.placeholders = outer_params, outer_placeholders

    def _decorator(self, node, own: str, decorator: ast.expr, owner: Optional[str], lookup) -> None:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_METHODS):
            return
        receiver = resolve(decorator.func.value, lookup)
        if receiver is None:
            return
        if owner is not None and receiver.startswith("<local>.self."):
            receiver = f"{self.local(owner)}().{receiver[len('<local>.self.'):]}"
        keywords = _keywords(decorator)
        path_node = decorator.args[0] if decorator.args else keywords.get("path")
        methods = self._methods(decorator.func.attr, keywords)
        self.routes.append(self._route(node, own, receiver, methods, path_node, keywords, lookup))

    def _route(self, node, own: str, receiver: str, methods, path_node, keywords, lookup) -> RouteDecl:
        prefix = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
        if self.lines is None:
            self.lines = self.text.splitlines()
        line_text = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        column = line_text.find(prefix + node.name, node.col_offset)
        column = (column + len(prefix) if column >= 0 else node.col_offset) + 1
        return RouteDecl(
            receiver, tuple(methods), self._string(path_node), own, node.lineno, column,
            _source(keywords.get("response_model")), _source(keywords.get("status_code")),
            self._dependencies(keywords.get("dependencies"), lookup),
            _parameter_dependencies(node, lookup), _strings(keywords.get("tags")),
            _annotations(node, lookup), _secured(node, keywords.get("dependencies"), lookup),
        )

    def _call(self, call: ast.Call, line: int, lookup) -> None:
        func = call.func
        if _applied_decorator(call):
            self._applied(call, lookup)
            return
        if not isinstance(func, ast.Attribute) or func.attr not in ("include_router", "mount", "add_api_route"):
            self._invocation(call, line, lookup)
            return
        receiver = resolve(func.value, lookup)
        if receiver is None:
            return
        keywords = _keywords(call)
        if func.attr == "include_router" and (call.args or "router" in keywords):
            child = resolve(call.args[0] if call.args else keywords["router"], lookup)
            prefix = keywords.get("prefix")
            receiver, child, function = self._parameters(receiver, child)
            made = call.args[0] if call.args else keywords["router"]
            self.wiring.append(Wiring(
                receiver, _known(child), line, self._string(prefix) if prefix is not None else "",
                _strings(keywords.get("tags")), self._dependencies(keywords.get("dependencies"), lookup),
                function=function, arguments=self._arguments(made) if isinstance(made, ast.Call) else ()))
        elif func.attr == "mount":
            path = call.args[0] if call.args else keywords.get("path")
            app = call.args[1] if len(call.args) >= 2 else keywords.get("app")
            if path is not None and app is not None:
                self.wiring.append(Wiring(receiver, _known(resolve(app, lookup)), line, self._string(path),
                                          mount=True))
        elif func.attr == "add_api_route":
            self._api_route(call, receiver, keywords, lookup)

    def _arguments(self, call: ast.Call) -> Tuple[Tuple[str, str], ...]:
        """The string arguments of a call making a router, by position or keyword."""
        given = [(str(number), a) for number, a in enumerate(call.args)] + list(_keywords(call).items())
        found = ((key, self._string(value)) for key, value in given)
        return tuple((key, text) for key, text in found
                     if text is not None and not text.startswith(REFERENCE) and PARAMETER not in text)

    def _methods(self, method: str, keywords: Dict[str, ast.expr]) -> Tuple[str, ...]:
        if method != "api_route":
            return ("WEBSOCKET",) if method == "websocket" else (method.upper(),)
        listed = getattr(keywords.get("methods"), "elts", ())
        found = tuple(self.placeholders[e.id] if isinstance(e, ast.Name) and e.id in self.placeholders
                      else e.value.upper() for e in listed
                      if isinstance(e, ast.Constant) and isinstance(e.value, str)
                      or isinstance(e, ast.Name) and e.id in self.placeholders)
        return found or ("GET",)

    def _parameters(self, receiver: str, child: Optional[str]) -> Tuple[str, Optional[str], str]:
        """``app.include_router(router)`` where both may be parameters of the function."""
        function, names = self.params
        renamed = [receiver, child]
        for number, value in enumerate(renamed):
            if value is not None and value.startswith("<local>.") and value[8:] in names:
                renamed[number] = f"<param>{names.index(value[8:])}:{value[8:]}"
        if renamed == [receiver, child]:
            return receiver, child, ""
        return renamed[0], renamed[1], function  # type: ignore[return-value]

    def _invocation(self, call: ast.Call, line: int, lookup) -> None:
        """Record a call passing a router or an app (made here, or named like one)."""
        values = [*call.args, *(k.value for k in call.keywords)]
        self._escape(values, lookup)
        if not any(isinstance(a, ast.Name) and (_LIKE_ROUTER.search(a.id) is not None or lookup(a.id) in self.keys)
                   for a in values):
            return
        function = resolve(call.func, lookup)
        if function is None or function.startswith("<"):
            return
        self.invocations.append(Invocation(
            function, tuple(resolve(a, lookup) for a in call.args), line,
            tuple((k.arg, resolve(k.value, lookup)) for k in call.keywords if k.arg)))

    def _escape(self, values: List[ast.expr], lookup) -> None:
        """Routers among ``values`` (inside list, tuple, set and dict literals too)."""
        for value in values:
            if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
                self._escape(value.elts, lookup)
            elif isinstance(value, ast.Dict):
                self._escape([v for v in value.values if v is not None], lookup)
            elif isinstance(value, ast.Starred):
                self._escape([value.value], lookup)
            elif isinstance(value, (ast.Name, ast.Attribute)):
                name = resolve(value, lookup)
                name = name[:-len(".routes")] if name is not None and name.endswith(".routes") else name
                if name is not None and not name.startswith("<") and (
                        name in self.keys or _LIKE_ROUTER.search(name.rpartition(".")[2]) is not None):
                    self.escapes[name] = None

    def _applied(self, call: ast.Call, lookup) -> None:
        """``router.post("/x", ...)(handler)``: the decorator applied by a call."""
        decorator = call.func
        assert isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
        receiver = resolve(decorator.func.value, lookup)
        if receiver is None or not call.args:
            return
        handler = call.args[0]
        name = "<lambda>" if isinstance(handler, ast.Lambda) else (resolve(handler, lookup) or "?").rpartition(".")[2]
        keywords = _keywords(decorator)
        path_node = decorator.args[0] if decorator.args else keywords.get("path")
        self.routes.append(RouteDecl(
            receiver, self._methods(decorator.func.attr, keywords), self._string(path_node), name, call.lineno,
            call.col_offset + 1, _source(keywords.get("response_model")), _source(keywords.get("status_code")),
            self._dependencies(keywords.get("dependencies"), lookup), (), _strings(keywords.get("tags"))))

    def _api_route(self, call: ast.Call, receiver: str, keywords, lookup) -> None:
        endpoint = call.args[1] if len(call.args) >= 2 else keywords.get("endpoint")
        target = resolve(endpoint, lookup) if endpoint is not None else None
        if target is None:
            return
        methods = self._methods("api_route", keywords)
        path_node = call.args[0] if call.args else keywords.get("path")
        name = target.rpartition(".")[2]
        self.routes.append(RouteDecl(
            receiver, methods, self._string(path_node), name, call.lineno, call.col_offset + 1,
            _source(keywords.get("response_model")), _source(keywords.get("status_code")),
            self._dependencies(keywords.get("dependencies"), lookup), (), _strings(keywords.get("tags"))))

    # -- values ----------------------------------------------------------------------------
    def _string(self, node: Optional[ast.expr]) -> Optional[str]:
        """A literal, a module constant of here, or a reference to one of another module
        (``REFERENCE`` + dotted name); an f-string of those; None when unknown."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.placeholders:
            return self.placeholders[node.id]
        if isinstance(node, ast.Name) and node.id in self.strings:
            return self.strings[node.id]
        if isinstance(node, ast.JoinedStr):
            parts = [self._string(v.value if isinstance(v, ast.FormattedValue) and not v.format_spec
                                  and v.conversion == -1 else v) for v in node.values]
            if any(p is None or p.startswith(REFERENCE) for p in parts):
                return None
            return "".join(parts)  # type: ignore[arg-type]
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = resolve(node, self.names.get)
            if dotted is not None and not dotted.startswith("<"):
                return REFERENCE + dotted
        return None

    def _dependencies(self, node: Optional[ast.expr], lookup) -> Tuple[str, ...]:
        found = (_depends_target(e, lookup) for e in getattr(node, "elts", ()))
        return tuple(d for d in found if d)


def _applied_decorator(node: Optional[ast.expr]) -> bool:
    return (isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.func, ast.Call)
            and isinstance(node.func.func, ast.Attribute) and node.func.func.attr in ROUTE_METHODS)


def _placeholders(args: ast.arguments) -> Dict[str, str]:
    """A function's parameters as ``PARAMETER`` placeholders, with their string defaults."""
    positional = [*args.posonlyargs, *args.args]
    defaults: Dict[str, ast.expr] = dict(zip((a.arg for a in positional[len(positional) - len(args.defaults):]),
                                             args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    found = {}
    for position, arg in [*((str(n), a) for n, a in enumerate(positional)), *(("-", a) for a in args.kwonlyargs)]:
        default = defaults.get(arg.arg)
        text = default.value if isinstance(default, ast.Constant) and isinstance(default.value, str) else None
        found[arg.arg] = f"{PARAMETER}{position}:{arg.arg}{'' if text is None else '=' + text}{PARAMETER}"
    return found


def _known(value: Optional[str]) -> Optional[str]:
    return None if value is None or value.startswith("<local>.") else value


def _keywords(call: ast.Call) -> Dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _strings(node: Optional[ast.expr], upper: bool = False) -> Tuple[str, ...]:
    values = tuple(e.value for e in getattr(node, "elts", ())
                   if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return tuple(v.upper() for v in values) if upper else values


def _source(node: Optional[ast.expr]) -> Optional[str]:
    return ast.unparse(node) if node is not None else None


def _depends_target(node: ast.expr, lookup) -> Optional[str]:
    if isinstance(node, ast.Call) and (node.args or node.keywords):
        name = resolve(node.func, lookup) or ""
        if name.rpartition(".")[2] in ("Depends", "Security"):
            argument = node.args[0] if node.args else _keywords(node).get("dependency")
            return (resolve(argument, lookup) if argument is not None else None) or "?"
    return None


def _parameter_dependencies(node, lookup) -> Tuple[str, ...]:
    """``Depends(x)`` of the handler's parameters (default or ``Annotated`` metadata)."""
    args = node.args
    found: List[str] = []
    for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
        target = _depends_target(default, lookup)
        if target:
            found.append(target)
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        annotation = arg.annotation
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
            for meta in annotation.slice.elts[1:]:
                target = _depends_target(meta, lookup)
                if target:
                    found.append(target)
    return tuple(found)


def _annotations(node, lookup) -> Tuple[str, ...]:
    args = node.args
    found = (resolve(a.annotation, lookup) for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
             if isinstance(a.annotation, (ast.Name, ast.Attribute)))
    return tuple(dict.fromkeys(name for name in found if name is not None and not name.startswith("<")))


def _secured(node, listed: Optional[ast.expr], lookup) -> bool:
    """``Security(...)`` in ``dependencies=[...]``, a parameter default or ``Annotated`` metadata."""
    args = node.args
    candidates = [*getattr(listed, "elts", ()), *args.defaults, *(d for d in args.kw_defaults if d is not None)]
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if isinstance(arg.annotation, ast.Subscript) and isinstance(arg.annotation.slice, ast.Tuple):
            candidates.extend(arg.annotation.slice.elts[1:])
    return any(isinstance(c, ast.Call) and (resolve(c.func, lookup) or "").rpartition(".")[2] == "Security"
               for c in candidates)
