from __future__ import annotations

import libcst as cst

from fastapi_lint.imports import module_alias
from fastapi_lint.prefilter import has_async_def, resolvable
from fastapi_lint.rule import Default, FixAvailability, Severity
from fastapi_lint.rules.async_._blocking import BlockingCallRule

_TIME_SLEEP = resolvable(["time.sleep"])


class BlockingSleepInAsync(BlockingCallRule):
    """
    ## What it does
    Reports `time.sleep(...)` called in async context (the body of an `async def`, nested
    `def`/`lambda`/class bodies excluded), through any import alias.

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    `time.sleep` blocks the event loop thread: while one request sleeps, no other request on
    that worker makes progress. In an `async def` route this stalls the whole server.

    ## Example
    ```python
    import time

    @router.get("/slow")
    async def slow() -> dict:
        time.sleep(1)
        return {"ok": True}
    ```

    ## Use instead
    ```python
    import asyncio

    @router.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(1)
        return {"ok": True}
    ```

    ## Fix safety
    The fix replaces the call with `await asyncio.sleep(...)` and adds `import asyncio` when
    needed. It is safe: the coroutine yields instead of blocking, with the same delay.

    ## References
    - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/)
    """

    CODE = "FAPI101"
    NAME = "blocking-sleep-in-async"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("async",)
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_async_def(text) and _TIME_SLEEP(text)

    def on_blocking_call(self, node: cst.Call, name: str) -> None:
        message = "`time.sleep()` blocks the event loop in async code; use `await asyncio.sleep()`"
        spelling = module_alias(self.ctx, "asyncio")
        if spelling is None:
            self.report(node, message)
            return
        asyncio_name, extra = spelling
        replacement = cst.Await(
            expression=node.with_changes(func=cst.Attribute(cst.Name(asyncio_name), cst.Name("sleep")))
        )
        self.report(
            node,
            message,
            replace=(node, replacement),
            fix_message="Replace with `await asyncio.sleep(...)`",
            extra=extra,
        )
