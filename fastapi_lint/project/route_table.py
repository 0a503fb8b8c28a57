"""The app's route table, resolved statically across the project's modules.

From the project pass's records (:mod:`fastapi_lint.project.route_decls`) and the router model
(:mod:`fastapi_lint.project.routers`): every app (a ``FastAPI`` instance no one mounts), each route
with its method, full path (``include_router`` prefixes and router prefixes along the
chain, ``mount`` paths), handler location, response model, status code, dependencies in
effect (app, include, router, route and parameter level) and tags, in registration order.
Routes of routers that no app reaches are listed apart (``unincluded``), and so are
routes whose router the model cannot place (``unresolved``). Computed once per index
(``ProjectIndex.derived``), never by re-parsing a module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from fastapi_lint.project import routers
from fastapi_lint.project.index import ModuleSummary, ProjectIndex
from fastapi_lint.project.route_decls import REFERENCE, ROUTE_DECLS, bind, Creation, Invocation, ModuleRoutes, RouteDecl, Wiring

_MAX_DEPTH = 12
_MAX_NESTING = 16  # include chains deeper than this are cycles in disguise


class Dependency(NamedTuple):
    target: str
    level: str  # "app", "include", "router", "route", "parameter"


class Node(NamedTuple):
    """An app or router created in the project."""

    key: str
    module: str
    path: str  # the file it is created in
    creation: Creation
    is_app: bool


class Route(NamedTuple):
    methods: Tuple[str, ...]
    path: Optional[str]  # the full path; None when a part is not a literal
    module: str
    file: str
    function: str
    line: int
    column: int
    response_model: Optional[str]
    status_code: Optional[str]
    dependencies: Tuple[Dependency, ...]
    tags: Tuple[str, ...]
    app: Optional[str] = None  # the app key serving it; None for unincluded/unresolved
    mounted: Tuple[str, ...] = ()  # mount paths of the sub-applications it sits in
    router: Optional[str] = None  # the router (or app) it is declared on
    # registration order: positions along the chain; comparable where the same module decides
    order: Tuple[Tuple[str, int], ...] = ()
    annotations: Tuple[str, ...] = ()  # the handler's parameter annotations that are names
    secured: bool = False  # ``Security(...)`` at the route


@dataclass
class RouteTable:
    apps: List[Node] = field(default_factory=list)
    routes: List[Route] = field(default_factory=list)
    unincluded: List[Route] = field(default_factory=list)
    unresolved: List[Route] = field(default_factory=list)
    # routers (with routes) that no app reaches
    orphans: List[Node] = field(default_factory=list)
    # include_router calls whose router is not statically known (a loop over a list)
    dynamic_includes: int = 0
    # include_router/mount calls on an app that reach a router or sub-app of the project
    app_includes: int = 0
    mounts: List[Tuple[str, str, int]] = field(default_factory=list)  # (file, path, line) not an app


def table(index: ProjectIndex) -> RouteTable:
    """The route table of ``index`` (computed once per index)."""
    return index.derived("route-table", _build)


def _records(summary: ModuleSummary) -> Optional[ModuleRoutes]:
    found = summary.extra.get(ROUTE_DECLS)
    return found if isinstance(found, ModuleRoutes) else None


class _Builder:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.model = routers.model(index)
        self.files = {id(summary): path for path, summary in index._by_path.items()}
        self.nodes: Dict[str, Node] = {}
        self.returns: Dict[str, Tuple[str, str]] = {}  # factory -> (its module, what it returns)
        self.routes: Dict[str, List[Tuple[str, RouteDecl]]] = {}  # node -> (module, decl)
        self.children: Dict[str, List[Tuple[str, Wiring]]] = {}
        self.parametric: Dict[str, List[Wiring]] = {}  # function -> wiring of its parameters
        self.anonymous: Set[str] = set()
        self.constants: Dict[str, Dict[str, str]] = {}
        self.result = RouteTable()

    def build(self) -> RouteTable:
        modules = [(name, s, _records(s)) for name, s in sorted(self.index.modules.items())]
        modules = [(name, s, r) for name, s, r in modules if r is not None]
        for name, summary, records in modules:
            self.constants[name] = dict(records.constants)
        for name, summary, records in modules:
            self.returns.update((factory, (name, value)) for factory, value in records.returns)
            for creation in records.creations:
                kind = self._kind(creation.callee, name)
                creation = creation._replace(prefix=self.text(creation.prefix, name))
                if kind is not None:
                    self.nodes[creation.key] = Node(creation.key, name, self._file(summary), creation, kind == "app")
        for key, node in list(self.nodes.items()):  # made on the spot for a helper: is it returned?
            via = node.creation.via
            if via is not None:
                helper = self._defined(via[0], node.module)
                if self.returns.get(helper or "", (None, None))[1] != f"<param>{via[1]}":
                    del self.nodes[key]
        loose: List[Tuple[str, RouteDecl, str]] = []
        for name, summary, records in modules:
            for decl in records.routes:
                node = self.canonical(decl.receiver, name)
                if node is None:
                    loose.append((name, decl, self._file(summary)))
                else:
                    self.routes.setdefault(node, []).append((name, decl))
            for wiring in records.wiring:
                if wiring.function:
                    self.parametric.setdefault(wiring.function, []).append(wiring)
                else:
                    self._wire(name, summary, wiring)
        for name, summary, records in modules:
            for invocation in records.invocations:
                self._invoke(name, summary, invocation)
            for escaped in records.escapes:  # handed to code the model does not follow
                self.anonymous.update(c for c in [self.canonical(escaped, name)] if c is not None)
        for route_list in self.routes.values():
            route_list.sort(key=lambda item: (item[0], item[1].line))
        for key in sorted(self.nodes):
            node = self.nodes[key]
            if node.is_app and not self._mounted(key):
                self.result.apps.append(node)
                self._walk(key, _Chain(key, bind(node.creation.prefix, ()), self._own_dependencies(node, "app"),
                                       node.creation.tags, (), ()), set())
        served = self._reached([node.key for node in self.result.apps])
        reached = self._reached([node.key for node in self.result.apps] + sorted(self.anonymous))
        for key in sorted(self.routes):
            node = self.nodes[key]
            if key in reached and key not in served:  # served by an app made on the spot
                self.result.unresolved.extend(self._route(m, d, _Chain(None, None, (), (), (), ()), key)
                                              for m, d in self.routes[key])
            elif key not in reached:
                self.result.orphans.append(node)
                chain = _Chain(None, bind(node.creation.prefix, ()), self._own_dependencies(node, "router"),
                               node.creation.tags, (), ())
                self.result.unincluded.extend(self._route(m, d, chain, key) for m, d in self.routes[key])
        for module, decl, path in loose:
            self.result.unresolved.append(self._route(module, decl, _Chain(None, "", (), (), (), ()), None, path))
        return self.result

    # -- the graph -------------------------------------------------------------------------
    def _kind(self, callee: str, importer: str) -> Optional[str]:
        if callee in routers.APP_TYPES:
            return "app"
        if callee in routers.ROUTER_TYPES:
            return "router"
        if not self.model.is_router_class(callee, importer):
            return None
        return "app" if self._derives_from_app(callee, importer, 0) else "router"

    def _derives_from_app(self, cls: str, importer: str, depth: int) -> bool:
        if cls in routers.APP_TYPES:
            return True
        located = self.model._locate(cls, importer) if depth < _MAX_DEPTH else None
        if located is None or located[0].routers is None:
            return False
        summary, module, name = located
        return any(self._derives_from_app(base, module, depth + 1) for base in summary.routers.classes.get(name, ()))

    def canonical(self, expr: Optional[str], importer: str, depth: int = 0) -> Optional[str]:
        """The key of the app/router node ``expr`` designates, following imports, aliases,
        re-exports and factories (``make_router()`` returning its local router)."""
        if expr is None or depth > _MAX_DEPTH:
            return None
        if expr in self.nodes:
            return expr
        if expr.endswith("()"):
            factory = expr[:-2] if expr[:-2] in self.returns else self._defined(expr[:-2], importer)
            if factory is None or factory not in self.returns:
                return None
            module, returned = self.returns[factory]
            # its own router, or one made elsewhere (``from .routes import router; return router``)
            return returned if returned in self.nodes else self.canonical(returned, module, depth + 1)
        located = self.model._locate(expr, importer)
        if located is None:
            return None
        summary, module, name = located
        full = f"{module}.{name}" if module else name
        if full in self.nodes:
            return full
        facts = summary.routers
        if facts is not None and name in facts.names and facts.names[name] != expr:
            return self.canonical(facts.names[name], module, depth + 1)
        for source in facts.star if facts is not None else ():
            found = self.canonical(f"{source}.{name}", module, depth + 1)
            if found is not None:
                return found
        return None

    def _defined(self, expr: str, importer: str) -> Optional[str]:
        located = self.model._locate(expr, importer)
        if located is None:
            return None
        _, module, name = located
        return f"{module}.{name}" if module else name

    def text(self, value: Optional[str], importer: str) -> Optional[str]:
        """``value`` with a reference to another module's constant resolved (else None)."""
        if value is None or not value.startswith(REFERENCE):
            return value
        located = self.model._locate(value[len(REFERENCE):], importer)
        if located is None:
            return None
        return self.constants.get(located[1], {}).get(located[2])

    def _wire(self, module: str, summary: ModuleSummary, wiring: Wiring) -> None:
        wiring = wiring._replace(prefix=self.text(wiring.prefix, module))
        parent = self.canonical(wiring.receiver, module)
        if parent is None and wiring.receiver.endswith(".router"):  # ``app.router.include_router(r)``
            owner = self.canonical(wiring.receiver[:-len(".router")], module)
            parent = owner if owner is not None and self.nodes[owner].is_app else None
        child = self.canonical(wiring.child, module)
        if wiring.mount and child is None:
            self.result.mounts.append((self._file(summary), wiring.prefix or "?", wiring.line))
            return
        if child is None:
            if not wiring.mount:
                self.result.dynamic_includes += 1
            return
        if parent is not None:
            self.children.setdefault(parent, []).append((module, wiring))
            if self.nodes[parent].is_app:
                self.result.app_includes += 1
        else:
            # included in an app or router made on the spot (``FastAPI().include_router(r)``,
            # ``helper(FastAPI(), r)``) or that the model cannot name (``get_app()``): maybe
            # served, though not by an app of the table
            self.anonymous.add(child)

    def _invoke(self, module: str, summary: ModuleSummary, invocation: Invocation) -> None:
        """``add_routers(app, router)``: the wiring the helper does with its parameters."""
        function = self._defined(invocation.function, module) if self.parametric else None
        for wiring in self.parametric.get(function or "", ()):
            receiver, child = (_argument(v, invocation) for v in (wiring.receiver, wiring.child))
            if receiver is not None:
                self._wire(module, summary, wiring._replace(receiver=receiver, child=child,
                                                            line=invocation.line, function=""))

    def _mounted(self, key: str) -> bool:
        return any(w.mount and self.canonical(w.child, m) == key
                   for edges in self.children.values() for m, w in edges)

    def _reached(self, roots: List[str]) -> Set[str]:
        seen: Set[str] = set()
        stack = list(roots)
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            stack.extend(c for m, w in self.children.get(key, ()) for c in [self.canonical(w.child, m)] if c)
        return seen

    def _walk(self, key: str, chain: "_Chain", active: Set[str]) -> None:
        if key in active or len(active) > _MAX_NESTING:
            return
        active = active | {key}
        items: List[Tuple[str, int, object]] = [(m, d.line, d) for m, d in self.routes.get(key, ())]
        items += [(m, w.line, w) for m, w in self.children.get(key, ())]
        for module, line, item in sorted(items, key=lambda i: (i[0], i[1])):
            step = chain.order + ((module, line),)
            if isinstance(item, RouteDecl):
                self.result.routes.append(self._route(module, item, chain.at(step), key))
                continue
            assert isinstance(item, Wiring)
            child = self.canonical(item.child, module)
            if child is None:
                continue
            node = self.nodes[child]
            self._walk(child, chain.into(item, node, step, self._own_dependencies), active)

    def _own_dependencies(self, node: Node, level: str) -> Tuple[Dependency, ...]:
        return tuple(Dependency(d, level) for d in node.creation.dependencies)

    def _route(self, module: str, decl: RouteDecl, chain: "_Chain", router: Optional[str],
               file: Optional[str] = None) -> Route:
        decl = decl._replace(path=bind(self.text(decl.path, module), chain.arguments))
        path = None if decl.path is None or chain.prefix is None else chain.prefix + decl.path
        methods = tuple(m.upper() for m in (bind(m, chain.arguments) for m in decl.methods) if m) or ("GET",)
        dependencies = chain.dependencies + tuple(Dependency(d, "route") for d in decl.dependencies) \
            + tuple(Dependency(d, "parameter") for d in decl.parameter_dependencies)
        return Route(
            methods, path, module, file or self._file(self.index.modules[module]), decl.function,
            decl.line, decl.column, decl.response_model, decl.status_code, dependencies,
            tuple(dict.fromkeys(chain.tags + decl.tags)), chain.app, chain.mounted, router, chain.order,
            decl.annotations, decl.secured,
        )

    def _file(self, summary: ModuleSummary) -> str:
        return self.files.get(id(summary), summary.module)


class _Chain(NamedTuple):
    """What the chain of includes from the app down to a router adds to its routes."""

    app: Optional[str]
    prefix: Optional[str]  # None once a prefix is not a literal
    dependencies: Tuple[Dependency, ...]
    tags: Tuple[str, ...]
    mounted: Tuple[str, ...]
    order: Tuple[Tuple[str, int], ...]
    # the string arguments of the factory call that made the router at hand
    arguments: Tuple[Tuple[str, str], ...] = ()

    def at(self, order: Tuple[Tuple[str, int], ...]) -> "_Chain":
        return self._replace(order=order)

    def into(self, wiring: Wiring, node: Node, order, own_dependencies) -> "_Chain":
        wiring = wiring._replace(prefix=bind(wiring.prefix, self.arguments))
        if wiring.mount:
            prefix = None if self.prefix is None or wiring.prefix is None else self.prefix + wiring.prefix.rstrip("/")
            # a mounted application answers on its own: the parent's dependencies and tags
            # do not reach it
            return _Chain(self.app, prefix, own_dependencies(node, "app"), node.creation.tags,
                          self.mounted + (wiring.prefix or "?",), order)
        prefix = None
        own = bind(node.creation.prefix, wiring.arguments)
        if self.prefix is not None and wiring.prefix is not None and own is not None:
            prefix = self.prefix + wiring.prefix + own
        dependencies = self.dependencies + tuple(Dependency(d, "include") for d in wiring.dependencies) \
            + own_dependencies(node, "router")
        return _Chain(self.app, prefix, dependencies, self.tags + wiring.tags + node.creation.tags,
                      self.mounted, order, wiring.arguments)


def _argument(value: Optional[str], invocation: Invocation) -> Optional[str]:
    """What the call passes for ``<param>N:name``."""
    if value is None or not value.startswith("<param>"):
        return value
    number, _, name = value[len("<param>"):].partition(":")
    if int(number) < len(invocation.args):
        return invocation.args[int(number)]
    return dict(invocation.keywords).get(name)


def _build(index: ProjectIndex) -> RouteTable:
    return _Builder(index).build()
