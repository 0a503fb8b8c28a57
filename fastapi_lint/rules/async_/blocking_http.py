from __future__ import annotations

from fastapi_lint.prefilter import any_word, has_async_def
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BLOCKING_CALLS, BlockingCallRule

# the last names of the calls it reports (`requests.get`, `urllib3.PoolManager().urlopen`...)
_CALLED = any_word({name.rpartition(".")[2] for name, code in BLOCKING_CALLS.items() if code == "FAPI102"})


class BlockingHttpInAsync(BlockingCallRule):
    """
    ## What it does
    Reports synchronous HTTP calls in async context: `requests.get/post/...` and the methods
    of a `requests.Session()`, `urllib.request.urlopen`, the `httpx.get/post/...` module
    functions and `httpx.Client` methods, and `urllib3` pool requests. A session or client
    created at module level in another project module (`from app.http import http_client`)
    is recognised too.

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    A sync HTTP call holds the event loop thread for the whole network round trip. Every other
    request on the worker waits for the remote server, and a slow or hanging upstream freezes
    the application.

    ## Example
    ```python
    import requests

    @router.get("/users")
    async def users() -> list:
        return requests.get("https://api.example.com/users", timeout=5).json()
    ```

    ## Use instead
    ```python
    import httpx

    @router.get("/users")
    async def users() -> list:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get("https://api.example.com/users")
        return response.json()
    ```

    `httpx.AsyncClient` is not reported; a sync call handed to `asyncio.to_thread(...)` or
    made in a plain `def` route (which FastAPI runs in a thread pool) is not either.

    ## References
    - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/)
    - [HTTPX: Async support](https://www.python-httpx.org/async/)
    """

    CODE = "FAPI102"
    NAME = "blocking-http-in-async"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("async", "http")
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # A client created in another project module may be imported under any name
        # (`from app.http import c`), so only the called method is sure to be in the text.
        return has_async_def(text) and _CALLED(text)

    def message(self, written: str, resolved: str) -> str:
        return (
            f"`{written}()` is a blocking HTTP call in async code; use `httpx.AsyncClient` "
            "(awaited) or run it with `asyncio.to_thread`"
        )
