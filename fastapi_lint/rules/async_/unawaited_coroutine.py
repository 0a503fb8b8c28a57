from __future__ import annotations

import ast
import re
import sys
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.prefilter import lazy_pattern, resolvable
from fastapi_lint.project import LazyAst, prefilter_fact
from fastapi_lint.project.astnames import module_statements
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
_DB_METHOD_CALL = lazy_pattern(r"\.(?:%s)\s*\(" % "|".join(sorted(DB_COROUTINES | HTTP_COROUTINES)))
_ASYNC_DEF_NAME = lazy_pattern(r"async(?:\s|\\)+def(?:\s|\\)+(\w+)")


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
# that drops, or holds and never uses, a call this rule could judge a coroutine
# (``x()``, ``x = y.z()``; not awaited), as (a method of a session or client, an own
# coroutine). Without it every module that calls one of its own `async def`s, or assigns
# ``d.get(...)``, is parsed, and nearly all of them await every coroutine they make.
DROPPED_CALLS = "dropped_calls"
# the methods the rule knows to return a coroutine (and ``asyncio.sleep``), by last name
_COROUTINE_METHODS = DB_COROUTINES | HTTP_COROUTINES | {"sleep"}


def _dropped_calls(tree: LazyAst) -> Tuple[bool, bool]:
    return _DroppedCalls(tree).find()


def _module_level(body: List[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking into ``if``/``try``/``with`` blocks, as the lint's
    module facts find the module's functions."""
    for stmt in module_statements(body):
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _module_level(stmt.body)
        else:
            yield stmt


class _DroppedCalls:
    """A superset of the calls ``UnawaitedCoroutine`` reports, read on the ast: the call of
    a bare expression statement, or of ``name = call()`` where no later name ``name`` in the
    same function reads it whole. Its callee is ``obj.name`` with a coroutine method's name
    (a session's, a client's), ``self.name`` with an `async def` method's name, or a plain
    name that may be bound to a coroutine function (a module-level `async def`, a name
    assigned a coroutine method or another name, ``from asyncio import sleep``)."""

    def __init__(self, tree: LazyAst) -> None:
        self.tree = tree
        self._async_functions: Optional[Set[str]] = None
        self._async_methods: Optional[Set[str]] = None
        self._bound: Optional[Set[str]] = None
        self._uses: Optional[Dict[str, List[Tuple[int, int]]]] = None

    def find(self) -> Tuple[bool, bool]:
        methods = own = False
        for node in self.tree.of_type(ast.Expr, ast.Assign):
            call = node.value  # type: ignore[attr-defined]
            if type(call) is not ast.Call:
                continue
            if type(node) is ast.Assign and (len(node.targets) != 1 or type(node.targets[0]) is not ast.Name):
                continue
            func = call.func
            if type(func) is ast.Attribute:
                is_method = func.attr in _COROUTINE_METHODS
                # the rule's own coroutines through an attribute: `self.save()` only
                if not is_method and not (type(func.value) is ast.Name and func.value.id == "self" and (
                        func.attr in self.async_methods() or self.may_be_bound("self." + func.attr))):
                    continue
            elif type(func) is ast.Name:
                is_method = False
                if func.id not in self.async_functions() and not self.may_be_bound(func.id):
                    continue
            else:
                continue
            if (methods if is_method else own) or (type(node) is ast.Assign and self.used_later(node)):
                continue
            if is_method:
                methods = True
            else:
                own = True
            if methods and own:
                break
        return methods, own

    def async_functions(self) -> Set[str]:
        """The module's own `async def` functions: at module level (in an ``if``, ``try`` or
        ``with`` there too), the only functions a name resolves to."""
        if self._async_functions is None:
            module = self.tree.get()
            self._async_functions = {
                stmt.name for stmt in _module_level(module.body if module is not None else [])
                if type(stmt) is ast.AsyncFunctionDef
            }
        return self._async_functions

    def async_methods(self) -> Set[str]:
        """The `async def` methods of the module's classes (``self.save()``)."""
        if self._async_methods is None:
            self._async_methods = {
                item.name for cls in self.tree.of_type(ast.ClassDef)
                for item in cls.body if type(item) is ast.AsyncFunctionDef  # type: ignore[attr-defined]
            }
        return self._async_methods

    def may_be_bound(self, name: str) -> bool:
        """Whether the module may bind ``name`` (or ``self.name``) to a coroutine function: an
        import of a coroutine's name, anything under ``import *``, or an assignment (``with
        ... as`` too) of a coroutine method (``commit = db.commit``) or of another name. The
        rule resolves a name no other way to a coroutine: a parameter's type is an instance
        (``db: AsyncSession`` is ``AsyncSession()``), not a method."""
        if self._bound is None:
            tree = self.tree
            bound: Set[str] = set()
            for node in tree.of_type(ast.Assign, ast.AnnAssign, ast.withitem):
                if type(node) is ast.withitem:
                    value, targets = node.context_expr, [node.optional_vars]  # type: ignore[attr-defined]
                else:
                    value = node.value  # type: ignore[attr-defined]
                    targets = node.targets if type(node) is ast.Assign else [node.target]  # type: ignore[attr-defined]
                if not (type(value) is ast.Name or (type(value) is ast.Attribute and value.attr in _COROUTINE_METHODS)):
                    continue
                for target in targets:
                    if type(target) is ast.Name:
                        bound.add(target.id)
                    elif type(target) is ast.Attribute and type(target.value) is ast.Name and target.value.id == "self":
                        bound.add("self." + target.attr)
            for node in tree.of_type(ast.ImportFrom, ast.Import):
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name == "*":
                        self._bound = _ANY_NAME
                        return True
                    if alias.name.rpartition(".")[2] in _COROUTINE_METHODS:
                        bound.add(alias.asname or alias.name)
            self._bound = bound
        return self._bound is _ANY_NAME or name in self._bound

    def used_later(self, assign: ast.Assign) -> bool:
        """Whether a name ``x`` that reads ``x = call()``'s value whole (not as ``x.attr``'s
        base: the rule reads those as attribute uses) follows it in its function (its
        module, outside one), where the rule would see the value passed on."""
        target = assign.targets[0]
        start = (target.lineno, target.col_offset)
        owner = None
        for function in self.tree.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
            begin = (function.lineno, function.col_offset)  # type: ignore[attr-defined]
            finish = (function.end_lineno, function.end_col_offset)  # type: ignore[attr-defined]
            if begin < start <= finish and (owner is None or begin > owner[0]):
                owner = (begin, finish)
        end = owner[1] if owner is not None else (sys.maxsize, 0)
        return any(start < place <= end for place in self.uses().get(target.id, ()))  # type: ignore[attr-defined]

    def uses(self) -> Dict[str, List[Tuple[int, int]]]:
        if self._uses is None:
            bases = {id(a.value) for a in self.tree.of_type(ast.Attribute)}  # type: ignore[attr-defined]
            uses: Dict[str, List[Tuple[int, int]]] = {}
            for name in self.tree.of_type(ast.Name):
                if id(name) not in bases:
                    uses.setdefault(name.id, []).append((name.lineno, name.col_offset))  # type: ignore[attr-defined]
            self._uses = uses
        return self._uses


_ANY_NAME: Set[str] = set()
prefilter_fact(DROPPED_CALLS, ("(",), None, _dropped_calls)


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
        dropped = project.file_fact(path, DROPPED_CALLS) if project is not None else None
        if dropped is not None:
            methods, own = dropped
            if not (methods or own):
                return False
            if not own:  # the receiver must be a session or client: a type written here, or
                # a name another module binds to one
                return _KNOWN_COROUTINES(text) or uses_project_async_io(text, project, path)
        return _KNOWN_COROUTINES(text) or _calls_own_coroutine(text) or uses_project_async_io(text, project, path)

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
