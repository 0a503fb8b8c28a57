from __future__ import annotations

from typing import Any, Mapping

import libcst as cst

from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import method_call, universal_newlines

_DEPRECATED = ("on_event", "add_event_handler")
_DEPRECATED_CALL = method_call(_DEPRECATED)
# the FastAPI release that added `FastAPI(lifespan=...)`
LIFESPAN_SINCE = "0.93"


class DeprecatedOnEvent(Rule):
    """
    ## What it does
    Reports `@app.on_event("startup"/"shutdown")` decorators and `app.add_event_handler(...)`
    calls on a FastAPI app or APIRouter (resolved through imports and aliases, and the
    `.router` of an app).

    Preview, not on by default: read on real FastAPI projects, 6 of its 8 findings were
    what a reviewer wants (the others demonstrate the deprecated API on purpose, in
    documentation), under the 90 % a default rule must reach.

    Not reported in a project whose declared FastAPI is older than 0.93 for sure (its
    dependency or lock files, or `target-versions`): `lifespan` does not exist there.

    ## Why is this bad?
    Startup/shutdown event handlers are deprecated in FastAPI and Starlette. They cannot share
    state between startup and shutdown, are skipped entirely once a `lifespan` is given, and
    will be removed. A `lifespan` context manager keeps acquisition and release in one place.

    ## Example
    ```python
    app = FastAPI()

    @app.on_event("startup")
    async def connect() -> None:
        await database.connect()

    @app.on_event("shutdown")
    async def disconnect() -> None:
        await database.disconnect()
    ```

    ## Use instead
    ```python
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await database.connect()
        yield
        await database.disconnect()

    app = FastAPI(lifespan=lifespan)
    ```

    ## References
    - [FastAPI: Lifespan Events](https://fastapi.tiangolo.com/advanced/events/)
    """

    CODE = "FAPI401"
    NAME = "deprecated-on-event"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.PREVIEW
    TAGS = ("lifecycle",)
    SEEDS = ("001", "003", "004")
    TRIGGERS = _DEPRECATED

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # only a call of the attribute is reported (the receiver may come from anywhere)
        text = universal_newlines(text)
        return super().applies_to(text, options) and _DEPRECATED_CALL.search(text) is not None

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._active = ctx.versions.at_least("fastapi", LIFESPAN_SINCE) is not False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (self._active and isinstance(func, cst.Attribute) and func.attr.value in _DEPRECATED):
            return
        receiver = self.ctx.resolve(func.value)
        # `app.router.add_event_handler(...)` reaches the same deprecated API
        if receiver is not None and receiver.endswith(".router"):
            receiver = receiver[: -len(".router")]
        if not self.ctx.facts.is_app_or_router(receiver):
            return
        function = self.ctx.current_function
        if function is not None and function.name.value in _DEPRECATED:
            return  # a wrapper re-exposing the API (FastAPI.on_event itself), not a use of it
        what = "`on_event`" if func.attr.value == "on_event" else "`add_event_handler`"
        self.report(node, f"{what} is deprecated; use a `lifespan` context manager")
