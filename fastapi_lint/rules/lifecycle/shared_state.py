from __future__ import annotations

import ast
from typing import Any, Iterable, List, Mapping, Optional, Set

import libcst as cst

from fastapi_lint.project.astnames import module_statements, parse_quietly
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import GAP, GAP_CLOSE, GAP_OPEN, aliases, alternatives, skip_back, universal_newlines
from fastapi_lint.rules.lifecycle._dependencies import DEPENDS_TARGETS, defines_dependency, is_dependency
from fastapi_lint.words import name_parts

_MUTATORS = frozenset({
    "append", "extend", "insert", "remove", "update", "add", "pop", "popitem", "setdefault",
    "clear", "discard", "appendleft", "extendleft", "popleft", "difference_update",
    "intersection_update", "symmetric_difference_update", "sort", "reverse",
})
_CONTAINER_CALLS = frozenset({
    "builtins.list", "builtins.dict", "builtins.set", "collections.defaultdict",
    "collections.OrderedDict", "collections.deque", "collections.Counter",
})
_LOCK_TYPES = frozenset({
    "threading.Lock()", "threading.RLock()", "asyncio.Lock()", "anyio.Lock()",
    "threading.Semaphore()", "threading.BoundedSemaphore()", "asyncio.Semaphore()",
    "asyncio.BoundedSemaphore()", "anyio.Semaphore()", "threading.Condition()", "asyncio.Condition()",
})

# -- the prefilter -----------------------------------------------------------------------------
# A finding needs a name the text mutates (read back from the mutation) that a module-level
# statement binds to a container: the top-level statements that may bind such a name are
# parsed with `ast`, one by one.
_AUGMENTED = r"(?:[-+*/%&|^@]|//|\*\*|<<|>>)="
_MUTATOR_CALL = lazy_pattern(r"\." + GAP + alternatives(_MUTATORS) + r"\b" + GAP_CLOSE + r"\(")
# `+=`... (and, needlessly, `<=`/`>=`); the first character of `//=`, `**=`, `<<=`, `>>=`
# is the one before the match
_AUGMENTED_ASSIGNMENT = lazy_pattern(r"[-+*/%&|^@<>]=(?!=)")
# `[key] =`, `[key] +=`; a key we cannot read through (nested brackets, escapes, comments)
# counts too
_ITEM_ASSIGNMENT = lazy_pattern(
    r"\[(?:[^\[\]'\"#\\]|\"[^\"\\\n]*\"|'[^'\\\n]*')*(?:\]" + GAP + r"(?:" + _AUGMENTED
    + r"|=(?!=))|[\['\"#\\])"
)
_SUBSCRIPT = lazy_pattern(r"\[")
_DEL = lazy_pattern(r"del\b")
# Where a line's code starts at column 0 (a form feed resets the column, as in CPython and
# libcst), and where it is indented.
_COLUMN_0 = r"\n(?:[ \t\f]*\f)?"
_INDENTED = r"[ \t\f]*[ \t](?![ \t\f])"
# A top-level statement other than a `def`/`class` (and its decorators): a line starting at
# column 0, then the indented, blank and comment lines, the lines closing a bracket, and
# the `elif`/`else`/`except`/`finally` that continue it.
_STATEMENT = lazy_pattern(
    _COLUMN_0 + r"(?!(?:def|class|async[ \t]+def)\b|@)[^\s#][^\n]*(?:\n(?:"
    + _INDENTED + r"[^\n]*|[ \t\f]*(?:#[^\n]*)?|(?:[ \t\f]*\f)?(?:[)\]}]|(?:elif|else|except|finally)\b)[^\n]*"
    + r")(?![^\n]))*"
)
# statements whose nested statements are module-level too (`for`/`while` bodies are not)
_BLOCK = lazy_pattern(_COLUMN_0 + r"(?:if|elif|else|try|except|finally|with|async[ \t]+with)\b")
_LOOP = lazy_pattern(_COLUMN_0 + r"(?:for|while|async[ \t]+for)\b")
_NAME = r"([^\W\d]\w*)"
# the targets of a simple statement: `name =`/`name:` first on its line (`(name) = `),
# `a = name = ...`, `x = 1; name = ...`
_TARGETS = (
    lazy_pattern(_COLUMN_0 + r"(?:\(" + GAP_OPEN + r")?" + _NAME + GAP_CLOSE + r"(?::|=(?!=))"),
    lazy_pattern(r"=(?!=)" + GAP_OPEN + _NAME + GAP_CLOSE + r"=(?!=)"),
    lazy_pattern(r";" + GAP_OPEN + _NAME + GAP_CLOSE + r"(?::|=(?!=))"),
)
_CONTAINER_NAMES = frozenset(name.rpartition(".")[2] for name in _CONTAINER_CALLS)
_LITERALS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def _mutated_names(text: str) -> Optional[Set[str]]:
    """The names the text may mutate as the rule sees it (`name.append(...)`, `name[k] =
    ...`, `name += ...`, `del name[k]`); None when one cannot be read back."""
    ends = [match.start() for match in _MUTATOR_CALL.finditer(text)]
    for match in _AUGMENTED_ASSIGNMENT.finditer(text):
        end = match.start()
        ends.append(end - 1 if text[end - 1:end] == text[end] and text[end] in "/*<>" else end)
    deletes = any(_name_before(text, match.end()) == "del" for match in _DEL.finditer(text))
    subscripts = _SUBSCRIPT if deletes else _ITEM_ASSIGNMENT
    ends += [match.start() for match in subscripts.finditer(text)]
    names: Set[str] = set()
    for end in ends:
        name = _name_before(text, end)
        if name is None:
            return None
        if name:
            names.add(name)
    return names


def _name_before(text: str, end: int) -> Optional[str]:
    """The name that ends before ``end`` across blanks, line continuations and closing
    parentheses (`(cache) .append`); "" when something else does (`rooms[k].append`);
    None when a line break follows a line with a comment we cannot read back through."""
    i = skip_back(text, end, " \t\f\r\\\n)")
    if i < 0:
        return None
    start = i
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:i]


def _module_container(text: str, wanted: Optional[Set[str]]) -> bool:
    """Whether a module-level statement may bind one of ``wanted`` (any name: None) to a
    list/dict/set."""
    # what a call of a container type may be spelled as: `deque`, `dq` (`deque as dq`),
    # `L` (`L = list`); None: any name (an alias we cannot read)
    callables = aliases(text, sorted(_CONTAINER_NAMES))
    for match in _STATEMENT.finditer("\n" + text):
        statement = match.group()
        if _LOOP.match(statement) or not _may_bind(statement, wanted):
            continue
        # A statement cut short (at a column-0 line inside a string or brackets) ends
        # inside that string or brackets and does not parse: the whole file is read then.
        found = _containers(statement, callables)
        if found is None:
            found = _containers(text, callables)
            return found is None or bool(found and (wanted is None or found & wanted))
        if found and (wanted is None or found & wanted):
            return True
    return False


def _may_bind(statement: str, wanted: Optional[Set[str]]) -> bool:
    """Whether a top-level statement may bind one of ``wanted`` (any name: None)."""
    if _BLOCK.match(statement):
        return wanted is None or any(name in statement for name in wanted)
    targets = {name for pattern in _TARGETS for name in pattern.findall(statement)}
    return bool(targets) and (wanted is None or not targets.isdisjoint(wanted))


def _containers(source: str, callables: Optional[Set[str]]) -> Optional[Set[str]]:
    """Names the module-level statements of ``source`` may bind to a container: a literal,
    a comprehension, or a call of one of ``callables`` (any name: None) or of an attribute
    named like a container type; None when ``source`` does not parse."""
    try:
        module = parse_quietly(source.lstrip("\n"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: Set[str] = set()
    for stmt in _statements(module.body):
        if isinstance(stmt, ast.Assign) and _may_be_container(stmt.value, callables):
            found.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and _may_be_container(stmt.value, callables):
            if isinstance(stmt.target, ast.Name):
                found.add(stmt.target.id)
    return found


def _statements(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    for stmt in module_statements(body):
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _statements(stmt.body)
        else:
            yield stmt


def _may_be_container(value: ast.expr, callables: Optional[Set[str]]) -> bool:
    if isinstance(value, _LITERALS):
        return True
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute):
        return func.attr in _CONTAINER_NAMES
    return isinstance(func, ast.Name) and (callables is None or func.id in callables)


class SharedMutableState(Rule):
    """
    ## What it does
    Reports a route or a dependency (a function passed to `Depends`/`Security` somewhere in
    the project) that mutates a module-level list, dict or set — `append`, `extend`,
    `insert`, `remove`, `update`, `add`, `pop`, `setdefault`, `clear`, `discard`, item
    assignment or deletion, `+=` — without holding a lock (`with lock:` / `async with lock:`
    around the mutation, where the lock is a threading/asyncio/anyio lock or a name that
    says `lock`).

    A module-level container is one bound at module level to a literal, a comprehension or
    `list()`/`dict()`/`set()`/`defaultdict()`/`OrderedDict()`/`deque()`/`Counter()`.
    Mutating an attribute of a module-level object (`manager.connections.append(ws)`) or an
    element of a container (`rooms[key].append(ws)`) is not reported.

    ## Why is this bad?
    Sync routes run concurrently in a thread pool and async routes interleave at every
    `await`: unsynchronized updates race. And with several workers each process has its own
    copy, so the state silently diverges between requests.

    ## Example
    ```python
    cache: dict[str, Item] = {}

    @router.post("/items")
    def add_item(item: Item) -> Item:
        cache[item.id] = item
        return item
    ```

    ## Use instead
    ```python
    cache_lock = threading.Lock()

    @router.post("/items")
    def add_item(item: Item) -> Item:
        with cache_lock:
            cache[item.id] = item
        return item
    ```
    or keep shared state in a store every worker sees (a database, Redis).
    """

    CODE = "FAPI405"
    NAME = "shared-mutable-state"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("lifecycle", "concurrency")
    SEEDS = ("003",)
    PROJECT_FACTS = (DEPENDS_TARGETS,)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        """A module-level container whose name the text mutates. Which functions are
        dependencies other modules decide, so a route is not required. (No substring test
        first: `x =  {}`, `x = \\` + a line break, `x = dq()` after `deque as dq` have none.)"""
        text = universal_newlines(text)
        mutated = _mutated_names(text)
        return mutated != set() and _module_container(text, mutated)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # only routes and dependencies are judged
        return has_route(text) or defines_dependency(text, project)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # one entry per enclosing `with`: does it hold a lock?
        self._locks: List[bool] = []
        self._containers = {
            name for name, value in ctx.facts.assignments.items() if self._is_container(value)
        }

    def _is_container(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
            return True
        return isinstance(value, cst.Call) and self.ctx.facts.resolve(value.func) in _CONTAINER_CALLS

    # -- locks ---------------------------------------------------------------------------
    def visit_With(self, node: cst.With) -> None:
        self._locks.append(any(self._is_lock(item.item) for item in node.items))

    def leave_With(self, node: cst.With) -> None:
        self._locks.pop()

    def _is_lock(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):  # `with lock.acquire():`-style helpers
            expr = expr.func.value if isinstance(expr.func, cst.Attribute) else expr.func
        if self.ctx.resolve(expr) in _LOCK_TYPES:
            return True
        name = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", "")
        return isinstance(name, str) and any(
            part in ("lock", "rlock", "mutex", "semaphore") for part in name_parts(name)
        )

    # -- mutations -----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATORS
            and isinstance(func.value, cst.Name)
        ):
            self._check(node, func.value, f"`.{func.attr.value}()`")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                self._check(target.target, target.target.value, "item assignment")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if isinstance(target, cst.Subscript):
            self._check(target, target.value, "item assignment")
        else:
            self._check(target, target, "augmented assignment")

    def visit_Del(self, node: cst.Del) -> None:
        targets = node.target.elements if isinstance(node.target, cst.Tuple) else None
        for target in [e.value for e in targets] if targets else [node.target]:
            if isinstance(target, cst.Subscript):
                self._check(target, target.value, "item deletion")

    def _check(self, node: cst.CSTNode, container: cst.BaseExpression, how: str) -> None:
        if not isinstance(container, cst.Name) or container.value not in self._containers:
            return
        if any(self._locks):
            return
        name = container.value
        # a local of the same name shadows the module-level container
        if self.ctx.lookup(name) != self.ctx.facts.names.get(name):
            return
        kind = self._handler_kind()
        if kind is None:
            return
        self.report(
            node,
            f"{kind} mutates module-level `{name}` ({how}) without a lock: racy across "
            "requests and not shared between workers",
        )

    def _handler_kind(self) -> Optional[str]:
        function = self.ctx.current_function
        if function is None:
            return None
        if self.ctx.routes_of(function):
            return "route"
        if is_dependency(self.ctx, function):
            return "dependency"
        return None
