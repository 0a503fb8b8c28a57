from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import positional, string_value
from fastapi_lint.prefilter import any_attribute, any_word, lazy_pattern, says_any
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.project.served import SERVED, MainGuardAware, in_migrations, in_script_paths
from fastapi_lint.rules.logging._calls import log_calls, log_method, may_log
from fastapi_lint.rules.logging._masked import UNWRAP_METHODS, is_masked
from fastapi_lint.credentials import ValueKind, classify
from fastapi_lint.words import LOG_SECRET_WORDS, PII_WORDS, non_credential_token_context, pii_role, secret_role

# keyword arguments of logging functions and print that carry no logged value
_CONTROL_KEYWORDS = frozenset({"exc_info", "stack_info", "stacklevel", "sep", "end", "file", "flush"})
# wrappers that log their argument as it is
_TRANSPARENT = frozenset({
    "builtins.str", "builtins.repr", "builtins.dict", "builtins.list", "builtins.vars",
    "builtins.set", "builtins.tuple", "builtins.sorted", "json.dumps", "pprint.pformat",
})
# methods whose result still carries their receiver's text (`email.lower()`, `", ".join(emails)`)
_TEXT_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title", "decode", "encode",
})
# calls and expressions whose value cannot carry the secret (`bool(token)`, `len(password)`)
_OPAQUE_CALLS = frozenset({"builtins.bool", "builtins.len", "builtins.isinstance", "builtins.type",
                           "builtins.id", "builtins.hash"})
_REQUEST_TYPES = frozenset({"fastapi.Request()", "starlette.requests.Request()", "fastapi.requests.Request()"})
_REQUEST_WHOLE_ATTRS = frozenset({"headers", "cookies"})
_REQUEST_BODY_METHODS = frozenset({"body", "json", "form"})
Flagged = Tuple[cst.BaseExpression, str]

_PRINT = any_word(["print"])
_REQUEST_PARTS = any_attribute(_REQUEST_WHOLE_ATTRS | _REQUEST_BODY_METHODS)


def _says_secret_or_pii(text: str, options, lowered: str) -> bool:
    words = LOG_SECRET_WORDS + PII_WORDS + tuple(
        w.lower() for w in (*options.get("extra-secret-words", ()), *options.get("extra-pii-words", ())))
    return says_any(text, words, lowered)


# a string key of a dict display or subscript (`"client_secret":`, `["api_key"] =`)
_STRING_KEY = lazy_pattern(r"""[rRuUbB]?(["'])([^"'\\\n]{1,80})\1\s*[:\]]""")
# the `=` of a binding to a dict display or `dict(...)`, or of an item assignment (`data["k"] =`)
_DICT_BINDING = lazy_pattern(r"=\s*\(?\s*(?:\{|dict\s*\()|\][ \t]*=(?!=)")
_IDENTIFIER = lazy_pattern(r"[A-Za-z_]\w*")
# the keywords of a `dict(...)` call (a superset: up to its first closing parenthesis)
_DICT_CALL = lazy_pattern(r"\bdict\s*\(([^)]*)")


# in the text of a line before such an `=`: the names bound (`a = b = {`, `data[...] =`), not
# attributes (the rule follows plain names only)
_TARGET = lazy_pattern(r"(?<![.\w])([A-Za-z_]\w*)\s*(?:=(?!=)|\[)")
# a string that is not an f-string: its words name nothing the call logs
_PLAIN_STRING = lazy_pattern(r"""(?<![fF\w])[rRbBuU]?("|')(?:\\.|(?!\1)[^\\\n])*\1""")


# a plain string literal that is no key (a dict display's `"token":`, a subscript's
# `["token"]`): its words name nothing the call logs
_MESSAGE = lazy_pattern(r"""(?<![fF\w])[rRbBuU]?("|')(?:\\.|(?!\1)[^\\\n])*\1(?!\s*[:\]])""")
# an f-string on one line: only its holes are code
_F_STRING = lazy_pattern(r"""(?<!\w)(?:[rRbBuU]?[fF]|[fF][rRbBuU])("|')((?:\\.|(?!\1)[^\\\n])*)\1""")
# the call ``.get(`` whose first argument is a key (`headers.get("authorization")`)
_GET_CALL_END = lazy_pattern(r"\bget\s*\(\s*\Z")


def _logged_code(said: str) -> str:
    """The logging calls' text without the words of their messages: plain string literals
    blanked, f-strings reduced to their holes; keys (of dict displays, subscripts and
    ``.get()``) kept, as the rule reads them."""
    said = _F_STRING.sub(lambda m: " ".join(_holes(m.group(2))), said)

    def blank(match: "re.Match[str]") -> str:
        if _GET_CALL_END.search(said, max(0, match.start() - 40), match.start()):
            return match.group()
        return '""'

    return _MESSAGE.sub(blank, said)


def _holes(content: str) -> List[str]:
    """The ``{...}`` parts of an f-string's content (``{{`` is a brace of the text)."""
    holes: List[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(content):
        char = content[index]
        if depth == 0 and content.startswith(("{{", "}}"), index):
            index += 2
            continue
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                holes.append(content[start:index + 1])
        index += 1
    if depth:
        holes.append(content[start:])  # unbalanced: keep the rest
    return holes


def _dict_targets(text: str) -> Set[str]:
    """A superset of the plain names bound to a dict or given an item."""
    names: Set[str] = set()
    for match in _DICT_BINDING.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        head = text[start:match.start()] + ("=" if match.group(0).startswith("=") else "[")
        names.update(_TARGET.findall(head))
    return names


def _may_log_secret_dict(text: str, said: str, options) -> bool:
    """A variable the logging calls name may be a local dict holding a secret key: the file
    binds that name to a dict (or sets an item of it) and has a key or ``dict(...)``
    keyword saying secret."""
    words = LOG_SECRET_WORDS + tuple(w.lower() for w in options.get("extra-secret-words", ()))
    if not says_any(text, words):
        return False
    if not _dict_targets(text).intersection(_IDENTIFIER.findall(_PLAIN_STRING.sub('""', said))):
        return False
    if any(says_any(match.group(1), words) for match in _DICT_CALL.finditer(text)):
        return True
    return any(says_any(match.group(2), words) for match in _STRING_KEY.finditer(text))


class SecretInLog(MainGuardAware, Rule):
    """
    ## What it does
    Reports a logging call — `logging.*`, a `logging.getLogger(...)` logger, a structlog or
    loguru logger, any object named `logger`/`log`, or `print` — that logs a value named
    like a secret (`password`, `token`, `jwt`, `api_key`, `secret`, `authorization`,
    `cookie`, `credential`, `SECRET_KEY`, plurals such as `passwords`...) or like personal
    data of a person (`email`/`emails`, `phone`, `ssn`, `credit_card`, `address`,
    `full_name`...; reported as PII), the whole request headers/cookies/body
    (`request.headers`, `await request.body()`), the headers of an outbound request
    (`response.request.headers`), or a local dict that holds a secret
    (`data = {"client_secret": ...}` then `logger.debug(data)`).

    Logged values are the call's arguments, the expressions interpolated in f-strings,
    `%`-formatting and `.format()`, both sides of `a or b` and `x if c else y`, joined and
    lower-cased text (`", ".join(emails)`, `email.lower()`), structlog-style keyword
    arguments, and the values of `extra={...}` dictionaries (judged by their key).

    Names are judged by their role, on whole words: identifiers and counters are not
    secrets (`chat_session_id`, `credential_id`, `token_count`, `max_tokens`,
    `token_expires_at`, `token_penalty`, `is_token_valid`, `page_token`,
    `continuation_token`, `token_key`, LLM `tokens`, the `token` of code named for locks or
    LLM tokenizers: `dump_lock_state`, `class VocabTokenizer`), nor are values that cannot carry one
    (`bool(token)`, `len(password)`), module constants holding a name (`SECRET_ENV =
    "APP_SECRET"`), or values masked by pydantic (a name bound to `SecretStr(...)`, a
    parameter or field annotated `SecretStr`/`SecretBytes`, `Optional` too: they print as
    `**********`) unless the call unwraps them (`token.get_secret_value()`).
    `full_name`/`email`/`address` of a non-person are not PII (`repo.full_name`,
    `repos[0].full_name`, `group_email`, `team.email`, `from_email`, `worker.address`).
    Constant text that merely mentions a word (`"password changed"`) is not reported. Test
    files are not checked, nor `print` in command-line code — files matching `script-paths`
    (default `scripts/**`, `bin/**`...), code under `if __name__ == "__main__":` and functions
    only reached from there or from typer/click commands (see "served code"): it prints to
    the operator who runs it (a seed script's `.env` lines, a cleanup script's list of
    affected users). Logging calls there are still checked, and so is `print` in migrations
    (`alembic/`, `migrations/`: they run on every deploy, their output is in its logs).

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
    PROJECT_FACTS = (SERVED,)

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
        options = cls.option_defaults() if options is None else options
        # the logging and print calls' own text names what they log, unless they log a local
        # dict that holds a secret under a key named in the file's text
        said = calls[1]
        if not said:
            return False
        if _REQUEST_PARTS(said):
            return True
        # what the calls log is code: names, attributes, keywords, holes, keys; a message's
        # words (`"Token refreshed for %s"`) are never judged
        code = _logged_code(said)
        if _says_secret_or_pii(code, options, code.lower()):
            return True
        return _may_log_secret_dict(text, said, options)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._secret_words = LOG_SECRET_WORDS + tuple(w.lower() for w in options.get("extra-secret-words", ()))
        self._pii_words = PII_WORDS + tuple(w.lower() for w in options.get("extra-pii-words", ()))
        # (function, local name) -> the secret key of the dict literal bound to that name:
        # `data = {"client_secret": ...}` then `logger.debug(data)`
        self._secret_dicts: Dict[Tuple[int, str], str] = {}

    # -- local dicts that hold secrets ------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        function = self.ctx.current_function
        if function is None:
            return
        for target in node.targets:
            key = None
            name = target.target
            if isinstance(name, cst.Name):
                key = self._secret_key_of(node.value)
            elif isinstance(name, cst.Subscript) and isinstance(name.value, cst.Name) and len(name.slice) == 1:
                index = name.slice[0].slice
                text = string_value(index.value) if isinstance(index, cst.Index) else None
                key = text if text is not None and self._secret(text) and not _constant(node.value) else None
                name = name.value
            if key is not None and isinstance(name, cst.Name):
                self._secret_dicts[(id(function), name.value)] = key

    def _secret_key_of(self, value: cst.BaseExpression) -> Optional[str]:
        """The first secret key of a dict literal or ``dict(...)`` call with a non-constant value."""
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key)
                    if key is not None and self._secret(key) and not _constant(element.value):
                        return key
        elif isinstance(value, cst.Call) and self.ctx.resolve(value.func) == "builtins.dict":
            for arg in value.args:
                if arg.keyword is not None and self._secret(arg.keyword.value) and not _constant(arg.value):
                    return arg.keyword.value
        return None

    # -- logging calls --------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        is_print = isinstance(node.func, cst.Name) and node.func.value == "print"
        if not (self.ctx.resolve(node.func) == "builtins.print" if is_print else log_method(self.ctx, node)):
            return
        flagged = list(self._flagged(node))
        # command-line code prints to the operator who runs it (a seed script's `.env` lines,
        # an eval CLI echoing its arguments): output, not a log; a migration's goes to the
        # deploy's logs
        if flagged and is_print and (in_script_paths(self.ctx) or not self.in_served_code()) \
                and not in_migrations(self.ctx):
            return
        for expr, message in flagged:
            self.report(expr, message)

    def _flagged(self, node: cst.Call) -> Iterator[Flagged]:
        for arg in node.args:
            key = arg.keyword.value if arg.keyword is not None else None
            if key in _CONTROL_KEYWORDS:
                continue
            if key is not None and key != "extra":
                if self._sensitive(key) and not _constant(arg.value) and not self._opaque(arg.value):
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
        elif isinstance(expr, cst.BooleanOperation):
            # `user_email or "anonymous"` logs the email when there is one
            yield from self._inspect(expr.left)
            yield from self._inspect(expr.right)
        elif isinstance(expr, cst.IfExp):
            yield from self._inspect(expr.body)
            yield from self._inspect(expr.orelse)
        elif isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
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
            if key is not None and self._sensitive(key) and not _constant(element.value) \
                    and not self._opaque(element.value):
                yield element.value, self._message(element.value, key)
            else:
                yield from self._inspect(element.value)

    def _inspect_call(self, call: cst.Call) -> Iterator[Flagged]:
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
                yield from self._flagged(call)
                return
            if method in _REQUEST_BODY_METHODS and self._is_request(func.value):
                yield call, "logs the whole request body; log selected, non-sensitive fields"
                return
            if method == "get":
                key = string_value(positional(call, 0).value) if positional(call, 0) else None
                if key is not None:
                    found = self._judge_name(key, call, _name_of(func.value))
                    if found is not None:
                        yield call, found
                return
            if method == "join" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
                for arg in call.args:
                    yield from self._inspect(arg.value)
                return
            if method in _TEXT_METHODS:
                yield from self._inspect(func.value)
                return
            if method in UNWRAP_METHODS:
                # `token.get_secret_value()`: the masked secret, unwrapped
                found = self._judge(func.value, unwrapped=True)
                if found is not None:
                    yield call, found
                return
        if self.ctx.resolve(func) in _TRANSPARENT:
            for arg in call.args:
                yield from self._inspect(arg.value)

    def _judge(self, expr: cst.BaseExpression, unwrapped: bool = False) -> Optional[str]:
        if not unwrapped and is_masked(self.ctx, expr):
            return None  # a `SecretStr` prints as `**********`
        if (
            isinstance(expr, cst.Attribute)
            and expr.attr.value in _REQUEST_WHOLE_ATTRS
            and self._is_request(expr.value)
        ):
            if isinstance(expr.value, cst.Attribute):
                owner = _short(self.ctx.facts.module.code_for_node(expr.value))
                return (f"logs all {expr.attr.value} of `{owner}`; they may carry its credentials "
                        "(Authorization, API keys)")
            return f"logs the whole request {expr.attr.value}; they carry credentials and cookies"
        if isinstance(expr, cst.Name):
            function = self.ctx.current_function
            key = self._secret_dicts.get((id(function), expr.value)) if function is not None else None
            if key is not None:
                return f"logs `{expr.value}`, which holds `{key}`; log selected, non-sensitive fields"
            if self._code_constant(expr):
                return None
        name = _name_of(expr)
        if name is None:
            return None
        owner = _owner_of(expr.value) if isinstance(expr, (cst.Attribute, cst.Subscript)) else None
        return self._judge_name(name, expr, owner)

    def _code_constant(self, expr: cst.Name) -> bool:
        """A module constant holding a literal that is not a credential (`WEBHOOK_SECRET_ENV`
        = "APP_WEBHOOK_SECRET"): constant text, not a logged secret."""
        if not expr.value.isupper():
            return False
        value = self.ctx.constant(expr)
        text = string_value(value) if value is not expr else None
        return text is not None and classify(text, expr.value) is ValueKind.NOT_CREDENTIAL

    def _judge_name(self, name: str, expr: cst.BaseExpression, owner: Optional[str] = None) -> Optional[str]:
        if self._sensitive(name, owner):
            return self._message(expr, name, owner)
        return None

    def _sensitive(self, name: str, owner: Optional[str] = None) -> bool:
        return self._secret(name, owner) is not None or self._pii(name, owner) is not None

    def _message(self, expr: cst.BaseExpression, name: str, owner: Optional[str] = None) -> str:
        text = _short(self.ctx.facts.module.code_for_node(expr))
        secret = self._secret(name, owner)
        if secret is not None:
            return f"logs `{text}`, named like a secret (`{secret}`)"
        return f"logs `{text}`, personal data (PII: `{self._pii(name, owner)}`)"

    def _secret(self, name: str, owner: Optional[str] = None) -> Optional[str]:
        word = secret_role(name, self._secret_words, plurals=True, owner=owner)
        if word in ("token", "tokens") and self._in_token_context():
            return None  # a lock's owner id, a tokenizer's vocabulary entry
        return word

    def _in_token_context(self) -> bool:
        names = [self.ctx.facts.module_name]
        names.extend(frame.node.name.value for frame in self.ctx.frames
                     if isinstance(frame.node, (cst.FunctionDef, cst.ClassDef)))
        return non_credential_token_context(names)

    def _pii(self, name: str, owner: Optional[str] = None) -> Optional[str]:
        return pii_role(name, owner, self._pii_words, plurals=True)

    def _opaque(self, expr: cst.BaseExpression) -> bool:
        """A value derived from the secret that cannot carry it: ``bool(token)``, ``len(...)``,
        a comparison, ``not token``."""
        if isinstance(expr, (cst.Comparison, cst.UnaryOperation)):
            return True
        if is_masked(self.ctx, expr):
            return True  # `token=SecretStr(raw)`: prints as `**********`
        return isinstance(expr, cst.Call) and self.ctx.resolve(expr.func) in _OPAQUE_CALLS

    def _is_request(self, expr: cst.BaseExpression) -> bool:
        if self.ctx.resolve(expr) in _REQUEST_TYPES:
            return True
        if isinstance(expr, cst.Attribute):
            # `response.request.headers`: the outbound request an HTTP client sent
            return expr.attr.value in ("request", "req")
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


def _owner_of(expr: cst.BaseExpression) -> Optional[str]:
    """The object a value is read from: ``repo`` in ``repo.full_name``; through an index or a
    call to the collection or function that names it (``repos[0].full_name`` -> ``repos``,
    ``get_repo().full_name`` -> ``get_repo``); a string key names it (``data["user"]``)."""
    while True:
        if isinstance(expr, cst.Subscript):
            name = _name_of(expr)
            if name is not None:
                return name
            expr = expr.value
        elif isinstance(expr, cst.Call):
            expr = expr.func
        else:
            return _name_of(expr)


def _constant(expr: cst.BaseExpression) -> bool:
    """A literal logged under a sensitive key (``password="***"``) discloses nothing."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    return isinstance(expr, cst.Name) and expr.value in ("None", "True", "False")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."
