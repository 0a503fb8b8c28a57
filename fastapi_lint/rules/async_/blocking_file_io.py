from __future__ import annotations

from fastapi_lint.prefilter import any_word, has_async_def, resolvable
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BLOCKING_CALLS, BlockingCallRule, PATH_IO

# `open`, `io.open` and the Path methods: a Path another project module creates may be
# imported under any name (`from app.config import BASE`), so only the method is sure
_OPEN = any_word(("open",) + PATH_IO)
# shutil is never resolved through another project module: it is named in the text
_SHUTIL = resolvable(name for name, code in BLOCKING_CALLS.items() if code == "FAPI104" and name.startswith("shutil."))


class BlockingFileIoInAsync(BlockingCallRule):
    """
    ## What it does
    Reports blocking file I/O in async context: builtin `open()`, `io.open`, the
    `read_text/read_bytes/write_text/write_bytes/open` methods of a `pathlib.Path` (built with
    `Path(...)`, derived with `/`, `.parent`, `.resolve()`..., or annotated `Path`), and
    `shutil.copy*/move/rmtree`. A Path constant of another project module
    (`from app.config import BASE_DIR`) is recognised too.

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    Disk reads and writes block the event loop thread; on network file systems or large
    files that is long enough to stall every other request on the worker.

    ## Example
    ```python
    @router.get("/report")
    async def report() -> str:
        with open("report.txt") as f:
            return f.read()
    ```

    ## Use instead
    ```python
    import aiofiles

    @router.get("/report")
    async def report() -> str:
        async with aiofiles.open("report.txt") as f:
            return await f.read()
    ```

    `aiofiles`, `anyio.Path`/`anyio.open_file` and sync calls handed to
    `asyncio.to_thread(...)` are not reported. An `open` rebound by a parameter or an import
    (`from aiofiles import open`) is not the builtin.

    ## References
    - [aiofiles](https://github.com/Tinche/aiofiles)
    - [AnyIO: Asynchronous file I/O](https://anyio.readthedocs.io/en/stable/fileio.html)
    """

    CODE = "FAPI104"
    NAME = "blocking-file-io-in-async"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("async",)
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_async_def(text) and (_OPEN(text) or _SHUTIL(text))

    def message(self, written: str, resolved: str) -> str:
        return (
            f"`{written}()` does blocking file I/O in async code; use `aiofiles`, `anyio.Path` "
            "or `asyncio.to_thread`"
        )
