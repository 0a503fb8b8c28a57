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
from collections import deque
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, Optional, Set, Tuple

from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector

EXCEPTION_FLOW = "exception_flow"
_ROOT_DECORATORS = frozenset({
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket",
    "exception_handler", "middleware",
})
_DEPENDENCY_CALLS = frozenset({"Depends", "Security"})
_DEF_NAME = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.M)


@dataclass(frozen=True)
class ModuleExceptions:
    # "name" -> (exception names raised with an own message, simple names called)
    functions: Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...]
    classes: Tuple[str, ...]  # classes the module defines
    roots: Tuple[str, ...]  # functions that serve requests directly


@collector(EXCEPTION_FLOW, triggers=("def ",))
def collect_exception_flow(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    functions = []
    classes = []
    roots: Set[str] = set()
    # `from app.db import create as db_create`: calls of db_create are calls of create
    aliases = {alias.asname: alias.name for stmt in module.body if isinstance(stmt, ast.ImportFrom)
               for alias in stmt.names if alias.asname}
    for stmt in module.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(_function(stmt, roots, aliases))
        elif isinstance(stmt, ast.ClassDef):
            classes.append(stmt.name)
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions.append(_function(item, roots, aliases))
                    if item.name == "dispatch":  # BaseHTTPMiddleware.dispatch
                        roots.add(item.name)
    roots |= _dependency_targets(tree.nodes())
    if functions or classes:
        summary.extra[EXCEPTION_FLOW] = ModuleExceptions(tuple(functions), tuple(classes), tuple(sorted(roots)))


def _function(node: ast.AST, roots: Set[str], aliases: Dict[str, str]) -> Tuple[str, Tuple[str, ...], Tuple[str, ...]]:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    if any(_decorator_name(d) in _ROOT_DECORATORS for d in node.decorator_list):
        roots.add(node.name)
    raised: Set[str] = set()
    calls: Set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call) and _own_message(child.exc):
            name = _simple_name(child.exc.func)
            if name:
                raised.add(name)
        elif isinstance(child, ast.Assert) and child.msg is not None:
            raised.add("AssertionError")
        elif isinstance(child, ast.Call):
            name = _simple_name(child.func)
            if name:
                calls.add(aliases.get(name, name))
    return node.name, tuple(sorted(raised)), tuple(sorted(calls))


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


def _dependency_targets(nodes: Iterable[ast.AST]) -> Set[str]:
    found = set()
    for node in nodes:
        if isinstance(node, ast.Call) and _simple_name(node.func) in _DEPENDENCY_CALLS and node.args:
            name = _simple_name(node.args[0])
            if name:
                found.add(name)
    return found


# -- the project table -----------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectExceptions:
    raises: Dict[str, FrozenSet[str]]
    calls: Dict[str, FrozenSet[str]]
    classes: FrozenSet[str]
    served: FrozenSet[str]  # functions reachable from a request-serving root

    def raised_through(self, called: Iterable[str], exception: str) -> bool:
        """Whether ``exception`` is raised with an own message by one of ``called`` (project
        functions by simple name) or by a function they call, any depth."""
        queue = deque(name for name in called if name in self.calls)
        seen = set(queue)
        while queue:
            name = queue.popleft()
            if exception in self.raises.get(name, ()):
                return True
            for callee in self.calls.get(name, ()):
                if callee not in seen and callee in self.calls:
                    seen.add(callee)
                    queue.append(callee)
        return False

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
