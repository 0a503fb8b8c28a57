from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.facts import APP_TYPES, RouteInfo
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._common import RouteBody, RouteBodyRule
from fastapi_lint.words import name_parts

APP_INSTANCES = frozenset(t + "()" for t in APP_TYPES)
_CREATE_PREFIXES = ("create", "add", "register", "new")
# Words naming an action rather than a resource: a POST to `/login` or `/search` creates
# nothing, so 200 is the right answer.
ACTIONS = frozenset({
    "login", "logout", "signin", "signout", "logon", "token", "tokens", "refresh", "auth",
    "authenticate", "authorize", "verify", "verification", "validate", "validation", "check",
    "confirm", "reset", "forgot", "recover", "recovery", "search", "query", "filter", "find",
    "lookup", "send", "resend", "notify", "email", "test", "ping", "echo", "health",
    "callback", "webhook", "webhooks", "hook", "trigger", "run", "execute", "exec", "process",
    "calculate", "compute", "estimate", "predict", "preview", "render", "convert", "parse",
    "analyze", "analyse", "sync", "export", "download", "subscribe", "unsubscribe",
    "activate", "deactivate", "enable", "disable", "start", "stop", "cancel", "approve",
    "reject", "accept", "decline", "join", "leave", "publish", "unpublish", "archive",
    "restore", "retry", "move", "merge", "lock", "unlock", "read", "get", "list", "count",
    "update", "upsert", "set", "change", "batch", "bulk", "ask", "chat", "complete",
    "completion", "completions", "generate", "evaluate", "transition", "revoke", "logs",
    "status", "close", "open", "reopen", "submit", "mark", "assign", "unassign", "invite",
    "like", "unlike", "follow", "unfollow", "vote", "rate", "ack", "acknowledge", "graphql",
    "rpc", "invoke", "call", "predict", "classify", "detect", "translate", "summarize",
    "upload",
})


class CreateWithout201(RouteBodyRule):
    """
    ## What it does
    Reports a `post` route without `status_code=` when its function name starts with
    `create`/`add`/`register`/`new`, or when its path ends in a collection (its last segment
    is not a `{param}`) and neither the function name nor the last path segment names an
    action.

    Action words (the POST performs an operation and creates no resource): `login`,
    `logout`, `token`, `refresh`, `verify`, `validate`, `check`, `confirm`, `reset`,
    `search`, `query`, `send`, `notify`, `callback`, `webhook`, `run`, `execute`,
    `process`, `calculate`, `preview`, `export`, `upload`, `subscribe`, `activate`,
    `cancel`, `approve`, `publish`, `update`, `upsert`, `bulk`, `chat`, `generate`,
    `invite`, `submit`... (see `ACTIONS` in the rule's module). A route path `"/"` on an app
    (not a router) is not a collection.

    Not reported either when the body sets the status itself: `response.status_code = ...`
    or returning a `Response` built with `status_code=`.

    ## Why is this bad?
    FastAPI answers 200 unless told otherwise. A request that creates a resource should
    answer `201 Created`: clients, caches and generated SDKs rely on the status to tell a
    creation from a plain read, and the OpenAPI schema documents the wrong code.

    ## Example
    ```python
    @router.post("/users/")
    async def create_user(user: UserCreate) -> UserPublic:
        return await users.create(user)
    ```

    ## Use instead
    ```python
    @router.post("/users/", status_code=status.HTTP_201_CREATED)
    async def create_user(user: UserCreate) -> UserPublic:
        return await users.create(user)
    ```

    ## References
    - [FastAPI: Response Status Code](https://fastapi.tiangolo.com/tutorial/response-status-code/)
    """

    CODE = "FAPI204"
    NAME = "create-without-201"
    SEVERITY = Severity.INFO
    DEFAULT = Default.ON
    TAGS = ("routes", "api-design")
    SEEDS = ("000", "001", "002")
    TRIGGERS = (".post(", ".api_route(", "add_api_route")

    def wants(self, routes: List[RouteInfo]) -> bool:
        return any(self._creates(route) for route in routes)

    def _creates(self, route: RouteInfo) -> bool:
        if route.methods != ("POST",) or route.keyword("status_code") is not None:
            return False
        name = route.function.name.value.lower()
        if name.startswith(_CREATE_PREFIXES):
            return True
        segment = self._last_segment(route)
        if segment is None or segment.startswith("{"):
            return False
        words = set(name_parts(name)) | set(name_parts(segment))
        return not words & ACTIONS

    def _last_segment(self, route: RouteInfo) -> Optional[str]:
        """The last segment of the prefixed path; None when unknown or the app root."""
        path = route.full_path
        if path is None:
            return None
        segments = [s for s in path.split("/") if s]
        if segments:
            return segments[-1]
        # "/" on a router is the collection it is mounted as; on the app it is the site root
        receiver = route.call.func.value if route.call is not None and isinstance(route.call.func, cst.Attribute) else None
        if receiver is None or self.ctx.resolve(receiver) in APP_INSTANCES or route.receiver == "app":
            return None
        return ""

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        if body.sets_status:
            return
        self.report(
            function.name,
            f"POST route `{function.name.value}` creates a resource but answers 200: "
            "set `status_code=201`",
        )
