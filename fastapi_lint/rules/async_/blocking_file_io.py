from __future__ import annotations

from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BlockingCallRule


class BlockingFileIoInAsync(BlockingCallRule):
    """
    ## What it does
    Reports blocking file I/O in async context: builtin `open()`, `io.open`, the
    `read_text/read_bytes/write_text/write_bytes/open` methods of a `pathlib.Path` (built with
    `Path(...)`, derived with `/`, `.parent`, `.resolve()`..., or annotated `Path`), and
    `shutil.copy*/move/rmtree`. A Path constant of another project module
    (`from app.config import BASE_DIR`) is recognised too.

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
    # PATH/DIR: a Path constant another project module creates is usually named so
    TRIGGERS = ("open", "Path", "pathlib", "shutil", "PATH", "DIR")

    def message(self, written: str, resolved: str) -> str:
        return (
            f"`{written}()` does blocking file I/O in async code; use `aiofiles`, `anyio.Path` "
            "or `asyncio.to_thread`"
        )
