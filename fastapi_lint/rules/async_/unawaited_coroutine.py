from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.prefilter import resolvable
from fastapi_lint.project import LazyAst, ModuleSummary, collector
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.rules.async_._async_io import (
    ASYNC_HTTP_TYPES, DB_COROUTINES, DB_TYPES, HTTP_COROUTINES, is_async_io_coroutine, uses_project_async_io,
    through_project,
)
from fastapi_lint.project.instances import INSTANCES

_CONTEXT_MANAGER_WORDS = ("contextmanager",)
# the coroutines it knows besides the module's own `async def`s, in sync code too
_KNOWN_COROUTINES = resolvable(("asyncio.sleep",) + tuple(DB_TYPES) + tuple(ASYNC_HTTP_TYPES))
# ``.commit(``: a coroutine method of a session or client whose type another module names
_DB_METHOD_CALL = re.compile(r"\.(?:%s)\s*\(" % "|".join(sorted(DB_COROUTINES | HTTP_COROUTINES)))
_ASYNC_DEF_NAME = re.compile(r"async(?:\s|\\)+def(?:\s|\\)+(\w+)")


def _calls_own_coroutine(text: str) -> bool:
    """Whether the name of an `async def` occurs again (a call, `self.name()`...)."""
    names = set(_ASYNC_DEF_NAME.findall(text))
    if not names:
        return False
    seen: Set[str] = set()
    for match in re.finditer(r"(?:" + "|".join(map(re.escape, names)) + r")\b", text):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue  # inside a longer name
        if match.group() in seen:
            return True
        seen.add(match.group())
    return False


# What the project pass's `ast` parse tells the prefilter: whether the module has a statement
# that drops or holds a call this rule could judge a coroutine (``x()`` or ``x = y.z()``,
# not awaited). Without it, every module that calls one of its own `async def`s is parsed,
# and nearly all of them await every call.
DROPPED_CALLS = "dropped_calls"
# the methods and functions the rule knows to return a coroutine, by their last name
_COROUTINE_NAMES = DB_COROUTINES | HTTP_COROUTINES | {"sleep"}


@collector(DROPPED_CALLS, triggers=("(",))
def _collect_dropped_calls(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    if tree.get() is None:  # CPython cannot read it: leave it to the parse
        return
    summary.extra[DROPPED_CALLS] = _may_drop_coroutine(tree)


def _may_drop_coroutine(tree: LazyAst) -> bool:
    """A superset of the calls ``UnawaitedCoroutine`` reports, read on the ast: the call of
    a bare expression statement, or the value of ``name = call()``, whose callee is
    ``obj.name`` with a name that may be a coroutine method (a session's, a client's, an
    `async def` of the module's), or a plain name that may be bound to a coroutine function
    (an `async def`, a name assigned or a parameter, ``from asyncio import sleep``)."""
    called: Set[str] = set()
    async_names: Optional[Set[str]] = None
    for node in tree.of_type(ast.Expr, ast.Assign):
        value = node.value  # type: ignore[attr-defined]
        if not isinstance(value, ast.Call):
            continue
        if isinstance(node, ast.Assign) and (len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name)):
            continue
        func = value.func
        if isinstance(func, ast.Attribute):
            if func.attr in _COROUTINE_NAMES:
                return True
            if async_names is None:
                async_names = {f.name for f in tree.of_type(ast.AsyncFunctionDef)}
            if func.attr in async_names:
                return True
        elif isinstance(func, ast.Name):
            called.add(func.id)
    if not called:
        return False
    if async_names is None:
        async_names = {f.name for f in tree.of_type(ast.AsyncFunctionDef)}
    bound = _bound_to_values(tree)
    return bound is None or not called.isdisjoint(async_names | bound)


def _bound_to_values(tree: LazyAst) -> Optional[Set[str]]:
    """The names a module may bind to a callable other than a sync def or class: any name
    stored to, any parameter, and imported names whose original may be a coroutine; None
    (any name) under ``import *``."""
    bound = {node.id for node in tree.of_type(ast.Name) if not isinstance(node.ctx, ast.Load)}  # type: ignore[attr-defined]
    bound.update(node.arg for node in tree.of_type(ast.arg))  # type: ignore[attr-defined]
    for node in tree.of_type(ast.ImportFrom, ast.Import):
        for alias in node.names:  # type: ignore[attr-defined]
            if alias.name == "*":
                return None
            if alias.name.rpartition(".")[2] in _COROUTINE_NAMES:
                bound.add(alias.asname or alias.name)
    return bound


class UnawaitedCoroutine(Rule):
    """
    ## What it does
    Reports a call that returns a coroutine whose result is dropped: a bare expression
    statement, or an assignment to a variable that is then never awaited nor passed on (only
    its attributes are read, or it is not used at all). The calls recognized are:

    - methods of a parameter or variable annotated or constructed as `AsyncSession`,
      `AsyncConnection`, `httpx.AsyncClient` or `asyncpg.Connection` (`execute`, `commit`,
      `refresh`, `flush`, `get`, `scalar(s)`, `delete`, `rollback`, `close`, `fetch*`,
      `get/post/put/...`); `AsyncSession.add()` is a plain method and is not reported;
    - `asyncio.sleep(...)`;
    - `async def` functions of the same module, and `self.method()` where `method` is an
      `async def` of the enclosing class (async generators and async context managers
      excluded: calling them returns no coroutine).

    A coroutine passed on — to `asyncio.gather`, `create_task`, `wait_for`, any other call,
    a list, a return or `yield` — is not reported.

    ## Why is this bad?
    Calling a coroutine function only creates the coroutine: nothing runs until it is
    awaited. The commit never happens, the request is never sent, and Python only warns
    "coroutine was never awaited" at garbage collection, far from the bug.

    ## Example
    ```python
    async def save(db: AsyncSession, item: Item) -> None:
        db.add(item)
        db.commit()
    ```

    ## Use instead
    ```python
    async def save(db: AsyncSession, item: Item) -> None:
        db.add(item)
        await db.commit()
    ```

    ## Fix safety
    The fix inserts `await` before the call. It is offered only inside an `async def`
    (where `await` is valid) and is safe: the code did nothing before, and now does what it
    says.

    ## References
    - [Python: Coroutines and tasks](https://docs.python.org/3/library/asyncio-task.html#coroutines)
    """

    CODE = "FAPI111"
    NAME = "unawaited-coroutine"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("async",)
    SEEDS = ("000", "001", "002")

    PROJECT_FACTS = (INSTANCES,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        if _KNOWN_COROUTINES(text) or _calls_own_coroutine(text):
            return True
        # a session type another module names is imported under some name: "import"
        return "import" in text and _DB_METHOD_CALL.search(text) is not None

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # a session typed by an alias another module defines (``db: DbSession``) names no
        # session type here: such files pass when the project defines one
        summary = project.summary_for(path) if project is not None else None
        if summary is not None and summary.extra.get(DROPPED_CALLS, True) is False:
            return False
        return _KNOWN_COROUTINES(text) or _calls_own_coroutine(text) or uses_project_async_io(text, project)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # variables holding a coroutine, not yet seen used whole: name -> (call, target, owner)
        self._held: Dict[str, Tuple[cst.Call, cst.Name, Optional[cst.FunctionDef]]] = {}
        self._attribute_bases: Set[int] = set()
        self._async_functions: Dict[str, bool] = {}

    # -- dropped results -------------------------------------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call) and self._is_coroutine_call(node.value):
            self._report(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if (
            isinstance(node.value, cst.Call)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and self._is_coroutine_call(node.value)
        ):
            target = node.targets[0].target
            self._held[target.value] = (node.value, target, self.ctx.current_function)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._held and isinstance(node.value, cst.Name):
            self._attribute_bases.add(id(node.value))

    def visit_Name(self, node: cst.Name) -> None:
        held = self._held.get(node.value)
        # any use of the whole value (await, argument, return, rebinding...) passes it on
        if held is not None and node is not held[1] and id(node) not in self._attribute_bases:
            del self._held[node.value]

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        dropped: List[str] = [name for name, (_, _, owner) in self._held.items() if owner is node]
        for name in dropped:
            self._report(self._held.pop(name)[0])

    def finish(self) -> None:
        for call, _, _ in self._held.values():
            self._report(call)

    def _report(self, call: cst.Call) -> None:
        text = self.ctx.facts.module.code_for_node(call.func)
        message = f"`{text}()` returns a coroutine that is never awaited: it does not run"
        if self.ctx.in_async_context:
            self.report(call, message, replace=(call, cst.Await(expression=call)),
                        fix_message="Insert `await`")
        else:
            self.report(call, message)

    # -- what returns a coroutine ----------------------------------------------------------
    def _is_coroutine_call(self, call: cst.Call) -> bool:
        resolved = self.ctx.resolve(call.func)
        if resolved is None:
            return False
        if resolved == "asyncio.sleep" or is_async_io_coroutine(through_project(self.ctx.project, resolved)):
            return True
        if isinstance(call.func, cst.Name) and resolved == self.ctx.facts.local(call.func.value):
            return self._is_coroutine_function(call.func.value, self.ctx.facts.functions.get(call.func.value))
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) \
                and call.func.value.value == "self":
            return self._is_own_coroutine_method(call.func.attr.value)
        return False

    def _is_own_coroutine_method(self, name: str) -> bool:
        """``self.save()`` where ``save`` is an ``async def`` of the enclosing module-level class."""
        owner = self.ctx.enclosing_class
        if owner is None or self.ctx.facts.classes.get(owner.name.value) is not owner:
            return False
        methods = [s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name]
        method = methods[-1] if methods else None
        return self._is_coroutine_function(f"{owner.name.value}.{name}", method)

    def _is_coroutine_function(self, key: str, function: Optional[cst.FunctionDef]) -> bool:
        known = self._async_functions.get(key)
        if known is None:
            known = (
                function is not None
                and function.asynchronous is not None
                and not any(_names_context_manager(d) for d in function.decorators)
                and not _has_yield(function)
            )
            self._async_functions[key] = known
        return known


def _names_context_manager(decorator: cst.Decorator) -> bool:
    target = decorator.decorator
    if isinstance(target, cst.Call):
        target = target.func
    name = target.attr.value if isinstance(target, cst.Attribute) else getattr(target, "value", "")
    return any(word in str(name) for word in _CONTEXT_MANAGER_WORDS)


class _YieldFinder(cst.CSTVisitor):
    """Whether a function body yields (nested scopes excluded): an async generator."""

    def __init__(self) -> None:
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _has_yield(function: cst.FunctionDef) -> bool:
    finder = _YieldFinder()
    function.body.visit(finder)
    return finder.found
