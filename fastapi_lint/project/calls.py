"""FAPI106's project facts: which sync functions of the project block, directly or through others.

The project pass (:func:`collect_calls`, an ``ast`` walk of sync function bodies only) records
for every module-level sync ``def`` and every sync method of a module-level class the dotted
names it calls — resolved through the module's imports, its module-level names and the
function's own parameters and local bindings, with the same conventions as
:mod:`fastapi_lint.facts` (``db: Session`` -> ``"sqlalchemy.orm.Session()"``, ``self`` ->
``"<module>.<Class>()"``) — and its first direct blocking call (:func:`classify_blocking`).

:func:`blocking_chain` then answers, for a resolved call name, the shortest chain of project
functions that ends in a blocking call. The whole-project resolution is one breadth-first
search backwards from the functions that block directly, so cycles need no special care and
every chain is a shortest one.
"""
from __future__ import annotations

import ast
import builtins
import os
import pkgutil
import re
import sys
from sys import intern
import sysconfig
from collections import deque
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from fastapi_lint.project.astnames import Lookup, import_bindings, importing_package, module_statements, parse_quietly, resolve
from fastapi_lint.facts import _ANNOTATED, _TYPE_WRAPPERS
from fastapi_lint.project.index import _MIXED_LISTS, LazyAst, ModuleSummary, ProjectIndex, collector, walked_fields
from fastapi_lint.rules.async_._blocking import classify_blocking

CALL_GRAPH = "call_graph"
_BUILTINS = frozenset(dir(builtins))


def _stdlib_module_names() -> FrozenSet[str]:
    """Top-level standard library modules (``sys.stdlib_module_names`` exists from 3.10)."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    stdlib = sysconfig.get_paths()["stdlib"]
    found = pkgutil.iter_modules([stdlib, os.path.join(stdlib, "lib-dynload")])
    return frozenset(sys.builtin_module_names) | {module.name for module in found}


# calls into the standard library are never project functions: not worth keeping
_STDLIB = _stdlib_module_names() | {"builtins", "<local>"}
# a decorator with one of these words turns the sync function into something awaitable or
# threaded (asyncify, sync_to_async, run_in_threadpool...): calling it does not block
_OFFLOADING_DECORATOR_WORDS = ("async", "thread", "executor")
# a memoized function (lru_cache, cache, ttl_cache...) blocks on its first call only: one-time
# initialization, not work each request repeats
_MEMOIZING_DECORATOR_WORDS = ("cache",)
_REEXPORT_DEPTH = 4
_SYNC_DEF = re.compile(r"^[ \t]*def ", re.M)


@dataclass(frozen=True)
class FunctionCalls:
    calls: Tuple[str, ...]  # resolved dotted names of calls that may be project functions
    blocking: Optional[str]  # the first direct blocking call, as displayed ("requests.get")
    # the instance type its return annotation declares: ``-> Session`` makes
    # ``session = make_session(); session.query()`` a blocking call of the caller
    returns: Optional[str] = None
    # a ``@contextmanager``: ``to_thread`` cannot run it, and what blocks is its enter/exit
    context_manager: bool = False


# where a function is and where it calls what (``ModuleSummary.sites[CALL_GRAPH]``, beside
# the facts: lines that merely move change no finding, only where its notes point), flat for
# a small pickle: (def line, def column, blocking line, blocking column, then line, column of
# the first call of each of ``FunctionCalls.calls``, in order); 0, 0 for no blocking call
FunctionSites = Tuple[int, ...]


@dataclass(frozen=True)
class ModuleCalls:
    functions: Dict[str, FunctionCalls]  # "helper" or "Class.method"
    imports: Dict[str, str]  # module-level imported names (followed for re-exports)


# -- the project pass ------------------------------------------------------------------------
# "import": a package __init__ without functions may still re-export one
@collector(CALL_GRAPH, triggers=("def ", "import "))
def collect_calls(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    is_package = os.path.basename(path).startswith("__init__.")
    if not is_package and not _SYNC_DEF.search(text):
        return  # nothing to record, and re-exports are a package's business: spare the parse
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, is_package)
    scanner = _ModuleScanner(summary.module, package, _Columns(text))
    scanner.scan(module.body)
    if scanner.functions or scanner.imports:
        summary.extra[CALL_GRAPH] = ModuleCalls(scanner.functions, scanner.imports)
    if scanner.sites:
        summary.sites[CALL_GRAPH] = scanner.sites


class _Columns:
    """1-based code point columns of ``ast``'s UTF-8 byte offsets."""

    def __init__(self, text: str) -> None:
        self._lines: Optional[List[str]] = None if not text.isascii() else []
        self._text = text

    def __call__(self, node: ast.AST) -> Tuple[int, int]:
        line, offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        if self._lines is None:
            self._lines = self._text.splitlines()
        if self._lines and 0 < line <= len(self._lines) and not self._lines[line - 1].isascii():
            offset = len(self._lines[line - 1].encode("utf-8")[:offset].decode("utf-8", "ignore"))
        return line, offset + 1


def display_name(resolved: str) -> str:
    return resolved[len("builtins."):] if resolved.startswith("builtins.") else resolved


class _ModuleScanner:
    def __init__(self, module: str, package: str, columns: Optional[_Columns] = None) -> None:
        self.module = module
        self.package = package
        self.columns = columns or _Columns("")
        self.sites: Dict[str, FunctionSites] = {}
        self.names: Dict[str, str] = {}
        self.imports: Dict[str, str] = {}
        self.functions: Dict[str, FunctionCalls] = {}
        self._functions: List[ast.FunctionDef] = []
        self._classes: List[ast.ClassDef] = []

    def local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def scan(self, body: List[ast.stmt]) -> None:
        # names first (a function may call one defined below it), then the function bodies
        self._scan_names(body)
        for function in self._functions:
            scanner = _FunctionScanner(self, function, None, {})
            self.functions[function.name] = scanner.run()
            self.sites[function.name] = scanner.sites()
        for node in self._classes:
            self._scan_class(node)

    def _scan_names(self, body: List[ast.stmt]) -> None:
        for stmt in module_statements(body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bound = import_bindings(stmt, self.package)
                self.names.update(bound)
                self.imports.update({k: v for k, v in bound.items() if _worth_keeping(v)})
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.names[stmt.name] = self.local(stmt.name)
                if isinstance(stmt, ast.FunctionDef) and _runs_when_called(stmt):
                    self._functions.append(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.names[stmt.name] = self.local(stmt.name)
                self._classes.append(stmt)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self._scan_assignment(stmt)

    def _scan_assignment(self, stmt: ast.stmt) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        bound = self.resolve(stmt.value, {}) if stmt.value is not None else None
        if bound is None and isinstance(stmt, ast.AnnAssign):
            bound = self.annotation_type(stmt.annotation, {})
        for target in targets:
            if isinstance(target, ast.Name):
                self.names[target.id] = bound or self.local(target.id)

    def _scan_class(self, node: ast.ClassDef) -> None:
        attributes: Dict[str, str] = {}
        methods = [s for s in node.body if isinstance(s, ast.FunctionDef)]
        init = next((m for m in methods if m.name == "__init__"), None)
        if init is not None:
            attributes = _FunctionScanner(self, init, node.name, {}).self_attributes()
        for method in methods:
            if _runs_when_called(method):
                key = f"{node.name}.{method.name}"
                scanner = _FunctionScanner(self, method, node.name, attributes)
                self.functions[key] = scanner.run()
                self.sites[key] = scanner.sites()

    # -- names (the ast twin of ModuleFacts.resolve) --------------------------------------
    def resolve(self, node: ast.expr, local: Dict[str, str]) -> Optional[str]:
        def lookup(name: str) -> Optional[str]:
            # the function's own bindings shadow the module's, which shadow the builtins
            found = local.get(name) or self.names.get(name)
            if found is not None:
                return found
            return f"builtins.{name}" if name in _BUILTINS else None

        return resolve(node, lookup, _awaited)

    def annotation_type(self, annotation: ast.expr, local: Dict[str, str]) -> Optional[str]:
        """The instance type an annotation declares, unwrapping Annotated/Optional/``| None``."""
        for _ in range(5):
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                try:
                    annotation = parse_quietly(annotation.value, mode="eval").body
                except SyntaxError:
                    return None
            elif isinstance(annotation, ast.Subscript):
                name = self.resolve(annotation.value, local)
                if name not in _ANNOTATED and name not in _TYPE_WRAPPERS:
                    break
                elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
                if name in _ANNOTATED:
                    elements = elements[:1]
                kept = [e for e in elements if not _is_none(e)]
                if len(kept) != 1:
                    return None
                annotation = kept[0]
            elif isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
                kept = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
                if len(kept) != 1:
                    return None
                annotation = kept[0]
            else:
                break
        base = self.resolve(annotation, local)
        return f"{base}()" if base is not None else None


class _FunctionScanner:
    """One sync function body, in source order, nested def/lambda/class bodies excluded."""

    def __init__(self, module: _ModuleScanner, function: ast.FunctionDef, class_name: Optional[str],
                 attributes: Dict[str, str]) -> None:
        self.module = module
        self.function = function
        self.class_name = class_name
        self.attributes = attributes
        self.local: Dict[str, str] = {}
        self.calls: List[str] = []
        self.blocking: Optional[str] = None
        # where each kept call is first made, and the first blocking call
        self._call_sites: Dict[str, ast.Call] = {}
        self._blocking_site: Optional[ast.Call] = None
        # ``global _conf; _conf = load()``: filling module state is a one-time initialization
        self._globals: Set[str] = set()
        self._once: Set[int] = set()
        self._bind_params()

    def _bind_params(self) -> None:
        args = self.function.args
        ordered = [*args.posonlyargs, *args.args]
        for arg in [*ordered, args.vararg, *args.kwonlyargs, args.kwarg]:
            if arg is None:
                continue
            bound = self.module.annotation_type(arg.annotation, self.local) if arg.annotation else None
            self.local[arg.arg] = bound or f"<local>.{arg.arg}"
        if self.class_name is not None and ordered and not _has_decorator(self.function, "staticmethod"):
            cls = self.module.local(self.class_name)
            self.local[ordered[0].arg] = cls if _has_decorator(self.function, "classmethod") else f"{cls}()"

    def run(self) -> FunctionCalls:
        for node in _body_nodes(self.function):
            self._visit(node)
        returns = _yielded(self.function.returns, self.module)
        declared = self.module.annotation_type(returns, {}) if returns is not None else None
        if declared is not None and not _worth_keeping(declared):
            declared = None
        return FunctionCalls(tuple(dict.fromkeys(self.calls)), self.blocking, declared,
                             _is_context_manager(self.function))

    def sites(self) -> FunctionSites:
        """Where the function and the calls :meth:`run` recorded are (``FunctionSites``)."""
        columns = self.module.columns
        found = [*columns(self.function), *(columns(self._blocking_site) if self._blocking_site else (0, 0))]
        for name in dict.fromkeys(self.calls):
            found.extend(columns(self._call_sites[name]))
        return tuple(found)

    def self_attributes(self) -> Dict[str, str]:
        """``self.x = value`` bindings of ``__init__`` whose type is known."""
        found: Dict[str, str] = {}
        for node in _body_nodes(self.function):
            self._visit(node)
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        bound = self.module.resolve(node.value, self.local)
                        if bound is not None and not bound.startswith("<local>."):
                            found[target.attr] = bound
        return found

    def _visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            if id(node) not in self._once:
                self._call(node)
        elif isinstance(node, ast.Global):
            self._globals.update(node.names)
        elif isinstance(node, ast.Assign):
            if self._globals and any(isinstance(t, ast.Name) and t.id in self._globals for t in node.targets):
                self._once.update(id(n) for n in ast.walk(node.value) if isinstance(n, ast.Call))
            bound = self.module.resolve(node.value, self.local)
            for target in node.targets:
                self._bind(target, bound)
        elif isinstance(node, ast.AnnAssign):
            bound = self.module.resolve(node.value, self.local) if node.value is not None else None
            self._bind(node.target, bound or self.module.annotation_type(node.annotation, self.local))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind(node.optional_vars, self.module.resolve(node.context_expr, self.local))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._bind(node.target, None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.local.update(import_bindings(node, self.module.package))

    def _bind(self, target: ast.expr, bound: Optional[str]) -> None:
        if isinstance(target, ast.Name):
            self.local[target.id] = bound or f"<local>.{target.id}"
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, None)

    def _call(self, node: ast.Call) -> None:
        name = self._callee(node.func)
        if name is None:
            return
        if classify_blocking(name) is not None:
            if self.blocking is None:
                self.blocking = display_name(name)
                self._blocking_site = node
        elif _worth_keeping(name):
            name = intern(name)  # one copy per module in its pickled summary
            self.calls.append(name)
            self._call_sites.setdefault(name, node)

    def _callee(self, func: ast.expr) -> Optional[str]:
        # ``self.client.get()``: the attribute's type comes from ``__init__``
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
                and isinstance(func.value.value, ast.Name) and func.value.value.id == "self"
                and func.value.attr in self.attributes):
            return f"{self.attributes[func.value.attr]}.{func.attr}"
        return self.module.resolve(func, self.local)


# nodes that never hold a call worth seeing: nested scopes and leaves
_SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Name, ast.Constant,
            ast.Load, ast.Store, ast.Del)
# per node type, the fields that may hold nodes (index.walked_fields: no contexts, operators
# or names), last first, each with whether a list there may hold non-nodes
_FIELDS: Dict[type, Tuple[Tuple[str, bool], ...]] = {}


def _body_nodes(function: ast.FunctionDef) -> List[ast.AST]:
    """The calls and binding nodes of ``function``'s body in source order, nested scopes excluded.

    Hand-rolled rather than ``ast.walk``: the project pass runs it on every sync function
    of the project, and skipping leaves and ``ctx`` nodes halves the work. A depth-first
    walk in field order: each node's children go on the stack last field first.
    """
    out: List[ast.AST] = []
    stack: List[ast.AST] = list(reversed(function.body))
    skipped, wanted, fields_of, node_type = _SKIPPED_SET, _WANTED, _FIELDS, ast.AST
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in skipped:
            continue
        if kind in wanted:
            out.append(node)
        fields = fields_of.get(kind)
        if fields is None:
            names = walked_fields(kind)
            fields = fields_of[kind] = tuple((name, name in _MIXED_LISTS) for name in reversed(names))
        for name, mixed in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                if mixed:
                    stack.extend([item for item in reversed(value) if isinstance(item, node_type)])
                else:
                    stack.extend(reversed(value))
            elif isinstance(value, node_type):
                stack.append(value)
    return out
_SKIPPED_SET = frozenset(_SKIPPED)
# what _FunctionScanner._visit looks at
_WANTED = frozenset((ast.Call, ast.Assign, ast.AnnAssign, ast.withitem, ast.For, ast.AsyncFor,
                     ast.comprehension, ast.Import, ast.ImportFrom, ast.Global))


def _runs_when_called(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        text = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if any(word in text.lower() for word in _OFFLOADING_DECORATOR_WORDS + _MEMOIZING_DECORATOR_WORDS):
            return False
    return True


_GENERATORS = frozenset(
    f"{module}.{name}" for module in ("typing", "typing_extensions", "collections.abc")
    for name in ("Generator", "Iterator", "Iterable")
)


def _yielded(returns: Optional[ast.expr], module: "_ModuleScanner") -> Optional[ast.expr]:
    """``-> Generator[Session, None, None]`` (a dependency, a @contextmanager): what
    ``with f() as db`` and ``Depends(f)`` give is the Session."""
    if isinstance(returns, ast.Subscript) and module.resolve(returns.value, {}) in _GENERATORS:
        elements = returns.slice.elts if isinstance(returns.slice, ast.Tuple) else [returns.slice]
        return elements[0] if elements else None
    return returns


def _is_context_manager(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name == "contextmanager":
            return True
    return False


def _has_decorator(function: ast.FunctionDef, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in function.decorator_list)


def _awaited(node: ast.expr, lookup: Lookup) -> Optional[str]:
    """``(await make_client()).get``: the awaited value stands for the call's result."""
    return resolve(node.value, lookup, _awaited) if isinstance(node, ast.Await) else None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _worth_keeping(name: str) -> bool:
    return "." in name and name.split(".", 1)[0] not in _STDLIB


# -- the project-wide resolution -------------------------------------------------------------
FunctionKey = Tuple[str, str]  # (module, "helper" or "Class.method")


class CallGraph:
    def __init__(self, project: ProjectIndex) -> None:
        self.modules: Dict[str, ModuleCalls] = {}
        for name, summary in project.modules.items():
            calls = summary.extra.get(CALL_GRAPH)
            if isinstance(calls, ModuleCalls):
                self.modules[name] = calls
        self._resolve_module = project.resolve_module
        self._next: Dict[FunctionKey, Optional[FunctionKey]] = {}
        self._blocking: Dict[FunctionKey, str] = {}
        self._search()

    def _module(self, name: str) -> Optional[str]:
        if name in self.modules:
            return name
        found = self._resolve_module(name)  # as Python imports it (src/ layouts, several roots)
        return found if found in self.modules else None

    def lookup(self, resolved: str, depth: int = 0) -> Optional[FunctionKey]:
        """The project function a resolved call name designates, following re-exports."""
        if depth > _REEXPORT_DEPTH:
            return None
        head, _, last = resolved.rpartition(".")
        if head.endswith("()"):
            head = head[:-2]  # an instance's method is the class's method
        if not head or "()" in head:
            return None
        module = self._module(head)
        if module is not None:
            calls = self.modules[module]
            if last in calls.functions:
                return module, last
            target = calls.imports.get(last)
            return self.lookup(target, depth + 1) if target is not None else None
        owner, _, class_name = head.rpartition(".")
        module = self._module(owner) if owner else None
        if module is not None and f"{class_name}.{last}" in self.modules[module].functions:
            return module, f"{class_name}.{last}"
        return None

    def _search(self) -> None:
        callers: Dict[FunctionKey, Set[FunctionKey]] = {}
        for module, calls in self.modules.items():
            for qualname, function in calls.functions.items():
                key = (module, qualname)
                if function.blocking is not None:
                    self._blocking[key] = function.blocking
                for callee in function.calls:
                    target = self.lookup(callee)
                    if target is None:
                        returned = self._through_return(callee)
                        if returned is None:
                            continue
                        if classify_blocking(returned) is not None:
                            self._blocking.setdefault(key, display_name(returned))
                            continue
                        target = self.lookup(returned)
                    if target is not None and target != key:
                        callers.setdefault(target, set()).add(key)
        # A @contextmanager's blocking enter (``engine.connect()``) is what its callers wrap,
        # not the work they do inside the ``with`` block: chains reach real work first and
        # end at an enter only when nothing else blocks.
        enters = {key for key in self._blocking if self.modules[key[0]].functions[key[1]].context_manager}
        self._walk_back(sorted(set(self._blocking) - enters), callers)
        self._walk_back(sorted(enters), callers)

    def _walk_back(self, blocking: List[FunctionKey], callers: Dict[FunctionKey, Set[FunctionKey]]) -> None:
        """Breadth-first from ``blocking`` to their callers: each one's shortest chain."""
        queue: deque = deque(key for key in blocking if key not in self._next)
        for key in queue:
            self._next[key] = None
        while queue:
            key = queue.popleft()
            for caller in sorted(callers.get(key, ())):
                if caller not in self._next:
                    self._next[caller] = key
                    queue.append(caller)

    def _through_return(self, callee: str) -> Optional[str]:
        """``mod.make_session().query`` -> ``sqlalchemy.orm.Session().query`` by ``-> Session``."""
        called = callee.find("()")
        if called < 0:
            return None
        maker = self.lookup(callee[:called])
        if maker is None:
            return None
        returns = self.modules[maker[0]].functions[maker[1]].returns
        return returns + callee[called + 2:] if returns is not None else None

    def is_context_manager(self, resolved: str) -> bool:
        key = self.lookup(resolved)
        return key is not None and self.modules[key[0]].functions[key[1]].context_manager

    def chain(self, resolved: str) -> Optional[List[str]]:
        keys = self.chain_keys(resolved)
        if keys is None:
            return None
        return [key[1] for key in keys] + [self._blocking[keys[-1]]]

    def chain_keys(self, resolved: str) -> Optional[List[FunctionKey]]:
        """The project functions from the one ``resolved`` calls to the one that blocks."""
        key = self.lookup(resolved)
        if key is None:
            returned = self._through_return(resolved)
            key = self.lookup(returned) if returned is not None else None
        if key is None or key not in self._next:
            return None
        keys: List[FunctionKey] = []
        current: Optional[FunctionKey] = key
        while current is not None:
            keys.append(current)
            current = self._next[current]
        return keys

    def hops(self, project: ProjectIndex, keys: List[FunctionKey]) -> List[Tuple[str, int, int, str]]:
        """(path, line, column, note) of each call along the chain ``keys``, down to the
        blocking one; positions from the index's sites (read now: they may have moved since
        the graph was built without its facts changing)."""
        found = []
        for number, key in enumerate(keys):
            module, qualname = key
            function = self.modules[module].functions[qualname]
            path = project.path_of(module)
            summary = project.modules.get(module)
            sites = summary.sites.get(CALL_GRAPH) if summary is not None else None
            if path is None or not isinstance(sites, dict) or qualname not in sites:
                return []  # a module without sites (a summary of an older collector)
            where: FunctionSites = sites[qualname]
            if number + 1 < len(keys):
                callee = self._callee_of(function, keys[number + 1])
                if callee is None:
                    return []
                note = f"`{qualname}` calls `{keys[number + 1][1]}`"
            else:
                callee = None if function.blocking is not None else self._blocking_callee(function, key)
                note = f"`{qualname}` calls `{self._blocking[key]}`, which blocks"
            if callee is None:
                line, column = where[2], where[3]
            else:
                at = function.calls.index(callee)
                line, column = where[4 + 2 * at], where[5 + 2 * at]
            if line == 0:
                return []
            found.append((path, line, column, note))
        return found

    def _callee_of(self, function: FunctionCalls, target: FunctionKey) -> Optional[str]:
        """The first call of ``function`` that designates ``target`` (as :meth:`_search` saw it)."""
        for callee in function.calls:
            found = self.lookup(callee)
            if found is None:
                returned = self._through_return(callee)
                found = self.lookup(returned) if returned is not None else None
            if found == target:
                return callee
        return None

    def _blocking_callee(self, function: FunctionCalls, key: FunctionKey) -> Optional[str]:
        """The call whose declared return type blocks (``make_session().query``)."""
        for callee in function.calls:
            if self.lookup(callee) is None:
                returned = self._through_return(callee)
                if returned is not None and display_name(returned) == self._blocking[key]:
                    return callee
        return None


def call_graph(project: ProjectIndex) -> CallGraph:
    """The graph of the index, built on the first question and again after the index
    changes (the language server replaces a module's summary as its buffer is edited)."""
    return project.derived(CALL_GRAPH, CallGraph, reads=(CALL_GRAPH,))


def blocking_chain(project: Optional[ProjectIndex], resolved: str) -> Optional[List[str]]:
    """``["fetch_price", "requests.get"]`` when calling ``resolved`` blocks, else None."""
    return call_graph(project).chain(resolved) if project is not None else None


def blocking_hops(project: Optional[ProjectIndex], resolved: str) -> List[Tuple[str, int, int, str]]:
    """(absolute path, line, column, note) of each call from ``resolved`` down to the
    blocking one; empty when calling it does not block (or a position is unknown)."""
    if project is None:
        return []
    graph = call_graph(project)
    keys = graph.chain_keys(resolved)
    return graph.hops(project, keys) if keys else []


def is_context_manager(project: Optional[ProjectIndex], resolved: str) -> bool:
    """Whether ``resolved`` is a project ``@contextmanager`` function."""
    return project is not None and call_graph(project).is_context_manager(resolved)
