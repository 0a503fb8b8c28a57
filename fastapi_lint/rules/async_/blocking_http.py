from __future__ import annotations

from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.async_._blocking import BlockingCallRule


class BlockingHttpInAsync(BlockingCallRule):
    """
    ## What it does
    Reports synchronous HTTP calls in async context: `requests.get/post/...` and the methods
    of a `requests.Session()`, `urllib.request.urlopen`, the `httpx.get/post/...` module
    functions and `httpx.Client` methods, and `urllib3` pool requests. A session or client
    created at module level in another project module (`from app.http import http_client`)
    is recognised too.

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
    # session/client: a client another project module creates is usually named so
    TRIGGERS = ("requests", "httpx", "urllib", "Session", "session", "Client", "client")

    def message(self, written: str, resolved: str) -> str:
        return (
            f"`{written}()` is a blocking HTTP call in async code; use `httpx.AsyncClient` "
            "(awaited) or run it with `asyncio.to_thread`"
        )
