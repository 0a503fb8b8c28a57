from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.lifecycle._dependencies import DEPENDS_TARGETS, is_dependency
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
    # a module-level container is bound to a literal or a constructor call
    TRIGGERS = ("= [", "= {", "=[", "={", "list(", "dict(", "set(", "deque(", "Counter(", "OrderedDict(")
    PROJECT_FACTS = (DEPENDS_TARGETS,)

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
