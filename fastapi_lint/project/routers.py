"""Which names of a project are FastAPI apps and routers, across modules.

RULES.md: a route's receiver is a router when it resolves to ``fastapi.FastAPI``/``APIRouter``
instances, to an instance of a project class that subclasses them (any depth, any module), to
a router returned by a project factory function, or to a router attribute of a project
object. The project pass (:func:`collect`, one walk of the module's ``ast`` statements) keeps
per module what could make a router -- names bound at module level, class bases, what
functions return, class attributes, ``include_router`` calls -- as resolved dotted strings in
the facts' conventions (``x()`` is an instance of ``x``). :class:`RouterModel` answers
questions about them over the whole index, following imports as Python resolves them.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements, resolve

if TYPE_CHECKING:
    from fastapi_lint.project.index import ModuleSummary, ProjectIndex

APP_TYPES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
ROUTER_TYPES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
LIBRARY_TYPES = APP_TYPES | ROUTER_TYPES

# what a dotted name designates, as far as routers go
CLASS, INSTANCE, INSTANCE_FACTORY, CLASS_FACTORY = "class", "instance", "instance-factory", "class-factory"
_MAX_DEPTH = 12
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# values rooted in the standard library never make a router: not worth keeping in the index
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}


@dataclass(frozen=True)
class Include:
    """One ``<receiver>.include_router(<router>, prefix=..., tags=..., dependencies=...)``."""

    receiver: str  # resolved dotted name of the app/router including
    router: str  # resolved dotted name of the included router
    line: int
    prefix: Optional[str] = None  # the literal prefix; None when absent or not a literal
    tags: Tuple[str, ...] = ()
    dependencies: Tuple[str, ...] = ()  # resolved targets of the Depends(...) given


@dataclass(frozen=True)
class RouterFacts:
    """One module's share of the router model (names relative to the module)."""

    # module-level name -> the resolved value it is bound to (assignments; re-exports of
    # a package's __init__)
    names: Dict[str, str] = field(default_factory=dict)
    # modules whose names ``from x import *`` re-exports here
    star: Tuple[str, ...] = ()
    # "Cls" (or "func.<locals>.Cls" for a class made in a function) -> resolved bases
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # "func" -> resolved returned values (a class, an instance ``x()``, a declared ``-> T``)
    functions: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # "Cls" -> attribute -> resolved value (class body and ``self.x = ...`` in methods)
    attributes: Dict[str, Dict[str, str]] = field(default_factory=dict)
    includes: Tuple[Include, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.star or self.classes or self.functions or self.attributes
                    or self.includes)


# -- the project pass ------------------------------------------------------------------------
def collect(module_name: str, is_package: bool, tree: ast.Module) -> Optional[RouterFacts]:
    """The router facts of one module, or None when it has none."""
    found = _Collector(module_name, importing_package(module_name, is_package), is_package).run(tree)
    return found if found else None


def _worth_keeping(value: Optional[str]) -> bool:
    return value is not None and not value.startswith("<") and value.split(".", 1)[0] not in _STDLIB


class _Collector:
    def __init__(self, module: str, package: str, is_package: bool) -> None:
        self.module = module
        self.package = package
        self.is_package = is_package
        self.names: Dict[str, str] = {}  # every module-level binding, for resolving
        self.out_names: Dict[str, str] = {}
        self.star: List[str] = []
        self.classes: Dict[str, Tuple[str, ...]] = {}
        self.functions: Dict[str, Tuple[str, ...]] = {}
        self.attributes: Dict[str, Dict[str, str]] = {}
        self.includes: List[Include] = []

    def local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def run(self, tree: ast.Module) -> RouterFacts:
        statements = list(module_statements(tree.body))
        for stmt in statements:  # definitions first: a module may use a name defined below
            if isinstance(stmt, (ast.ClassDef, *_FUNCTIONS)):
                self.names[stmt.name] = self.local(stmt.name)
        for stmt in statements:
            self._statement(stmt)
        return RouterFacts(self.out_names, tuple(self.star), self.classes, self.functions,
                           self.attributes, tuple(self.includes))

    def _lookup(self, scope: Dict[str, str]):
        return lambda name: scope.get(name) or self.names.get(name)

    def _statement(self, stmt: ast.stmt) -> None:
        lookup = self.names.get
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound = import_bindings(stmt, self.package)
            self.names.update(bound)
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                self.star.append(_from_module(stmt, self.package))
            elif self.is_package:  # a package re-exports what it imports
                self.out_names.update((k, v) for k, v in bound.items() if _worth_keeping(v))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = stmt.value
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            bound = resolve(value, lookup) if value is not None else None
            if bound is None and isinstance(stmt, ast.AnnAssign):
                bound = _annotation(stmt.annotation, lookup)
            for target in targets:
                if isinstance(target, ast.Name):
                    self.names[target.id] = bound or self.local(target.id)
                    if _worth_keeping(bound):
                        self.out_names[target.id] = bound  # type: ignore[assignment]
        elif isinstance(stmt, ast.ClassDef):
            self._class(stmt, stmt.name, lookup)
        elif isinstance(stmt, _FUNCTIONS):
            self._function(stmt, stmt.name, {})
        elif isinstance(stmt, ast.Expr):
            self._include(stmt.value, lookup)

    def _class(self, node: ast.ClassDef, key: str, lookup) -> None:
        bases = tuple(b for b in (resolve(base, lookup) for base in node.bases) if _worth_keeping(b))
        if bases:
            self.classes[key] = bases  # type: ignore[assignment]
        attributes: Dict[str, str] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                value = resolve(stmt.value, lookup)
                if _worth_keeping(value):
                    attributes[stmt.targets[0].id] = value  # type: ignore[assignment]
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                value = resolve(stmt.value, lookup) if stmt.value is not None else None
                value = value if _worth_keeping(value) else _annotation(stmt.annotation, lookup)
                if _worth_keeping(value):
                    attributes[stmt.target.id] = value  # type: ignore[assignment]
            elif isinstance(stmt, _FUNCTIONS):
                attributes.update(self._function(stmt, f"{key}.{stmt.name}", {}, self_attributes=True))
        if attributes:
            self.attributes[key] = attributes

    def _function(self, node: ast.FunctionDef, key: str, outer: Dict[str, str],
                  self_attributes: bool = False) -> Dict[str, str]:
        """Record what ``node`` returns and the include_router calls it makes; answer its
        ``self.<attr> = value`` bindings when asked."""
        scope = dict(outer)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]:
            if arg is not None:
                scope[arg.arg] = f"<local>.{arg.arg}"
        lookup = self._lookup(scope)
        returns: List[str] = []
        found: Dict[str, str] = {}
        for stmt in _body(node.body):
            if isinstance(stmt, ast.ClassDef):
                local_key = f"{key}.<locals>.{stmt.name}"
                scope[stmt.name] = self.local(local_key)
                self._class(stmt, local_key, lookup)
            elif isinstance(stmt, _FUNCTIONS):
                scope[stmt.name] = f"<local>.{stmt.name}"
                self._function(stmt, f"{key}.<locals>.{stmt.name}", scope)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                value = resolve(stmt.value, lookup)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        scope[target.id] = value or f"<local>.{target.id}"
                    elif (self_attributes and isinstance(target, ast.Attribute)
                          and isinstance(target.value, ast.Name) and target.value.id == "self"
                          and _worth_keeping(value)):
                        found[target.attr] = value  # type: ignore[assignment]
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                scope.update(import_bindings(stmt, self.package))
            elif isinstance(stmt, ast.Return) and stmt.value is not None:
                value = resolve(stmt.value, lookup)
                if _worth_keeping(value):
                    returns.append(value)  # type: ignore[arg-type]
            elif isinstance(stmt, ast.Expr):
                self._include(stmt.value, lookup)
        if node.returns is not None:
            declared = _annotation(node.returns, self.names.get)
            if _worth_keeping(declared):
                returns.append(declared)  # type: ignore[arg-type]
        if returns:
            self.functions[key] = tuple(dict.fromkeys(returns))
        return found

    def _include(self, call: ast.expr, lookup) -> None:
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "include_router" and call.args):
            return
        receiver = resolve(call.func.value, lookup)
        router = resolve(call.args[0], lookup)
        if receiver is None or router is None:
            return
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        prefix = keywords.get("prefix")
        tags = keywords.get("tags")
        dependencies = keywords.get("dependencies")
        self.includes.append(Include(
            receiver, router, call.lineno,
            prefix.value if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str) else None,
            tuple(e.value for e in getattr(tags, "elts", ()) if isinstance(e, ast.Constant) and isinstance(e.value, str)),
            tuple(d for d in (_depends_target(e, lookup) for e in getattr(dependencies, "elts", ())) if d),
        ))


def _body(body: List[ast.stmt]):
    """The statements of a function body, looking into if/try/with/for blocks (not into
    nested function or class bodies)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            yield from _body(stmt.body)
            yield from _body(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _body(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _body(handler.body)
            yield from _body(stmt.orelse)  # type: ignore[attr-defined]
            yield from _body(stmt.finalbody)  # type: ignore[attr-defined]


def _from_module(node: ast.ImportFrom, package: str) -> str:
    bound = import_bindings(ast.ImportFrom(module=node.module, names=[ast.alias(name="_")], level=node.level),
                            package)
    return bound["_"].rpartition(".")[0]


def _annotation(annotation: ast.expr, lookup) -> Optional[str]:
    """``-> APIRouter``: an instance (``fastapi.APIRouter()``); ``-> type[APIRouter]``: the class."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Subscript):
        head = resolve(annotation.value, lookup)
        if head in ("builtins.type", "typing.Type", "type") or (head is None and isinstance(annotation.value, ast.Name)
                                                                 and annotation.value.id == "type"):
            return resolve(annotation.slice, lookup)
        return None
    base = resolve(annotation, lookup)
    return f"{base}()" if base is not None else None


def _depends_target(node: ast.expr, lookup) -> Optional[str]:
    if isinstance(node, ast.Call) and node.args:
        name = resolve(node.func, lookup) or ""
        if name.rpartition(".")[2] in ("Depends", "Security"):
            return resolve(node.args[0], lookup)
    return None


# -- the project-wide model ------------------------------------------------------------------
class RouterModel:
    """What a resolved dotted name designates (a router class, an instance, a factory)."""

    def __init__(self, index: "ProjectIndex") -> None:
        self.index = index
        self._memo: Dict[Tuple[str, Optional[str]], Optional[str]] = {}
        self._busy: Set[Tuple[str, Optional[str]]] = set()

    def is_router(self, resolved: str, importer: Optional[str] = None) -> bool:
        """``resolved`` (``mod.router``, ``mod.make_router()``, ``mod.Views().router``) is a
        FastAPI app or router instance."""
        return self.kind(resolved, importer) == INSTANCE

    def is_router_class(self, resolved: str, importer: Optional[str] = None) -> bool:
        return self.kind(resolved, importer) == CLASS

    def kind(self, expr: str, importer: Optional[str] = None, depth: int = 0) -> Optional[str]:
        if expr in LIBRARY_TYPES:
            return CLASS
        if depth > _MAX_DEPTH or expr.startswith("<") or expr.split(".", 1)[0] in _STDLIB:
            return None
        key = (expr, importer)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return None  # a cycle (``A = B``, ``B = A``): nothing
        self._busy.add(key)
        try:
            found = self._kind(expr, importer, depth)
        finally:
            self._busy.discard(key)
        self._memo[key] = found
        return found

    def _kind(self, expr: str, importer: Optional[str], depth: int) -> Optional[str]:
        if expr.endswith("()"):
            called = self.kind(expr[:-2], importer, depth + 1)
            if called in (CLASS, INSTANCE_FACTORY):
                return INSTANCE
            return CLASS if called == CLASS_FACTORY else None
        base, _, attr = expr.rpartition(".")
        if base.endswith("()") and "()" not in base[:-2]:
            return self._instance_attribute(base[:-2], attr, importer, depth)
        if "()" in expr:
            return None
        located = self._locate(expr, importer)
        if located is None:
            return None
        summary, module, name = located
        return self._member(summary, module, name, depth)

    def _locate(self, expr: str, importer: Optional[str]) -> Optional[Tuple["ModuleSummary", str, str]]:
        """The module defining ``expr`` and the name in it, the longest module name first."""
        parts = expr.split(".")
        for size in range(len(parts) - 1, 0, -1):
            module = self.index.resolve_module(".".join(parts[:size]), importer)
            if module is not None:
                return self.index.modules[module], module, ".".join(parts[size:])
        return None

    def _member(self, summary: "ModuleSummary", module: str, name: str, depth: int) -> Optional[str]:
        facts = summary.routers
        if facts is not None:
            if name in facts.classes:
                bases = facts.classes[name]
                return CLASS if any(self.kind(b, module, depth + 1) == CLASS for b in bases) else None
            if name in facts.functions:
                kinds = {self.kind(value, module, depth + 1) for value in facts.functions[name]}
                if INSTANCE in kinds:
                    return INSTANCE_FACTORY
                return CLASS_FACTORY if CLASS in kinds else None
            if name in facts.names:
                return self.kind(facts.names[name], module, depth + 1)
            owner, _, attribute = name.rpartition(".")
            value = facts.attributes.get(owner, {}).get(attribute) if owner else None
            if value is not None:  # ``Views.router``: a class attribute
                return self.kind(value, module, depth + 1)
        if name in summary.apps:
            return INSTANCE
        for source in facts.star if facts is not None else ():
            found = self.kind(f"{source}.{name}", module, depth + 1)
            if found is not None:
                return found
        return None

    def _instance_attribute(self, cls: str, attr: str, importer: Optional[str], depth: int) -> Optional[str]:
        """``mod.Views().router``: the attribute a project class sets to a router."""
        located = self._locate(cls, importer)
        if located is None:
            return None
        summary, module, name = located
        facts = summary.routers
        if facts is None:
            return None
        value = facts.attributes.get(name, {}).get(attr)
        if value is not None:
            return self.kind(value, module, depth + 1)
        for base in facts.classes.get(name, ()):  # inherited from a project base class
            found = self.kind(f"{base}().{attr}", module, depth + 1)
            if found is not None:
                return found
        return None

    def includes(self) -> List[Tuple[str, Include]]:
        """Every ``include_router`` call of the project: (module, call), in module order."""
        return [(name, include) for name, summary in self.index.modules.items()
                if summary.routers is not None for include in summary.routers.includes]


def model(index: "ProjectIndex") -> RouterModel:
    return index.derived("routers", RouterModel)
