from __future__ import annotations

import ast
import re
from typing import Dict, Optional

import libcst as cst

from fastapi_lint.project.astnames import module_statements
from fastapi_lint.names import keyword, positional
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.prefilter import lazy_pattern

NOT_FACTORIES = "not_dependency_factories"
_MARKERS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
                      "fastapi.param_functions.Depends", "fastapi.param_functions.Security"})
# return annotations of values that are never callable
_VALUE_TYPES = frozenset({
    "str", "int", "float", "bool", "bytes", "dict", "list", "set", "tuple", "None", "Dict", "List",
    "Set", "Tuple", "Session", "AsyncSession", "Generator", "AsyncGenerator", "Iterator", "AsyncIterator",
    "Iterable", "AsyncIterable", "Connection", "AsyncConnection",
})
_YIELD = lazy_pattern(r"\byield\b")
_BUILDS = lazy_pattern(r"\bdef |\blambda\b|\bclass ")
_RETURN = lazy_pattern(r"^[ \t]*return\b(.*)$", re.M)
# `return "x"`, `return {...}`, `return [..]`, `return 3`, `return None`: no callable
_LITERAL_RETURN = lazy_pattern(r"\s*(?:[rbuf]*['\"]|\{|\[|\d|None\b|True\b|False\b|$)")

# what a call of the function gives instead of a dependency callable
_ASYNC, _GENERATOR, _VALUE, _INSTANCE = "async", "generator", "value", "instance"
_WHAT = {
    _ASYNC: "an async function: its call is a coroutine",
    _GENERATOR: "a generator function: its call is a generator",
    _VALUE: "its call returns a value that is not callable",
    _INSTANCE: "a class without `__call__`: its instance is not callable",
}


@collector(NOT_FACTORIES, triggers=("def ", "class "))
def _collect(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.partial()
    if module is None:
        return
    lines = text.splitlines()
    found: Dict[str, str] = {}
    for stmt in module_statements(module.body):
        kind = _kind(stmt, lines)
        if kind is not None:
            found[stmt.name] = kind  # type: ignore[attr-defined]
    if found:
        summary.extra[NOT_FACTORIES] = found


def _kind(stmt: ast.stmt, lines) -> Optional[str]:
    """Why calling this module-level function or class gives no dependency callable."""
    if isinstance(stmt, ast.ClassDef):
        plain_bases = all(isinstance(b, ast.Name) and b.id in ("object", "BaseModel") for b in stmt.bases)
        methods = {s.name for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        return _INSTANCE if plain_bases and not stmt.keywords and "__call__" not in methods else None
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) or stmt.decorator_list:
        return None  # a decorator may make anything of it
    body = "\n".join(lines[stmt.lineno - 1:stmt.end_lineno or stmt.lineno])
    inner = body.partition(":\n")[2]
    if _BUILDS.search(inner) is not None:
        return None  # it builds a function or a class: it may well return it
    if isinstance(stmt, ast.AsyncFunctionDef):
        return _ASYNC
    if _YIELD.search(inner) is not None:
        return _GENERATOR
    returns = stmt.returns
    if returns is not None:
        head = returns.value if isinstance(returns, ast.Subscript) else returns
        name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", None)
        if isinstance(returns, ast.Constant) and returns.value is None:
            name = "None"
        if name in _VALUE_TYPES:
            return _VALUE
        return None
    returns_found = _RETURN.findall(inner)
    if returns_found and all(_LITERAL_RETURN.match(r) for r in returns_found):
        return _VALUE
    return None


def _verdict(project: Optional[ProjectIndex], target: str, importer: str) -> Optional[str]:
    if project is None:
        return None
    module, _, name = target.rpartition(".")
    found = project.find_module(module, importer) if module else None
    data = found.extra.get(NOT_FACTORIES) if found is not None else None
    return data.get(name) if isinstance(data, dict) else None


class DependsCalled(Rule):
    """
    ## What it does
    Reports `Depends(f())`/`Security(f())` where `f` is a function or class of the project
    (any module) whose call gives no dependency callable: an async function (a coroutine),
    a generator function (`yield` dependencies), a function annotated to return a value
    (`-> Session`, `-> dict`) or returning only literals, or a class without `__call__`.
    A dependency factory (`Depends(get_repository(UserRepo))` returning a nested function or
    a callable instance) is fine, and so is anything the linter cannot see into (a
    decorated function, a class with other bases).

    ## Why is this bad?
    `Depends` takes the dependency itself, not its result. `Depends(get_db())` hands
    FastAPI a generator object: the app fails at startup ("not a callable"), or, for a
    value that happens to be callable, calls the wrong thing on every request; the session
    is never opened per request nor closed.

    ## Example
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()

    @router.get("/items")
    def list_items(db: Session = Depends(get_db())): ...
    ```

    ## Use instead
    ```python
    @router.get("/items")
    def list_items(db: Session = Depends(get_db)): ...
    ```

    ## References
    - [FastAPI: Dependencies](https://fastapi.tiangolo.com/tutorial/dependencies/)
    """

    CODE = "FAPI409"
    NAME = "depends-called"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("lifecycle", "correctness")
    SEEDS = ("002",)
    TRIGGERS = ("Depends(", "Security(")
    PROJECT_FACTS = (NOT_FACTORIES,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # the literal test first: `_CALLED` starts with `\b`, so `re` tries it at every position
        return ("Depends(" in text or "Security(" in text) and _CALLED.search(text) is not None

    def visit_Call(self, node: cst.Call) -> None:
        arg = positional(node, 0) or keyword(node, "dependency")
        if arg is None or not isinstance(arg.value, cst.Call) or self.ctx.resolve(node.func) not in _MARKERS:
            return
        called = arg.value
        target = self.ctx.resolve(called.func)
        if target is None:
            return
        kind = _verdict(self.ctx.project, target, self.ctx.facts.module_name)
        if kind is None:
            return
        short = target.rpartition(".")[2]
        self.report(arg.value, f"`{short}()` is passed to `Depends`, but `{short}` is {_WHAT[kind]}: "
                               f"pass `{short}` itself")


# `Depends(get_db())`, `Security(x.y(...))`: a call as the marker's argument
_CALLED = lazy_pattern(r"\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?[\w.]+\(")
