from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.facts import DEPENDS, RouteInfo
from fastapi_lint.names import dotted, iter_params, keyword
from fastapi_lint.prefilter import has_route, says_any
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.words import says

GLOBAL_LIMITS = "global_rate_limits"
AUTH_WORDS = (
    "login", "log_in", "signin", "sign_in", "logon", "token", "password_reset",
    "reset_password", "forgot_password", "password_recovery", "recover_password",
)
_LIMIT_WORDS = ("limit", "throttl")
_MIDDLEWARES = ("SlowAPIMiddleware", "SlowAPIASGIMiddleware", "RateLimitMiddleware", "RateLimiterMiddleware")


@collector(GLOBAL_LIMITS, triggers=("default_limits",) + _MIDDLEWARES)
def _collect_global_limits(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    found = []
    if "default_limits" in text:
        found.append("default_limits")
    if any(m in text for m in _MIDDLEWARES[:2]):
        found.append("slowapi_middleware")
    if any(m in text for m in _MIDDLEWARES[2:]):
        found.append("middleware")
    summary.extra[GLOBAL_LIMITS] = tuple(found)


def _project_limits_every_route(project: Optional[ProjectIndex]) -> bool:
    """A rate-limiting middleware applies to every route (slowapi needs default_limits too)."""
    if project is None:
        return False
    flags = {flag for s in project.modules.values() for flag in s.extra.get(GLOBAL_LIMITS, ())}  # type: ignore[union-attr]
    return "middleware" in flags or {"default_limits", "slowapi_middleware"} <= flags


def _says_limit(text: Optional[str]) -> bool:
    lowered = (text or "").lower()
    return any(word in lowered for word in _LIMIT_WORDS)


class AuthEndpointWithoutRateLimit(Rule):
    """
    ## What it does
    Reports a `post` route whose path or function name says login, sign-in, token or
    password reset (`/login`, `/token`, `/auth/signin`, `/password-recovery/{email}`,
    `login_access_token`, `reset_password`) when nothing limits its rate: no limiter
    decorator (`@limiter.limit(...)`, any decorator named like `limit`/`throttle`), no
    rate-limit dependency (a `Depends(...)` parameter or `dependencies=[...]` entry of the
    route or of its router whose target is named like `limit`/`throttle`, e.g.
    fastapi-limiter's `RateLimiter`), and no project-wide rate-limit middleware
    (slowapi's `SlowAPIMiddleware` with `default_limits`, or a `RateLimitMiddleware`).

    ## Why is this bad?
    Credential and token endpoints are what attackers brute-force and stuff with leaked
    passwords (CWE-307). Without a limit every guess costs one request, and a password
    reset endpoint can be used to flood mailboxes or enumerate accounts.

    ## Example
    ```python
    @router.post("/login")
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        ...
    ```

    ## Use instead
    ```python
    @router.post("/login")
    @limiter.limit("5/minute")
    async def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        ...
    ```

    ## References
    - [CWE-307: Improper Restriction of Excessive Authentication Attempts](https://cwe.mitre.org/data/definitions/307.html)
    - [OWASP: Blocking Brute Force Attacks](https://owasp.org/www-community/controls/Blocking_Brute_Force_Attacks)
    """

    CODE = "FAPI311"
    NAME = "auth-endpoint-without-rate-limit"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("security", "authentication")
    CWE = 307
    SEEDS = ("001", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # the function name or the (prefixed) path of the route says an auth word
        return has_route(text, ("post", "api_route")) and says_any(text, AUTH_WORDS)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        routes = [r for r in self.ctx.current_routes if "POST" in r.methods]
        auth = [r for r in routes if says(node.name.value, AUTH_WORDS) or says(r.full_path or "", AUTH_WORDS)]
        if not auth or self._limited(node, auth):
            return
        self.report(
            node.name,
            f"Authentication endpoint `{node.name.value}` has no rate limit: "
            "credentials and tokens can be brute-forced",
        )

    def _limited(self, node: cst.FunctionDef, routes: List[RouteInfo]) -> bool:
        if any(_says_limit(dotted(_callee(d.decorator))) for d in node.decorators):
            return True
        for param in iter_params(node.params):
            if param.annotation is None and param.default is None:
                continue
            source = self.ctx.param_source(param, routes[0])
            if source.kind == DEPENDS and _says_limit(source.target):
                return True
        if any(self._lists_limit(route) for route in routes):
            return True
        return _project_limits_every_route(self.ctx.project)

    def _lists_limit(self, route: RouteInfo) -> bool:
        """A limiter in ``dependencies=[...]`` of the route or of its router/app."""
        lists = [route.keyword("dependencies")]
        if route.call is not None and isinstance(route.call.func, cst.Attribute):
            receiver = route.call.func.value
            created = self.ctx.facts.assignments.get(receiver.value) if isinstance(receiver, cst.Name) else None
            if isinstance(created, cst.Call):
                arg = keyword(created, "dependencies")
                lists.append(arg.value if arg is not None else None)
        return any(listed is not None and _says_limit(self.ctx.facts.module.code_for_node(listed)) for listed in lists)


def _callee(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.func if isinstance(expr, cst.Call) else expr
