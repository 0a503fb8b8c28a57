from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.facts import SPECIAL_PARAM_TYPES, unwrap_annotation
from fastapi_lint.names import iter_params
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.routes._common import is_limiter_decorator

_CONNECTION_PARAMS = ("request", "websocket")
# `@<expr>.limit(` / `@<expr>.shared_limit(`, laid out as prefilter.has_route reads decorators
_LIMIT_DECORATOR = lazy_pattern(r"@(?:[^\n]|\\\n)*?\.(?:\s|\\\n)*(?:shared_)?limit(?:\s|\\\n|\))*\(")


class LimiterMisuse(Rule):
    """
    ## What it does
    Reports a route decorated with slowapi's `@limiter.limit(...)` (or `shared_limit`)
    when the limiter decorator sits above a route decorator, or when the function has no
    parameter named `request` or `websocket` holding the connection (a parameter of that
    name annotated with something that is clearly not a `Request`, such as a pydantic
    model or `str`, counts as missing).

    The limiter is recognised as a `slowapi.Limiter` instance of the module, or, when it is
    imported from elsewhere, by a receiver named like `limiter`.

    ## Why is this bad?
    Decorators apply bottom-up: the route decorator registers the function it receives. With
    the limiter above it, FastAPI registers the bare function and the limit is never
    enforced, silently. slowapi finds the connection through a parameter named `request` (or
    `websocket`): without one it raises at import time, and with a parameter of that name
    that is not a `Request` it raises on every call.

    ## Example
    ```python
    @limiter.limit("5/minute")
    @router.post("/login")
    async def login(form: LoginForm):
        ...
    ```

    ## Use instead
    ```python
    @router.post("/login")
    @limiter.limit("5/minute")
    async def login(request: Request, form: LoginForm):
        ...
    ```

    ## References
    - [slowapi documentation](https://slowapi.readthedocs.io/en/latest/)
    """

    CODE = "FAPI208"
    NAME = "limiter-misuse"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("routes", "security", "correctness")
    SEEDS = ("002",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _LIMIT_DECORATOR.search(text) is not None and has_route(text)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(node.decorators) < 2 and node.name.value not in self.ctx.facts.api_routes:
            return
        limiters = [i for i, d in enumerate(node.decorators) if is_limiter_decorator(d, self.ctx)]
        if not limiters:
            return
        routes = self.ctx.current_routes
        if not routes:
            return
        problems: List[str] = []
        route_positions = [node.decorators.index(r.decorator) for r in routes if r.decorator is not None]
        if route_positions and min(limiters) < max(route_positions):
            problems.append("`@limiter.limit` is above the route decorator, so the limit is never applied")
        missing = self._missing_connection(node)
        if missing is not None:
            problems.append(missing)
        if problems:
            self.report(node.name, "; ".join(problems))

    def _missing_connection(self, node: cst.FunctionDef) -> Optional[str]:
        for param in iter_params(node.params):
            if param.name.value not in _CONNECTION_PARAMS:
                continue
            if param.annotation is None or self._not_a_connection(param.annotation.annotation):
                return (
                    f"slowapi needs `{param.name.value}` to be the connection: annotate it "
                    "`Request`/`WebSocket`"
                )
            return None
        return "slowapi needs a `request: Request` parameter on a rate-limited route"

    def _not_a_connection(self, annotation: cst.BaseExpression) -> bool:
        plain = unwrap_annotation(annotation, self.ctx.resolve)
        name = self.ctx.resolve(plain) if plain is not None else None
        if name is None or name in SPECIAL_PARAM_TYPES:
            return False
        if name.startswith(("builtins.", "typing.", "pydantic.")):
            return True
        # a class of this module that is not a Request subclass (a body model, say)
        short = name.rpartition(".")[2]
        local = self.ctx.facts.classes.get(short) if name == self.ctx.facts.local(short) else None
        return local is not None and not any(
            (self.ctx.resolve(b.value) or "").endswith(("Request", "WebSocket", "HTTPConnection"))
            for b in local.bases
        )
