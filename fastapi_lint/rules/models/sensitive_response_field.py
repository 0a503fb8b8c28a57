from __future__ import annotations

import re
from typing import Any, Mapping

import libcst as cst

from fastapi_lint.names import keyword
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import universal_newlines
from fastapi_lint.rules.models._model_index import MODELS, model_index
from fastapi_lint.words import NOT_SECRET_SUFFIXES, name_parts, says_secret

FIELD_WORDS = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "secret_key",
    "client_secret",
)
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
_FIELDS = (re.compile("\n" + _FIELD_NAME), re.compile(";" + _FIELD_NAME))
# `hashed_password`/`password_hash` are exactly what must not be output
_NOT_SUFFIXES = tuple(s for s in NOT_SECRET_SUFFIXES if s not in ("hash", "hashed"))
# tokens a login/token endpoint issues to their owner: returning them is the point
_ISSUED_TOKENS = frozenset({"access_token", "refresh_token", "id_token"})
_TOKEN_FIELDS = frozenset({"token", "auth_token", "jwt", "session_token"})
_ISSUING_MODELS = frozenset({"token", "login", "signin", "register", "signup", "auth", "refresh", "session"})
# serialized as "**********" or not at all
_MASKED_TYPES = frozenset({
    "pydantic.SecretStr()", "pydantic.SecretBytes()", "pydantic.types.SecretStr()",
    "pydantic.types.SecretBytes()", "builtins.bool()", "builtins.int()", "builtins.float()",
    "datetime.datetime()", "datetime.date()", "datetime.timedelta()",
})


class SensitiveFieldInResponseModel(Rule):
    """
    ## What it does
    Reports a field named like a credential — `password`, `hashed_password`,
    `password_hash`, `secret`, `token`, `api_key`, `private_key`... — declared by a pydantic
    model (a subclass of `BaseModel`/`SQLModel`, directly or through project models) whose
    fields reach an API response: the model itself, or a subclass of it in any module of
    the project, is a *response model*.

    A response model is a model used anywhere in the project as a route's `response_model=`
    or return annotation (also inside `List[...]`, `list[...]`, `Optional[...]`,
    `Page[...]`), or a model named `*Response`, `*Out`, `*Public` or `*Read`. The finding
    points at the field, in the module that declares it.

    Not reported: fields excluded from output (`Field(exclude=True)`), `SecretStr`/
    `SecretBytes` fields (serialized masked), `bool`/number/date fields (`has_password:
    bool`), names that are metadata about a secret (`token_type`, `password_updated_at`),
    and the tokens an authentication endpoint issues to its caller (`access_token`,
    `refresh_token`, `id_token`, or a `token` field of a model named like a token, login,
    register or auth response).

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

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # the tracker has pushed the class frame: [module, class] is a top-level class
        if len(self.ctx.frames) != 2:
            return
        fields = list(self._sensitive_fields(node))
        if not fields:
            return
        index = model_index(self.ctx.project)
        exposers = index.exposed_by((self.ctx.facts.module_name, node.name.value))
        for target, word in fields:
            shown_by = [e for e in exposers if not _issued(target.value, e)]
            if not shown_by:
                continue
            if shown_by[0] == node.name.value:
                where = f"response model `{node.name.value}`"
            else:
                where = f"`{node.name.value}`, whose fields response model `{shown_by[0]}` outputs"
            self.report(target, f"field `{target.value}` (a {word}) is declared by {where}")

    def _sensitive_fields(self, node: cst.ClassDef):
        for stmt in node.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    word = says_secret(small.target.value, FIELD_WORDS, _NOT_SUFFIXES)
                    if word is not None and not self._hidden(small):
                        yield small.target, word

    def _hidden(self, field: cst.AnnAssign) -> bool:
        """Excluded from the output, or serialized masked/harmless."""
        if self.ctx.annotation_type(field.annotation.annotation) in _MASKED_TYPES:
            return True
        value = field.value
        if isinstance(value, cst.Call) and self.ctx.resolve(value.func) in (
            "pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field",
        ):
            exclude = keyword(value, "exclude")
            return exclude is not None and isinstance(exclude.value, cst.Name) and exclude.value.value == "True"
        return False


def _issued(field: str, model: str) -> bool:
    """A token the endpoint issues to its caller (``Token.access_token``,
    ``LoginResponse.token``)."""
    if field.lower() in _ISSUED_TOKENS:
        return True
    return field.lower() in _TOKEN_FIELDS and bool(_ISSUING_MODELS.intersection(name_parts(model)))
