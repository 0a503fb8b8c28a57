from __future__ import annotations

from typing import Any, Mapping

import libcst as cst

from fastapi_lint.imports import imported_name
from fastapi_lint.names import keyword
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.rules._text import GAP, skip_back, universal_newlines
from fastapi_lint.prefilter import lazy_pattern

# client -> the transport its removed `app=` shortcut built
_TRANSPORTS = {
    "httpx.AsyncClient": "ASGITransport",
    "httpx._client.AsyncClient": "ASGITransport",
    "httpx.Client": "WSGITransport",
    "httpx._client.Client": "WSGITransport",
}
# the httpx release without the `app=` shortcut
REMOVED_IN = "0.28"
# `app=` (spaces, comments and line breaks may surround the `=`)
_APP_EQUALS = lazy_pattern(r"app" + GAP + r"=(?!=)")


def _keyword_argument(text: str, start: int) -> bool:
    """Whether the `app` at ``start`` may be a keyword argument: a whole name after the
    call's `(` or an argument's `,` (or after a comment we cannot read back through)."""
    if text[start - 1:start].isidentifier() or text[start - 1:start].isdigit():
        return False
    before = skip_back(text, start)
    return before < 0 or text[before - 1:before] in ("(", ",")


class HttpxAppShortcut(Rule):
    """
    ## What it does
    Reports `httpx.AsyncClient(app=...)` and `httpx.Client(app=...)`, through any import
    alias, in application and test code alike.

    ## Why is this bad?
    The `app=` shortcut was deprecated in httpx 0.27 and removed in httpx 0.28: with a current
    httpx the client raises `TypeError` and every test that builds it fails.

    Not reported in a project whose declared httpx is older than 0.28 for sure (a pin or a
    range below it in its dependency or lock files, or `target-versions`): the shortcut
    works there. An unknown or open-ended httpx version may be 0.28 or later: reported.

    ## Example
    ```python
    from httpx import AsyncClient

    async with AsyncClient(app=app, base_url="http://test") as client:
        ...
    ```

    ## Use instead
    ```python
    from httpx import ASGITransport, AsyncClient

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        ...
    ```

    ## Fix safety
    The fix replaces `app=X` with `transport=ASGITransport(app=X)` for `AsyncClient` and
    `transport=WSGITransport(app=X)` for the sync `Client`, spelled the way the module imports
    httpx (`httpx.ASGITransport` after `import httpx`; otherwise the name is added to the
    `from httpx import ...` statement). It is safe: this is exactly the transport the removed
    shortcut built. (A sync test of a FastAPI app wants `fastapi.testclient.TestClient`.) No
    fix is offered when the call already passes `transport=`.

    ## References
    - [httpx 0.28.0 release notes](https://github.com/encode/httpx/blob/master/CHANGELOG.md#0280-28th-november-2024)
    - [FastAPI: Async Tests](https://fastapi.tiangolo.com/advanced/async-tests/)
    """

    CODE = "FAPI407"
    NAME = "httpx-app-shortcut"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("lifecycle", "testing")
    SEEDS = ("000", "001", "003")
    TRIGGERS = ("Client",)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # Every spelling of the two clients holds `Client`: `AsyncClient as AC` imports
        # the alias under it, `C = httpx.AsyncClient` names it. (`app=`/`app =` as
        # substrings would miss `app  =` and a keyword argument split over lines.)
        text = universal_newlines(text)
        return super().applies_to(text, options) and any(
            _keyword_argument(text, match.start()) for match in _APP_EQUALS.finditer(text)
        )

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # a project whose httpx is older still has the shortcut (deprecated from 0.27 only)
        self._active = ctx.versions.at_least("httpx", REMOVED_IN) is not False

    def visit_Call(self, node: cst.Call) -> None:
        app = keyword(node, "app") if self._active else None
        if app is None:
            return
        transport_class = _TRANSPORTS.get(self.ctx.resolve(node.func) or "")
        if transport_class is None:
            return
        message = f"`app=` was removed from httpx clients in 0.28; use `transport=httpx.{transport_class}(app=...)`"
        spelling = None if keyword(node, "transport") is not None else imported_name(self.ctx, "httpx", transport_class)
        if spelling is None:
            self.report(node, message)
            return
        transport_name, extra = spelling
        transport = cst.Call(cst.parse_expression(transport_name), args=[app.with_changes(comma=cst.MaybeSentinel.DEFAULT)])
        new_arg = app.with_changes(keyword=cst.Name("transport"), value=transport)
        self.report(
            node,
            message,
            replace=(node, node.with_changes(args=[new_arg if arg is app else arg for arg in node.args])),
            fix_message=f"Pass `transport={transport_class}(app=...)`",
            extra=extra,
        )
