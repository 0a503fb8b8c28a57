from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Set

import libcst as cst

from fastapi_lint.names import dotted
from fastapi_lint.prefilter import has_async_def
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.async_._async_io import ASYNC_HTTP_TYPES, DB_TYPES
from fastapi_lint.walk import children

# a deliberate pause: its place in the sequence is the point
_ORDERED_CALLS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep"})
# HTTP clients serve concurrent requests: sharing one is no dependency while the requests
# only read (a GET after a POST may be there to see what the POST did)
_HTTP_CLIENTS = ASYNC_HTTP_TYPES | {"aiohttp.ClientSession()", "aiohttp.client.ClientSession()"}
_HTTP_READS = frozenset({"get", "head", "options"})
# After a write, a read may be there to observe it (create, then read back) and a second
# write may need the first (the user before their article): by call name.
_WRITE_VERBS = ("create", "insert", "update", "delete", "remove", "add", "save", "set", "put",
                "post", "patch", "write", "destroy", "register", "upsert", "store", "commit")
_READ_VERBS = ("get", "read", "fetch", "find", "list", "select", "load", "retrieve", "query",
               "count", "exists", "search")


@dataclass
class _AwaitStatement:
    node: cst.BaseSmallStatement
    reads: Set[str] = field(default_factory=set)
    binds: Set[str] = field(default_factory=set)
    # the database sessions/connections it uses, as written ("db", "self.session")
    sessions: Set[str] = field(default_factory=set)
    # the object whose method it awaits ("self", "manager"), when that is an instance
    receiver: Optional[str] = None
    # a read through an HTTP client, which serves concurrent requests
    http_read: bool = False
    writes: bool = False
    reads_back: bool = False

    def independent_of(self, run: Sequence["_AwaitStatement"]) -> bool:
        for other in run:
            if self.reads & other.binds or self.binds & (other.reads | other.binds):
                return False
            if self.sessions & other.sessions:
                return False
            # two calls on one object share its state: hooks, then the action, then hooks
            if (self.receiver is not None and self.receiver == other.receiver
                    and not (self.http_read and other.http_read)):
                return False
            if other.writes and (self.writes or self.reads_back):
                return False
        return True


class SequentialAwaits(Rule):
    """
    ## What it does
    Reports two or more consecutive `await` statements in one block that could run
    concurrently with `asyncio.gather`, once per run, at its first statement. Two awaits are
    dependent — and end a run, which may start again at the second — when:

    - one uses a name the other binds (`user = await ...` then `await send(user.email)`);
    - they share a database session or connection (`AsyncSession`, `AsyncConnection`,
      asyncpg): a session cannot run concurrent queries;
    - they call methods of the same object (`self`, a local or module-level instance): the
      calls share its state (before-hook, action, after-hook); reads (`get`/`head`/`options`)
      through one `httpx.AsyncClient` or aiohttp session are the exception;
    - the earlier one writes (`create`/`update`/`delete`/`set`/`save`/`post`...) and the
      later one writes or reads (`get`/`read`/`fetch`/`find`...): it may need or observe the
      write.

    `await asyncio.sleep(...)` is ordered on purpose and ends a run.

    ## Why is this bad?
    Each `await` waits for the previous one to finish: three independent 100 ms calls take
    300 ms in sequence and about 100 ms with `asyncio.gather`. (A session cannot run
    concurrent queries, so awaits sharing one are left alone.)

    ## Example
    ```python
    user = await client.get(f"/users/{user_id}")
    orders = await client.get(f"/orders?user_id={user_id}")
    ```

    ## Use instead
    ```python
    user, orders = await asyncio.gather(
        client.get(f"/users/{user_id}"),
        client.get(f"/orders?user_id={user_id}"),
    )
    ```

    ## References
    - [asyncio.gather](https://docs.python.org/3/library/asyncio-task.html#asyncio.gather)
    """

    CODE = "FAPI113"
    NAME = "sequential-awaits"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("async", "performance")
    SEEDS = ("000", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return text.count("await") >= 2 and has_async_def(text)

    # blocks are judged when left: the scope tracker has seen every binding of the function
    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if not self.ctx.in_async_context:
            return
        run: List[_AwaitStatement] = []
        for stmt in node.body:
            current = self._await_statement(stmt)
            if current is not None and current.independent_of(run):
                run.append(current)
                continue
            self._close(run)
            run = [current] if current is not None else []
        self._close(run)

    def _close(self, run: List[_AwaitStatement]) -> None:
        if len(run) >= 2:
            self.report(
                run[0].node,
                f"{len(run)} consecutive independent awaits run one after another; "
                "`asyncio.gather(...)` would run them concurrently",
            )

    def _await_statement(self, stmt: cst.BaseStatement) -> Optional[_AwaitStatement]:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        small = stmt.body[0]
        targets: List[cst.BaseExpression] = []
        if isinstance(small, cst.Expr):
            value = small.value
        elif isinstance(small, cst.Assign):
            value = small.value
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            value = small.value
            targets = [small.target]
        else:
            return None
        if not isinstance(value, cst.Await) or self._ordered(value.expression):
            return None
        verb = _verb(value.expression)
        found = _AwaitStatement(small, receiver=self._receiver(value.expression),
                                http_read=self._http_read(value.expression),
                                writes=verb.startswith(_WRITE_VERBS), reads_back=verb.startswith(_READ_VERBS))
        self._read(value, found)
        for target in targets:
            _bind_targets(target, found)
            if not isinstance(target, cst.Name):
                self._read(target, found)  # ``obj.attr = await ...`` reads ``obj``
        return found

    def _read(self, expr: cst.CSTNode, found: _AwaitStatement) -> None:
        """The names ``expr`` reads, and the sessions it uses (a read-only walk: libcst's
        ``visit`` rebuilds every node it passes, most of this rule's time)."""
        stack = [expr]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is cst.Name:
                found.reads.add(node.value)
                if self.is_session(node):
                    found.sessions.add(node.value)
            elif kind is cst.Attribute:
                text = dotted(node)
                if text is not None and self.is_session(node):
                    found.sessions.add(text)
                stack.append(node.value)  # ``x.attr``: ``attr`` is not a name read
            elif kind is cst.Arg:
                stack.append(node.value)  # the keyword of ``f(key=value)`` is not a name read
            elif kind is cst.Lambda:
                stack.append(node.body)  # nor are its parameters
            else:
                stack.extend(children(node))

    def _ordered(self, awaited: cst.BaseExpression) -> bool:
        return isinstance(awaited, cst.Call) and self.ctx.resolve(awaited.func) in _ORDERED_CALLS

    def _http_read(self, awaited: cst.BaseExpression) -> bool:
        return (
            isinstance(awaited, cst.Call)
            and isinstance(awaited.func, cst.Attribute)
            and awaited.func.attr.value in _HTTP_READS
            and self.ctx.resolve(awaited.func.value) in _HTTP_CLIENTS
        )

    def _receiver(self, awaited: cst.BaseExpression) -> Optional[str]:
        """The root object of an awaited method call, unless it is a module."""
        if not isinstance(awaited, cst.Call) or not isinstance(awaited.func, cst.Attribute):
            return None
        root = awaited.func.value
        while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if not isinstance(root, cst.Name):
            return None
        if root.value in ("self", "cls"):
            return root.value
        resolved = self.ctx.resolve(root)
        # a module (``crud.get_user``) has no state to share; an instance or a local may
        is_object = resolved is None or resolved.endswith("()") or resolved.startswith("<local>.")
        return root.value if is_object else None

    def is_session(self, expr: cst.BaseExpression) -> bool:
        return self.ctx.resolve(expr) in DB_TYPES


def _verb(awaited: cst.BaseExpression) -> str:
    """The called function's or method's name, lower case ("create_user")."""
    if not isinstance(awaited, cst.Call):
        return ""
    func = awaited.func
    name = func.attr if isinstance(func, cst.Attribute) else func
    return name.value.lower().lstrip("_") if isinstance(name, cst.Name) else ""


def _bind_targets(target: cst.BaseExpression, found: _AwaitStatement) -> None:
    if isinstance(target, cst.Name):
        found.binds.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind_targets(element.value, found)
