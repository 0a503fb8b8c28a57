from __future__ import annotations

from typing import Dict

import libcst as cst

from fastapi_lint.names import keyword, positional
from fastapi_lint.prefilter import resolvable
from fastapi_lint.rule import Default, Severity, Rule
from fastapi_lint.rules.async_._blocking import call_text

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# resolved callee -> which library's default applies when no timeout is given
_NEEDS_TIMEOUT: Dict[str, str] = {
    **{f"requests.{verb}": "requests" for verb in _VERBS},
    **{f"requests.api.{verb}": "requests" for verb in _VERBS},
    **{
        f"{session}.{verb}": "requests"
        for session in ("requests.Session()", "requests.sessions.Session()", "requests.session()")
        for verb in _VERBS + ("send",)
    },
    **{f"httpx.{verb}": "httpx" for verb in _VERBS + ("stream",)},
    "httpx.Client": "httpx",
    "httpx.AsyncClient": "httpx",
    "urllib.request.urlopen": "urllib",
}
# in sync code too; resolved from this module's own imports only (not another module's client)
_REPORTED = resolvable(_NEEDS_TIMEOUT)
# urlopen(url, data=None, timeout=...): the timeout may be the third positional argument
_POSITIONAL_TIMEOUT = {"urllib.request.urlopen": 2}

_CONSEQUENCE = {
    "requests": "requests waits forever by default",
    "httpx": "httpx's implicit 5 s default applies",
    "urllib": "urllib uses the global socket timeout, none by default",
}


class HttpWithoutTimeout(Rule):
    """
    ## What it does
    Reports outbound HTTP without an explicit timeout, in sync and async code alike:
    `requests.get/post/...` and `requests.Session()` method calls without `timeout=`,
    `httpx.Client()`/`httpx.AsyncClient()` construction and the `httpx.get/post/...` module
    functions without `timeout=`, and `urllib.request.urlopen` without a timeout.

    Calls made on an httpx client are not reported: the client's construction is where the
    timeout belongs, and it is judged there. A call with a `**kwargs` splat may carry a
    timeout and is not reported.

    ## Why is this bad?
    `requests` and `urllib` wait forever by default: one unresponsive upstream ties up a
    worker thread (or the event loop) indefinitely. httpx applies an implicit 5 s timeout,
    which is rarely the right value for a given upstream and is invisible to readers.

    ## Example
    ```python
    async with httpx.AsyncClient() as client:
        response = await client.get(url)

    requests.get(url)
    ```

    ## Use instead
    ```python
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
        response = await client.get(url)

    requests.get(url, timeout=10)
    ```

    ## References
    - [requests: Timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    - [HTTPX: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    """

    CODE = "FAPI112"
    NAME = "http-without-timeout"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("http", "reliability")
    SEEDS = ("000", "001", "002", "004")
    SKIP_TEST_FILES = True

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _REPORTED(text)

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        resolved = self.ctx.resolve(node.func)
        if resolved is None:
            return
        library = _NEEDS_TIMEOUT.get(resolved)
        if library is None or _has_timeout(node, resolved):
            return
        self.report(
            node,
            f"`{call_text(node, resolved)}()` has no explicit `timeout=`: "
            f"{_CONSEQUENCE[library]}; pass `timeout=`",
        )


def _has_timeout(node: cst.Call, resolved: str) -> bool:
    # a ``*args``/``**kwargs`` splat may carry the timeout
    if any(arg.star for arg in node.args) or keyword(node, "timeout") is not None:
        return True
    index = _POSITIONAL_TIMEOUT.get(resolved)
    return index is not None and positional(node, index) is not None
