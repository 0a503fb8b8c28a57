from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Set

import libcst as cst

from fastapi_lint.names import dotted
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.async_._async_io import DB_TYPES

# awaits whose order is the point: a deliberate pause, messages on one socket
_ORDERED_CALLS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep"})
_ORDERED_RECEIVERS = frozenset({
    "fastapi.WebSocket()", "starlette.websockets.WebSocket()", "fastapi.websockets.WebSocket()",
})


@dataclass
class _AwaitStatement:
    node: cst.BaseSmallStatement
    reads: Set[str] = field(default_factory=set)
    binds: Set[str] = field(default_factory=set)
    # the database sessions/connections it uses, as written ("db", "self.session")
    sessions: Set[str] = field(default_factory=set)

    def independent_of(self, run: Sequence["_AwaitStatement"]) -> bool:
        for other in run:
            if self.reads & other.binds or self.binds & (other.reads | other.binds):
                return False
            if self.sessions & other.sessions:
                return False
        return True


class SequentialAwaits(Rule):
    """
    ## What it does
    Reports two or more consecutive `await` statements in one block whose calls don't use
    each other's results and don't share a database session or connection (`AsyncSession`,
    `AsyncConnection`, asyncpg): they could run concurrently. A run is reported once, at its
    first statement. Awaits that depend on an earlier one end the run and may start a new
    one; `asyncio.sleep` and messages on a WebSocket are ordered on purpose and end a run.

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
    TRIGGERS = ("await",)

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
        found = _AwaitStatement(small)
        reader = _Reads(self, found)
        value.visit(reader)
        for target in targets:
            _bind_targets(target, found)
            if not isinstance(target, cst.Name):
                target.visit(reader)  # ``obj.attr = await ...`` reads ``obj``
        return found

    def _ordered(self, awaited: cst.BaseExpression) -> bool:
        if not isinstance(awaited, cst.Call):
            return False
        resolved = self.ctx.resolve(awaited.func)
        if resolved in _ORDERED_CALLS:
            return True
        return resolved is not None and resolved.rpartition(".")[0] in _ORDERED_RECEIVERS

    def is_session(self, expr: cst.BaseExpression) -> bool:
        return self.ctx.resolve(expr) in DB_TYPES


def _bind_targets(target: cst.BaseExpression, found: _AwaitStatement) -> None:
    if isinstance(target, cst.Name):
        found.binds.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind_targets(element.value, found)


class _Reads(cst.CSTVisitor):
    """The names an awaited expression reads, and the sessions it uses."""

    def __init__(self, rule: SequentialAwaits, found: _AwaitStatement) -> None:
        self.rule = rule
        self.found = found

    def visit_Name(self, node: cst.Name) -> None:
        self.found.reads.add(node.value)
        if self.rule.is_session(node):
            self.found.sessions.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        text = dotted(node)
        if text is not None and self.rule.is_session(node):
            self.found.sessions.add(text)
        node.value.visit(self)
        return False  # ``x.attr``: ``attr`` is not a name read

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False  # the keyword of ``f(key=value)`` is not a name read

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        node.body.visit(self)
        return False
