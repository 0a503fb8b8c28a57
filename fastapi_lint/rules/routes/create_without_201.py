from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.names import iter_params
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._common import RouteBody, RouteBodyRule, is_response_object
from fastapi_lint.words import name_parts

_IRREGULAR_PLURALS = frozenset({"people", "children", "men", "women", "media", "criteria"})
_CREATE_PREFIXES = frozenset({"create", "add", "register", "new"})
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
    "upload", "action", "actions", "interaction", "interactions", "command", "commands", "menu",
    "slack", "clean", "cleanup", "purge", "prune", "scan", "rescan", "reindex", "rebuild", "save",
    "migrate", "import", "backup", "deletion", "attempt", "attempts", "task", "tasks", "job",
    "seed", "portal", "block", "unblock", "ban", "unban", "mute", "unmute", "pin", "unpin",
    "grant", "deny", "pause", "resume", "suspend", "reinstate", "refund", "refunds", "duplicate",
    "clone", "copy", "reorder", "sort", "dismiss", "snooze", "toggle", "claim", "release",
})
# nouns among ACTIONS: `create_token`, `create_webhook`, `add_command` do create one
_RESOURCE_NOUNS = frozenset({
    "token", "tokens", "email", "hook", "webhook", "webhooks", "command", "commands", "action",
    "actions", "interaction", "interactions", "menu", "logs", "status", "slack", "callback",
    "query", "filter", "backup", "job", "task", "tasks", "import", "list", "count", "set", "rate",
    "vote", "like", "call", "menu", "action", "change", "check", "ping", "test", "chat",
})
# plural in form, one thing in meaning: the attribute set of a resource
# (`/integrations/{id}/credentials`, `/users/me/preferences`); setting it is an update
_ATTRIBUTE_SETS = frozenset({
    "credentials", "settings", "preferences", "permissions", "options", "details", "defaults",
    "stats", "statistics", "metrics", "analytics", "contents", "specs", "params", "parameters",
    "properties", "attributes", "limits", "quotas", "scopes", "headers", "metadata", "news",
})
# what a response model's name ends with after its subject (`DomainsResponse`, `UsersOut`)
_MODEL_SUFFIXES = frozenset({"response", "out", "read", "public", "schema", "model", "result", "dto"})
# `add_recipe_to_list` on `/lists/{id}/recipe/{recipe_id}`: puts into an existing resource
_INTO = frozenset({"to", "into"})


def _is_collection(segment: str) -> bool:
    """A plural noun (`users`, `api-keys`, `entries`): `{param}`s, `sum`, `data`, `form` are not."""
    if segment.startswith("{"):
        return False
    words = name_parts(segment)
    last = words[-1] if words else ""
    if last in _ATTRIBUTE_SETS:
        return False
    return last in _IRREGULAR_PLURALS or (
        len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is"))
    )


def _receives_webhook(route: RouteInfo) -> bool:
    """A parameter carries the sender's signature (`x_hub_signature_256`, `stripe_signature`,
    `x_slack_signature`): a webhook receiver, which answers what its sender expects."""
    return any("signature" in name_parts(p.name.value) for p in iter_params(route.function.params))


class CreateWithout201(RouteBodyRule):
    """
    ## What it does
    Reports a `post` route without `status_code=` when its function name starts with
    `create`/`add`/`register`/`new`, or when its path ends in a collection and neither the
    function name nor the last path segment names an action. A collection is a last path
    segment that is not a `{param}` and reads as a plural noun (`/users`, `/api/markets`,
    `/items/`, `/api-keys`): RPC-style endpoints such as `/sum`, `/data` or `/form` are not
    resources, and a router's bare `"/"` is named by an `include_router` prefix the rule
    cannot see.

    Action words (the POST performs an operation and creates no resource): `login`,
    `logout`, `token`, `refresh`, `verify`, `validate`, `check`, `confirm`, `reset`,
    `search`, `query`, `send`, `notify`, `callback`, `webhook`, `run`, `execute`,
    `process`, `calculate`, `preview`, `export`, `upload`, `subscribe`, `activate`,
    `cancel`, `approve`, `publish`, `update`, `upsert`, `bulk`, `chat`, `generate`,
    `invite`, `submit`, `clean`, `save`, `import`... (see `ACTIONS` in the rule's module).

    A plural word naming the attribute set of one resource (`/credentials`, `/settings`,
    `/preferences`, `/permissions`, `/metadata`...) is no collection: setting it is an
    update. A webhook receiver (a parameter carrying the sender's signature:
    `x_hub_signature_256`, `stripe_signature`) answers what its sender expects.

    A POST to a collection annotated to answer with many things (`-> list[Record]`, a model
    named for a plural: `-> DnsRecordsResponse`) computes or lists them; a creation answers
    with the one resource it created.

    An RPC-style path whose last segment starts with such a verb (`/create-chat-session`,
    `/add-checkpoint`) is not a collection either: 201 is a REST convention.

    A `create`/`add`/`register`/`new` name is not reported when the word after the prefix
    or the last word names an operation rather than a resource (`create_upload_files`,
    `create_deletion_attempt`), or when it adds something *to* a resource the path identifies
    (`add_recipe_to_list` on `/lists/{id}/recipe/{recipe_id}`).

    Not reported either when the body sets the status itself: `response.status_code = ...`,
    or every value it returns is a `Response` it builds (also a route annotated to return
    one): the decorator's `status_code=` would not apply. A route that calls nothing but
    builtins (`return {"size": len(file)}`, `return item`) stores nothing, so it creates
    nothing either.

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

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, ("post", "api_route"))  # add_api_route passes too

    def wants(self, routes: List[RouteInfo]) -> bool:
        return any(self._creates(route) for route in routes)

    def _creates(self, route: RouteInfo) -> bool:
        if route.methods != ("POST",) or route.keyword("status_code") is not None:
            return False
        if self._answers_itself(route) or _receives_webhook(route):
            return False
        name = route.function.name.value
        parts = name_parts(name)
        segment = self._last_segment(route)
        if segment is not None and len(name_parts(segment)) > 1 and name_parts(segment)[0] in _CREATE_PREFIXES:
            return False  # RPC style (`/create-chat-session`): a verb in the path, not a collection
        if parts and parts[0] in _CREATE_PREFIXES:
            operations = ACTIONS - _RESOURCE_NOUNS
            # the verb right after the prefix or the head noun at the end names an operation:
            # `create_upload_files`, `create_deletion_attempt` (not `create_new_chat_session`)
            if len(parts) > 1 and (parts[1] in operations or parts[-1] in operations):
                return False
            return not (set(parts) & _INTO and segment is not None and segment.startswith("{"))
        if segment is None or not _is_collection(segment) or self._answers_collection(route):
            return False
        words = set(name_parts(name)) | set(name_parts(segment))
        return not words & ACTIONS

    def _answers_collection(self, route: RouteInfo) -> bool:
        """Annotated to answer with many things (`-> list[Record]`, `-> DnsRecordsResponse`):
        a POST to a collection that computes or lists, not one that creates a resource
        (which answers with that resource)."""
        returns = route.function.returns
        if returns is None:
            return False
        annotation = returns.annotation
        if isinstance(annotation, cst.Subscript):
            head = self.ctx.resolve(annotation.value) or ""
            return head.rsplit(".", 1)[-1] in ("list", "List", "Sequence", "tuple", "Tuple", "set", "Set")
        if not isinstance(annotation, (cst.Name, cst.Attribute)):
            return False
        parts = name_parts(annotation.value if isinstance(annotation, cst.Name) else annotation.attr.value)
        while len(parts) > 1 and parts[-1] in _MODEL_SUFFIXES:
            parts = parts[:-1]
        return bool(parts) and _is_collection(parts[-1])

    def _answers_itself(self, route: RouteInfo) -> bool:
        """Annotated to return a Response: the body builds the answer and its status."""
        returns = route.function.returns
        if returns is None:
            return False
        # a Starlette Response class, not a pydantic model named `CreatedTokenResponse`
        return is_response_object((self.ctx.resolve(returns.annotation) or "") + "()")

    @staticmethod
    def _last_segment(route: RouteInfo) -> Optional[str]:
        """The last segment of the prefixed path; None when it is not a literal or is empty
        (a router's "/" is named by an ``include_router`` prefix this rule cannot see)."""
        path = route.full_path
        segments = [s for s in path.split("/") if s] if path is not None else []
        return segments[-1] if segments else None

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        if body.sets_status or (body.returns_value and body.all_responses):
            return  # the body sets the status, or answers with Response objects it builds
        if not body.effects:
            return  # answers from its inputs alone (`return {"size": len(file)}`): creates nothing
        self.report(
            function.name,
            f"POST route `{function.name.value}` creates a resource but answers 200: "
            "set `status_code=201`",
        )
