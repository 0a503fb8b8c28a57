"""FAPI310's project facts: which exceptions the project raises with its own message, which
exception classes it defines, and which of its functions serve requests.

An exception the application raises itself (``raise ValueError("name must not be empty")``,
a domain exception class) carries a message written for the client; an exception a library
or the runtime raises carries internals. The project pass records, for every module-level
function and method, by simple name:

- the exception classes it raises with a message of its own (``raise X("...")``,
  ``raise X(f"...")``, ``raise X(message)``, ``assert ..., "..."`` -> AssertionError),
- the simple names of what it calls,

plus the classes each module defines and its request-serving roots (routes, exception
handlers, middlewares, dependencies, registered handlers). Functions are known by simple name
across the project (``store.close_account(...)`` reaches every ``close_account``): coarse, but
a miss only makes the rule quieter.
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set, Tuple

from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.prefilter import lazy_pattern

EXCEPTION_FLOW = "exception_flow"
_ROOT_DECORATORS = frozenset({
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket",
    "exception_handler", "middleware",
})
_DEPENDENCY_CALLS = frozenset({"Depends", "Security"})
_DEF_NAME = lazy_pattern(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.M)


class ModuleExceptions(NamedTuple):
    # "name" -> (exception names raised with an own message, simple names called)
    functions: Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...]
    classes: Tuple[str, ...]  # classes the module defines
    roots: Tuple[str, ...]  # functions that serve requests directly


@collector(EXCEPTION_FLOW, triggers=("def ",))
def collect_exception_flow(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    # `from app.db import create as db_create`: calls of db_create are calls of create
    aliases = {alias.asname: alias.name for stmt in module.body if isinstance(stmt, ast.ImportFrom)
               for alias in stmt.names if alias.asname}
    classes = []
    roots: Set[str] = set()
    owners: List[Tuple[int, int, str]] = []  # (first line, last line, name) of each function
    for stmt in module.body:
        if isinstance(stmt, _DEFS):
            owners.append(_owner(stmt, roots))
        elif isinstance(stmt, ast.ClassDef):
            classes.append(stmt.name)
            for item in stmt.body:
                if isinstance(item, _DEFS):
                    owners.append(_owner(item, roots))
                    if item.name == "dispatch":  # BaseHTTPMiddleware.dispatch
                        roots.add(item.name)
    if not owners and not classes:
        return
    owners.sort()
    starts = [first for first, _, _ in owners]
    raised: Dict[int, Set[str]] = {}
    calls: Dict[int, Set[str]] = {}
    # one pass over the module's nodes (shared with the other collectors), each attributed to
    # the function whose lines hold it
    for node in tree.of_type(ast.Call, ast.Raise, ast.Assert):
        kind = type(node)
        if kind is ast.Call:
            name = _simple_name(node.func)  # type: ignore[attr-defined]
            if name in _DEPENDENCY_CALLS and node.args:  # type: ignore[attr-defined]
                target = _simple_name(node.args[0])  # type: ignore[attr-defined]
                if target:
                    roots.add(target)
            if name:
                index = _owner_index(owners, starts, node)
                if index is not None:
                    calls.setdefault(index, set()).add(aliases.get(name, name))
        elif kind is ast.Raise or kind is ast.Assert:
            exception = _raised(node)
            if exception:
                index = _owner_index(owners, starts, node)
                if index is not None:
                    raised.setdefault(index, set()).add(exception)
    functions = tuple(
        (name, tuple(sorted(raised.get(i, ()))), tuple(sorted(calls.get(i, ()))))
        for i, (_, _, name) in enumerate(owners)
    )
    summary.extra[EXCEPTION_FLOW] = ModuleExceptions(functions, tuple(classes), tuple(sorted(roots)))


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _owner(node: ast.AST, roots: Set[str]) -> Tuple[int, int, str]:
    assert isinstance(node, _DEFS)
    if any(_decorator_name(d) in _ROOT_DECORATORS for d in node.decorator_list):
        roots.add(node.name)
    return node.lineno, node.end_lineno or node.lineno, node.name


def _owner_index(owners: List[Tuple[int, int, str]], starts: List[int], node: ast.AST) -> Optional[int]:
    line = getattr(node, "lineno", 0)
    index = bisect_right(starts, line) - 1
    if index >= 0 and owners[index][1] >= line:
        return index
    return None


def _raised(node: ast.AST) -> Optional[str]:
    """The exception ``raise X("own message")`` / ``assert ..., "..."`` raises."""
    if isinstance(node, ast.Assert):
        return "AssertionError" if node.msg is not None else None
    assert isinstance(node, ast.Raise)
    if isinstance(node.exc, ast.Call) and _own_message(node.exc):
        return _simple_name(node.exc.func)
    return None


def _own_message(call: ast.Call) -> bool:
    """``X("text")``, ``X(f"...")``, ``X("..." % v)``, ``X(message)``: a message of the code's own
    (``X(str(exc))`` and ``X(exc)`` pass another exception's text on)."""
    if not call.args:
        return any(k.arg in ("message", "msg", "detail") for k in call.keywords)
    first = call.args[0]
    if isinstance(first, ast.Constant):
        return isinstance(first.value, str)
    return isinstance(first, (ast.JoinedStr, ast.BinOp, ast.Name)) or (
        isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "format"
    )


def _decorator_name(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else None


def _simple_name(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


# -- the project table -----------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectExceptions:
    raises: Dict[str, FrozenSet[str]]
    calls: Dict[str, FrozenSet[str]]
    classes: FrozenSet[str]
    served: FrozenSet[str]  # functions reachable from a request-serving root

    # exception -> every function that raises it with an own message, or calls (any
    # depth) one that does: one backward walk per exception asked about. (A forward walk
    # per calling function crossed most of a large project's call graph each time.)
    raisers: Dict[str, FrozenSet[str]] = field(default_factory=dict, compare=False)
    _callers: Dict[str, Set[str]] = field(default_factory=dict, compare=False)

    def raised_through(self, called: Iterable[str], exception: str) -> bool:
        """Whether ``exception`` is raised with an own message by one of ``called`` (project
        functions by simple name) or by a function they call, any depth."""
        raisers = self.raisers.get(exception)
        if raisers is None:
            raisers = self.raisers[exception] = self._reaching(exception)
        return not raisers.isdisjoint(called)

    def _reaching(self, exception: str) -> FrozenSet[str]:
        if not self._callers:
            for caller, callees in self.calls.items():
                for callee in callees:
                    self._callers.setdefault(callee, set()).add(caller)
        seen = {name for name, raised in self.raises.items() if exception in raised}
        queue = deque(seen)
        while queue:
            for caller in self._callers.get(queue.popleft(), ()):
                if caller not in seen:
                    seen.add(caller)
                    queue.append(caller)
        return frozenset(seen)

    def defines_served_function(self, text: str) -> bool:
        """Whether ``text`` defines a function with the name of one that serves requests."""
        return any(match.group(1) in self.served for match in _DEF_NAME.finditer(text))


_EMPTY = ProjectExceptions({}, {}, frozenset(), frozenset())


def project_exceptions(project: Optional[ProjectIndex], extra_roots: FrozenSet[str] = frozenset()) -> ProjectExceptions:
    if project is None:
        return _EMPTY
    return project.derived(EXCEPTION_FLOW, lambda index: _build(index, extra_roots))


def _build(project: ProjectIndex, extra_roots: FrozenSet[str]) -> ProjectExceptions:
    raises: Dict[str, Set[str]] = {}
    calls: Dict[str, Set[str]] = {}
    classes: Set[str] = set()
    roots: Set[str] = set(extra_roots)
    for summary in project.modules.values():
        facts = summary.extra.get(EXCEPTION_FLOW)
        if not isinstance(facts, ModuleExceptions):
            continue
        for name, raised, called in facts.functions:
            raises.setdefault(name, set()).update(raised)
            calls.setdefault(name, set()).update(called)
        classes.update(facts.classes)
        roots.update(facts.roots)
    frozen_calls = {name: frozenset(c for c in called if c in calls) for name, called in calls.items()}
    return ProjectExceptions(
        raises={name: frozenset(raised) for name, raised in raises.items() if raised},
        calls=frozen_calls,
        classes=frozenset(classes),
        served=_reachable(roots, frozen_calls),
    )


def _reachable(roots: Iterable[str], calls: Dict[str, FrozenSet[str]]) -> FrozenSet[str]:
    seen = {name for name in roots if name in calls}
    queue = deque(seen)
    while queue:
        for callee in calls.get(queue.popleft(), ()):
            if callee not in seen:
                seen.add(callee)
                queue.append(callee)
    return frozenset(seen)
