from __future__ import annotations

from fastapi_lint.prefilter import has_async_def, resolvable
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BLOCKING_CALLS, BlockingCallRule

# never resolved through another project module (`project_instance` only rewrites names to
# instances of `_instances._LIBRARIES`), so the module is named in the text
_REPORTED = resolvable(name for name, code in BLOCKING_CALLS.items() if code == "FAPI103")


class BlockingSubprocessInAsync(BlockingCallRule):
    """
    ## What it does
    Reports subprocess calls that wait for the child in async context:
    `subprocess.run/call/check_call/check_output`, `.wait()`/`.communicate()` on a
    `subprocess.Popen(...)`, `os.system`, `os.popen` and `os.wait*`.

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    The event loop thread sits idle until the child process exits. No other request on the
    worker is served meanwhile, for as long as the command runs.

    ## Example
    ```python
    import subprocess

    @router.post("/thumbnails")
    async def thumbnail(name: str) -> dict:
        subprocess.run(["convert", name, "thumb.png"], check=True)
        return {"ok": True}
    ```

    ## Use instead
    ```python
    import asyncio

    @router.post("/thumbnails")
    async def thumbnail(name: str) -> dict:
        process = await asyncio.create_subprocess_exec("convert", name, "thumb.png")
        await process.wait()
        return {"ok": True}
    ```

    `asyncio.create_subprocess_exec/shell` and a sync call passed to `asyncio.to_thread(...)`
    are not reported; starting a `subprocess.Popen(...)` without waiting on it is not either.

    ## References
    - [Python: asyncio subprocesses](https://docs.python.org/3/library/asyncio-subprocess.html)
    - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/)
    """

    CODE = "FAPI103"
    NAME = "blocking-subprocess-in-async"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("async",)
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_async_def(text) and _REPORTED(text)

    def message(self, written: str, resolved: str) -> str:
        return (
            f"`{written}()` waits for a child process and blocks the event loop; use "
            "`asyncio.create_subprocess_exec()` or run it with `asyncio.to_thread`"
        )
