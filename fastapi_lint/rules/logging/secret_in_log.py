from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from fastapi_lint.names import positional, string_value
from fastapi_lint.prefilter import any_attribute, any_word, says_any
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.logging._calls import log_calls, log_method, may_log
from fastapi_lint.words import LOG_SECRET_WORDS, NOT_SECRET_SUFFIXES, PII_WORDS, name_parts, says_secret

# keyword arguments of logging functions and print that carry no logged value
_CONTROL_KEYWORDS = frozenset({"exc_info", "stack_info", "stacklevel", "sep", "end", "file", "flush"})
# wrappers that log their argument as it is
_TRANSPARENT = frozenset({
    "builtins.str", "builtins.repr", "builtins.dict", "builtins.list", "builtins.vars",
    "json.dumps", "pprint.pformat",
})
_REQUEST_TYPES = frozenset({"fastapi.Request()", "starlette.requests.Request()", "fastapi.requests.Request()"})
_REQUEST_WHOLE_ATTRS = frozenset({"headers", "cookies"})
_REQUEST_BODY_METHODS = frozenset({"body", "json", "form"})
# "address" qualified by these is a network address, not a postal one
_NETWORK = frozenset({"ip", "mac", "host", "server", "bind", "remote", "listen", "socket", "network", "wallet", "contract", "peer", "local"})

# `model_token_limit`, `tokens_used`: counts of LLM tokens, not credentials
_SECRET_NOT_SUFFIXES = NOT_SECRET_SUFFIXES + ("limit", "limits", "size", "usage", "used", "budget", "remaining")
# `email_verified`, `email_template`: about personal data, not personal data
_PII_NOT_SUFFIXES = NOT_SECRET_SUFFIXES + (
    "verified", "confirmed", "enabled", "sent", "domain", "template", "subject", "body",
    "status", "valid", "exists", "changed", "updated", "required",
)

Flagged = Tuple[cst.BaseExpression, str]

_PRINT = any_word(["print"])
_REQUEST_PARTS = any_attribute(_REQUEST_WHOLE_ATTRS | _REQUEST_BODY_METHODS)


def _says_secret_or_pii(text: str, options, lowered: str) -> bool:
    words = LOG_SECRET_WORDS + PII_WORDS + tuple(
        w.lower() for w in (*options.get("extra-secret-words", ()), *options.get("extra-pii-words", ())))
    return says_any(text, words, lowered)


class SecretInLog(Rule):
    """
    ## What it does
    Reports a logging call — `logging.*`, a `logging.getLogger(...)` logger, a structlog or
    loguru logger, any object named `logger`/`log`, or `print` — that logs a value named
    like a secret (`password`, `token`, `api_key`, `secret`, `authorization`, `cookie`,
    `session_id`, `SECRET_KEY`...) or like personal data (`email`, `phone`, `ssn`,
    `credit_card`, `address`, `full_name`...; reported as PII), or the whole request
    headers/cookies/body (`request.headers`, `await request.body()`).

    Logged values are the call's arguments, the expressions interpolated in f-strings,
    `%`-formatting and `.format()`, structlog-style keyword arguments, and the values of
    `extra={...}` dictionaries (judged by their key). Constant text that merely mentions a
    word (`"password changed"`) is not reported. Test files are not checked.

    ## Why is this bad?
    Logs are copied to aggregators, shared with vendors and kept for months, with far wider
    access than the database. A logged password or token is a leaked credential; logged
    personal data is a privacy (GDPR) incident.

    ## Example
    ```python
    logger.info(f"login for {user.email} with token {token}")
    ```

    ## Use instead
    ```python
    logger.info("login", extra={"user_id": user.id})
    ```

    ## Options
    - `extra-secret-words` (list of strings, default `[]`): more words that name a secret.
    - `extra-pii-words` (list of strings, default `[]`): more words that name personal data.

    ```toml
    [tool.fastapi-lint.options.FAPI601]
    extra-secret-words = ["otp"]
    extra-pii-words = ["iban"]
    ```

    ## References
    - [OWASP Logging Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html)
    """

    CODE = "FAPI601"
    NAME = "secret-in-log"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("logging", "security")
    CWE = 532
    SEEDS = ("000", "002")
    SKIP_TEST_FILES = True
    OPTIONS = {"extra-secret-words": [], "extra-pii-words": []}

    @classmethod
    def applies_to(cls, text, options) -> bool:
        lowered = text.lower()
        if not (_PRINT(text) or may_log(text, lowered)):
            return False
        if _REQUEST_PARTS(text):
            return True
        return _says_secret_or_pii(text, options, lowered)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        calls = log_calls(project, path)
        if calls is None:
            return True
        # only the logging and print calls' own text can name what they log
        said = calls[1]
        return bool(said) and (_REQUEST_PARTS(said) or _says_secret_or_pii(
            said, cls.option_defaults() if options is None else options, said.lower()))

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._secret_words = LOG_SECRET_WORDS + tuple(w.lower() for w in options.get("extra-secret-words", ()))
        self._pii_words = PII_WORDS + tuple(w.lower() for w in options.get("extra-pii-words", ()))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._is_log_call(node):
            return
        for expr, message in self._flagged(node):
            self.report(expr, message)

    def _is_log_call(self, node: cst.Call) -> bool:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            return self.ctx.resolve(node.func) == "builtins.print"
        return log_method(self.ctx, node) is not None

    def _flagged(self, node: cst.Call) -> Iterator[Flagged]:
        for arg in node.args:
            key = arg.keyword.value if arg.keyword is not None else None
            if key in _CONTROL_KEYWORDS:
                continue
            if key is not None and key != "extra":
                word = self._secret(key) or self._pii(key)
                if word is not None and not _constant(arg.value):
                    yield arg.value, self._message(arg.value, key)
                    continue
            yield from self._inspect(arg.value)

    def _inspect(self, expr: cst.BaseExpression) -> Iterator[Flagged]:
        if isinstance(expr, cst.FormattedString):
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    yield from self._inspect(part.expression)
        elif isinstance(expr, cst.ConcatenatedString):
            yield from self._inspect(expr.left)
            yield from self._inspect(expr.right)
        elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Modulo, cst.Add)):
            yield from self._inspect(expr.left)
            yield from self._inspect(expr.right)
        elif isinstance(expr, (cst.Tuple, cst.List)):
            for element in expr.elements:
                yield from self._inspect(element.value)
        elif isinstance(expr, cst.Dict):
            yield from self._inspect_dict(expr)
        elif isinstance(expr, cst.Await):
            yield from self._inspect(expr.expression)
        elif isinstance(expr, cst.Call):
            yield from self._inspect_call(expr)
        elif isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
            found = self._judge(expr)
            if found is not None:
                yield expr, found

    def _inspect_dict(self, expr: cst.Dict) -> Iterator[Flagged]:
        for element in expr.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = string_value(element.key)
            if key is not None and (self._secret(key) or self._pii(key)) and not _constant(element.value):
                yield element.value, self._message(element.value, key)
            else:
                yield from self._inspect(element.value)

    def _inspect_call(self, call: cst.Call) -> Iterator[Flagged]:
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value == "format" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
                yield from self._flagged(call)
                return
            if func.attr.value in _REQUEST_BODY_METHODS and self._is_request(func.value):
                yield call, "logs the whole request body; log selected, non-sensitive fields"
                return
            if func.attr.value == "get":
                key = string_value(positional(call, 0).value) if positional(call, 0) else None
                if key is not None:
                    found = self._judge_name(key, call)
                    if found is not None:
                        yield call, found
                return
        if self.ctx.resolve(func) in _TRANSPARENT:
            for arg in call.args:
                yield from self._inspect(arg.value)

    def _judge(self, expr: cst.BaseExpression) -> Optional[str]:
        if (
            isinstance(expr, cst.Attribute)
            and expr.attr.value in _REQUEST_WHOLE_ATTRS
            and self._is_request(expr.value)
        ):
            return f"logs the whole request {expr.attr.value}; they carry credentials and cookies"
        name = _name_of(expr)
        return self._judge_name(name, expr) if name is not None else None

    def _judge_name(self, name: str, expr: cst.BaseExpression) -> Optional[str]:
        if self._secret(name) or self._pii(name):
            return self._message(expr, name)
        return None

    def _message(self, expr: cst.BaseExpression, name: str) -> str:
        text = _short(self.ctx.facts.module.code_for_node(expr))
        secret = self._secret(name)
        if secret is not None:
            return f"logs `{text}`, named like a secret (`{secret}`)"
        return f"logs `{text}`, personal data (PII: `{self._pii(name)}`)"

    def _secret(self, name: str) -> Optional[str]:
        return says_secret(name, self._secret_words, _SECRET_NOT_SUFFIXES)

    def _pii(self, name: str) -> Optional[str]:
        word = says_secret(name, self._pii_words, _PII_NOT_SUFFIXES)
        if word == "address" and _NETWORK.intersection(name_parts(name)):
            return None
        return word

    def _is_request(self, expr: cst.BaseExpression) -> bool:
        if self.ctx.resolve(expr) in _REQUEST_TYPES:
            return True
        return isinstance(expr, cst.Name) and expr.value in ("request", "req")


def _name_of(expr: cst.BaseExpression) -> Optional[str]:
    """The name a logged value goes by: ``password``, ``user.email`` -> ``email``, ``d["token"]``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index):
            return string_value(index.value)
    return None


def _constant(expr: cst.BaseExpression) -> bool:
    """A literal logged under a sensitive key (``password="***"``) discloses nothing."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    return isinstance(expr, cst.Name) and expr.value in ("None", "True", "False")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."
