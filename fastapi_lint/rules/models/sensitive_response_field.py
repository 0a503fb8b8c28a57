from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import libcst as cst

from fastapi_lint.names import keyword
from fastapi_lint.rule import Default, Related, Rule, Severity
from fastapi_lint.rules._text import universal_newlines
from fastapi_lint.project import module_name_for
from fastapi_lint.project.models import MASKED_CLASS, MODELS, Key, ModelIndex, RouteExposure, model_index
from fastapi_lint.rules.models._sensitive import FIELD_WORDS, _NOT_SUFFIXES, _derived
from fastapi_lint.words import name_parts, says_secret
from fastapi_lint.prefilter import lazy_pattern

# In the lowered text, an annotated assignment `name: T` starting a line (or after `;`)
# whose name may hold one of FIELD_WORDS as `says` reads it: a one-part word as spelled, a
# word of several parts with anything but letters and digits (or nothing) between them.
# (Two patterns, each starting with a literal the regex engine can skip to.)
_FIELD_NAME = (
    r"[ \t\f(]*(\w*?(?:"
    + "|".join(
        "[^a-z0-9]*".join(word.replace("_", "")) if "_" in word else word
        for word in sorted(FIELD_WORDS, key=len, reverse=True)
    )
    + r")\w*)(?:[ \t)]|\\\n)*:"
)
_FIELDS = (lazy_pattern("\n" + _FIELD_NAME), lazy_pattern(";" + _FIELD_NAME))
# every class statement's name (a superset of the top-level classes the rule reads)
_CLASS_NAME = lazy_pattern(r"\bclass\s+(\w+)")
# tokens a login/token endpoint issues to their owner: returning them is the point
_ISSUED_TOKENS = frozenset({"access_token", "refresh_token", "id_token"})
# a response model or route named so hands a credential out (`ApiTokenCreatedResponse`,
# `MCPClientRegistrationResponse`, `create_token`, `POST /login`)
_ISSUING_WORDS = frozenset({
    "token", "tokens", "login", "signin", "register", "registration", "signup", "auth", "refresh",
    "session", "create", "created", "issue", "issued", "generate", "generated", "regenerate",
    "rotate", "rotated", "reset", "confirm", "exchange", "callback", "authorize", "credential",
    "credentials", "secret", "key", "keys",
})
# a password the server just made up for its user (`new_password` of a reset response)
_ISSUABLE_PASSWORD_PARTS = frozenset({"new", "temp", "temporary", "generated", "initial", "random", "one"})
# parts of a user's own login password (`password`, `hashed_password`, `password_repeat`):
# any other qualifier names the credential of an integration (`smtp_password`)
_USER_PASSWORD_PARTS = frozenset({
    "password", "passwd", "hashed", "hash", "new", "old", "current", "repeat", "repeated",
    "confirm", "confirmation", "plain", "raw", "user", "account", "temp", "temporary", "initial",
    "generated", "random", "one", "time",
})
# only these hold a credential; a model, list, dict, Literal or bool does not
_STRING_TYPES = frozenset({"builtins.str()", "builtins.bytes()", "pydantic.constr()()", "typing.AnyStr()"})
# serialized as "**********" or not at all
_MASKED_TYPES = frozenset({
    "pydantic.SecretStr()", "pydantic.SecretBytes()", "pydantic.types.SecretStr()",
    "pydantic.types.SecretBytes()",
})
_FIELD_CALLS = ("pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field")


class SensitiveFieldInResponseModel(Rule):
    """
    ## What it does
    Reports a field named like a credential — `password`, `hashed_password`,
    `password_hash`, `secret`, `client_secret`, `token`, `api_key`, `private_key`... — that
    a route sends to its callers. A field reaches a response when a route's
    `response_model=` or return annotation (also inside `List[...]`, `Optional[...]`,
    `Page[...]`) names the model that declares it, a subclass of it, or a model that nests
    it as a field type (`tokens: list[TokenOut]`), any depth, in any module of the project.
    Password and private-key fields are also reported in a model named `*Response`, `*Out`,
    `*Public` or `*Read` that no route is seen returning (seed 001). The finding points at
    the field, in the module that declares it; when another class outputs it (a subclass,
    a model nesting it), that response model is a related location (a note in the text
    output, `related` in JSON, SARIF `relatedLocations`, related information in an editor).

    Only string fields are credentials: `SecretStr`/`SecretBytes` (serialized masked),
    models, lists, `Literal`s, flags, numbers and dates are not. Not reported either:

    - `Field(exclude=True)`, and fields the project fills with a masked value before
      returning them (`View(api_key=mask(key))`, `view.api_key = redact(...)`,
      `secret.get_value(apply_mask=True)`, `Credentials(**masked_mapping)`);
    - values derived from a secret or metadata about one: `masked_*`, `*_masked`,
      `*_display`, `*_hint`, `*_last4`, `*_preview`, `*_meta`, `*_method`, `*_claims`,
      `*_properties`, `*_delete`, `*_at`, `*_id`, `*_count`, `has_*`/`is_*`, pagination
      cursors (`next_token`, `page_token`);
    - credentials a route hands out on purpose: `access_token`/`refresh_token`/`id_token`,
      and any credential of a response or route named for issuing one (`TokenResponse`,
      `ApiKeyCreatedResponse`, `ClientRegistrationResponse`, `create_token`, `POST /login`),
      a route that mints one in its body (`create_access_token(...)`), or a credential
      the caller sent itself (a route parameter or `{placeholder}` of the
      same name); a password only when it is new (`new_password` of a reset response);
    - credentials of integrations in a route guarded by an admin/superuser dependency or
      router (a settings editor round-trips them), and credentials the API documents
      (`Field(description=...)`): a deliberate part of the contract. A user's own password
      or password hash is reported wherever it goes.

    ## Why is this bad?
    Whatever a response model declares is serialized to the client. A password hash or an
    API key in a response is a credential leak to every caller of the endpoint, and to every
    proxy and log on the way.

    ## Example
    ```python
    class UserOut(BaseModel):
        id: int
        email: str
        hashed_password: str

    @router.get("/users/{user_id}", response_model=UserOut)
    def read_user(user_id: int): ...
    ```

    ## Use instead
    ```python
    class UserOut(BaseModel):
        id: int
        email: str

    class UserInDB(UserOut):
        hashed_password: str
    ```

    ## References
    - [FastAPI: Response Model](https://fastapi.tiangolo.com/tutorial/response-model/)
    """

    CODE = "FAPI501"
    NAME = "sensitive-field-in-response-model"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("models", "security")
    CWE = 200
    SEEDS = ("001", "002")
    PROJECT_FACTS = (MODELS,)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # The finding points at the field, in the module that declares it (whichever
        # module makes it a response model).
        text = "\n" + universal_newlines(text)
        lowered = text.lower()
        for pattern in _FIELDS:
            for match in pattern.finditer(lowered):
                if len(lowered) != len(text):
                    return True  # lowering changed the length: positions differ
                # the name as written (`userToken`: parts `user`, `token`), judged as the
                # rule judges it
                if says_secret(text[match.start(1):match.end(1)], FIELD_WORDS, _NOT_SUFFIXES) is not None:
                    return True
        return False

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # a field is reported only in a class some route's response, or a model named like a
        # response, outputs: a module none of whose classes is one has nothing to report
        # (every `class X` of the text, not only the top-level ones the index records)
        if project is None or path is None:
            return True
        if not cls.applies_to(text, options or {}):  # the engine asks this first: the cheap test
            return False
        module = module_name_for(path, project.root)[0]  # as the lint names it
        index = model_index(project)
        return any(index.route_exposures((module, name)) or index.named_exposures((module, name))
                   for name in set(_CLASS_NAME.findall(text)))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # the tracker has pushed the class frame: [module, class] is a top-level class
        if len(self.ctx.frames) != 2:
            return
        fields = list(self._sensitive_fields(node))
        if not fields:
            return
        index = model_index(self.ctx.project)
        key = (self.ctx.facts.module_name, node.name.value)
        routes = index.route_exposures(key)
        named = index.named_exposures(key)
        if MASKED_CLASS + node.name.value in index.masked:
            return  # built from a masked mapping wherever the project builds it
        for target, word, documented in fields:
            name = target.value
            if name in index.masked:
                continue  # the project fills it with a masked value before returning it
            shown_by = [root for root, route in routes if self._leaks(name, word, documented, root, route)]
            if not shown_by and _is_password(word):
                shown_by = named  # seed 001: a *Response/*Out model with a password field
            if not shown_by:
                continue
            related: Tuple[Related, ...] = ()
            if shown_by[0] == node.name.value:
                where = f"response model `{node.name.value}`"
            else:
                where = f"`{node.name.value}`, whose fields response model `{shown_by[0]}` outputs"
                related = self._response_model_site(index, key, shown_by[0], name)
            self.report(target, f"field `{name}` (a {word}) is declared by {where}", related=related)

    def _response_model_site(self, index: ModelIndex, key: Key, model: str, field: str) -> Tuple[Related, ...]:
        """Where the response model that outputs the field is (another class, often another
        module): the note an editor can jump to."""
        root = index.response_model(key, model)
        project = self.ctx.project
        if root is None or project is None:
            return ()
        summary, path = project.modules.get(root[0]), project.path_of(root[0])
        sites = summary.sites.get(MODELS) if summary is not None else None
        if path is None or not isinstance(sites, dict) or root[1] not in sites:
            return ()
        line, column = sites[root[1]]
        return (Related(path, line, column, f"response model `{model}` outputs `{field}`"),)

    @staticmethod
    def _leaks(field: str, word: str, documented: bool, root: str, route: RouteExposure) -> bool:
        """Does ``route``, returning ``root``, send ``field`` to a caller who should not get it?"""
        parts = set(name_parts(field))
        if field in route.params or "{" + field + "}" in route.path:
            return False  # the caller sent it: an echo of what it already has
        if _is_password(word):
            if not parts <= _USER_PASSWORD_PARTS and route.admin:
                return False  # an integration's password in the admin's settings editor
            return not (parts & _ISSUABLE_PASSWORD_PARTS and _issuing(root, route))
        if documented or route.admin:
            return False  # a deliberate part of the API, or the admin's settings editor
        return not (field.lower() in _ISSUED_TOKENS or _issuing(root, route))

    def _sensitive_fields(self, node: cst.ClassDef):
        for stmt in node.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.AnnAssign) or not isinstance(small.target, cst.Name):
                    continue
                name = small.target.value
                word = says_secret(name, FIELD_WORDS, _NOT_SUFFIXES)
                if word is None or _derived(name) or not self._holds_string(small):
                    continue
                field_call = self._field_call(small)
                if field_call is not None and _keyword_true(field_call, "exclude"):
                    continue
                documented = field_call is not None and keyword(field_call, "description") is not None
                yield small.target, word, documented

    def _holds_string(self, field: cst.AnnAssign) -> bool:
        """A plain string field: a masked type, a model, a flag or a date holds no credential."""
        return self.ctx.annotation_type(field.annotation.annotation) in _STRING_TYPES

    def _field_call(self, field: cst.AnnAssign) -> Optional[cst.Call]:
        value = field.value
        if isinstance(value, cst.Call) and self.ctx.resolve(value.func) in _FIELD_CALLS:
            return value
        return None


def _keyword_true(call: cst.Call, name: str) -> bool:
    arg = keyword(call, name)
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _is_password(word: str) -> bool:
    return word in ("password", "passwd", "private_key")


def _issuing(root: str, route: RouteExposure) -> bool:
    """The response hands a credential out: a token/login/creation response or route, or
    a route that mints one (`jwt.create_access_token(...)`)."""
    if route.issues:
        return True
    words = set(name_parts(root)) | set(name_parts(route.name))
    words.update(part for segment in route.path.split("/") if not segment.startswith("{") for part in name_parts(segment))
    return bool(words & _ISSUING_WORDS)
