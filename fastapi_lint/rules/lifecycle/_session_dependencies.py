"""Dependencies that yield a database session or connection (FAPI408), across modules.

The project pass records, per module, the generator functions that yield a session (by the
call that makes what they yield, or by their return annotation), and the type aliases that
wrap a dependency (``SessionDep = Annotated[Session, Depends(get_db)]``), so that a route in
``routes.py`` knows that ``get_db`` of ``db.py`` hands it a session closed at cleanup.
Like ``_dependencies``, names are matched by their last component.
"""
from __future__ import annotations

import ast
import bisect
from typing import Dict, FrozenSet, Optional, Tuple

from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.prefilter import lazy_pattern

SESSION_DEPENDENCIES = "session_dependencies"
# what makes a session or a connection: `SessionLocal()`, `async_session_maker()`,
# `Session(engine)`, `engine.connect()`, `pool.acquire()`, `engine.begin()`
_SESSION_CALL = lazy_pattern(r"(?i)(session|connect|acquire|^begin$)")
# what an annotation names when the generator yields one: Session, AsyncSession, Connection
_SESSION_TYPE = lazy_pattern(r"(?:Session|Connection)$")
_NOT_DATABASE = lazy_pattern(r"(?i)client|http|aiohttp")


@collector(SESSION_DEPENDENCIES, triggers=("yield",))
def _collect(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    # only a function whose lines hold a `yield` can be a generator: the others (nearly all)
    # are not walked
    yield_lines = sorted(node.lineno for node in tree.of_type(ast.Yield) if node.value is not None)  # type: ignore[attr-defined]
    functions = sorted(node.name for node in tree.of_type(ast.FunctionDef, ast.AsyncFunctionDef)  # type: ignore[attr-defined]
                       if _spans_a_yield(node, yield_lines) and _yields_session(node))
    aliases = sorted(_dependency_aliases(module).items()) if "Depends" in text else []
    if functions or aliases:
        summary.extra[SESSION_DEPENDENCIES] = (tuple(functions), tuple(aliases))


def _spans_a_yield(function: ast.AST, yield_lines) -> bool:
    first = bisect.bisect_left(yield_lines, function.lineno)
    return first < len(yield_lines) and yield_lines[first] <= (function.end_lineno or function.lineno)


def _own_nodes(function: ast.AST):
    """The nodes of ``function``'s own body (nested functions and classes left out)."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _yields_session(function: ast.AST) -> bool:
    yields = []
    made: Dict[str, bool] = {}  # local name -> bound to a session-making call
    for node in _own_nodes(function):
        if isinstance(node, ast.Yield) and node.value is not None:
            yields.append(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            made[node.targets[0].id] = made.get(node.targets[0].id, False) or _makes_session(node.value)
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            made[node.optional_vars.id] = made.get(node.optional_vars.id, False) or _makes_session(node.context_expr)
    if not yields:
        return False
    if _annotation_names_session(getattr(function, "returns", None)):
        return True
    return any(made.get(v.id, False) if isinstance(v, ast.Name) else _makes_session(v) for v in yields)


def _makes_session(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Await):
        expr = expr.value
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return bool(_SESSION_CALL.search(name)) and not _NOT_DATABASE.search(name)


def _annotation_names_session(annotation: Optional[ast.AST]) -> bool:
    if annotation is None:
        return False
    for node in ast.walk(annotation):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if _SESSION_TYPE.search(name) and not _NOT_DATABASE.search(name):
            return True
    return False


def _dependency_aliases(module: ast.Module) -> Dict[str, str]:
    """``Alias = Annotated[T, Depends(dep)]`` at module level: alias -> dep's last name."""
    aliases = {}
    for stmt in module.body:
        value, target = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            value, target = stmt.value, stmt.targets[0]
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            value, target = stmt.value, stmt.target
        elif type(stmt).__name__ == "TypeAlias":  # `type SessionDep = Annotated[...]` (3.12)
            value, target = stmt.value, stmt.name  # type: ignore[attr-defined]
        if isinstance(target, ast.Name) and value is not None:
            dependency = depends_target_of_annotation(value)
            if dependency is not None:
                aliases[target.id] = dependency
    return aliases


def depends_target_of_annotation(annotation: ast.AST) -> Optional[str]:
    """``Annotated[T, Depends(dep)]`` -> ``dep``'s last name."""
    if not isinstance(annotation, ast.Subscript):
        return None
    elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
    for element in elements[1:]:
        if isinstance(element, ast.Call):
            func = element.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("Depends", "Security"):
                arg = element.args[0] if element.args else next(
                    (k.value for k in element.keywords if k.arg == "dependency"), None)
                if isinstance(arg, ast.Attribute):
                    return arg.attr
                if isinstance(arg, ast.Name):
                    return arg.id
    return None


def session_dependencies(project: Optional[ProjectIndex]) -> Tuple[FrozenSet[str], Dict[str, str]]:
    """(names of dependencies yielding a session, alias -> dependency name) of the project."""
    if project is None:
        return frozenset(), {}
    return project.derived(SESSION_DEPENDENCIES, _gather)


def _gather(project: ProjectIndex) -> Tuple[FrozenSet[str], Dict[str, str]]:
    functions = set()
    aliases: Dict[str, str] = {}
    for summary in project.modules.values():
        found = summary.extra.get(SESSION_DEPENDENCIES)
        if found:
            names, pairs = found  # type: ignore[misc]
            functions.update(names)
            aliases.update(pairs)
    return frozenset(functions), aliases
