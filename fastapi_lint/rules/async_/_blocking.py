"""Shared machinery of the "blocking call in async context" rules (FAPI101-FAPI105)."""
from __future__ import annotations

from typing import ClassVar, FrozenSet, Optional

import libcst as cst

from fastapi_lint.rule import Rule


class BlockingCallRule(Rule):
    """Reports calls whose resolved name is in ``BLOCKING`` when made in async context.

    Subclasses set ``BLOCKING`` (exact dotted names) and may override :meth:`blocking_name`
    for patterns (instance methods, prefixes) and :meth:`message`.
    """

    BLOCKING: ClassVar[FrozenSet[str]] = frozenset()
    SKIP_TEST_FILES = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_context:
            return
        name = self.blocking_name(node)
        if name is not None:
            self.on_blocking_call(node, name)

    def blocking_name(self, node: cst.Call) -> Optional[str]:
        name = self.ctx.resolve(node.func)
        return name if name in self.BLOCKING else None

    def on_blocking_call(self, node: cst.Call, name: str) -> None:
        self.report(node, self.message(name))

    def message(self, name: str) -> str:
        raise NotImplementedError
