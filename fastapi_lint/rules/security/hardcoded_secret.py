from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Dict, Iterator, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.credentials import FAKE_WORDS, KEY_FORMATS, KEY_STARTS, ValueKind, classify, key_format
from fastapi_lint.names import argument, dotted, iter_params, string_value
from fastapi_lint.prefilter import lazy_pattern, resolvable
from fastapi_lint.project import LazyAst, prefilter_fact
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.project.served import in_script_paths
from fastapi_lint.words import SECRET_WORDS, name_parts, secret_role

# last name parts that say the value is metadata about a secret, not the secret itself
_NOT_SECRET = (
    "audience", "cookie", "param", "parameter", "query", "label", "title", "description",
    "message", "msg", "error", "placeholder", "example", "help", "text", "alias", "kind",
    "mode", "scope", "scopes", "claim", "status", "route", "tag", "tags", "domain", "host",
    "version", "sub", "purpose", "usage", "prompt", "template", "doc", "docs", "detail",
    "samesite", "secure", "httponly", "age",
)
_WORDS = SECRET_WORDS + ("encryption_key", "master_key", "signing_secret")
# a name saying the value stands for a missing or rejected secret: `MISSING_ACCESS_TOKEN`
_STATE_QUALIFIERS = frozenset({
    "missing", "invalid", "expired", "bad", "wrong", "incorrect", "unknown", "empty", "null",
    "none", "revoked", "finished", "blacklisted", "denied",
    # a hash of a password is not the password
    "hashed", "hash",
})
# a name saying its value is for development: reported as a placeholder (a name saying
# fake, `FAKE_WORDS`, holds no credential at all)
_PLACEHOLDER_NAME = frozenset({"demo", "test", "dev"})
_FORMAT_PREFIXES = ("sk-", "k_live_", "k_test_", "gh", "github_pat_", "AKIA", "ASIA", "xox", "-----BEGIN",
                    "eyJ")
_JWT = {"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode",
        "jwt.api_jwt.encode", "jwt.api_jwt.decode"}
_FIELD = {"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field", "pydantic.SecretStr",
          "pydantic.types.SecretStr"}
# env lookups -> the position of their `default` argument
_GETENV = {"os.getenv": 1, "os.environ.get": 1, "os.environ.setdefault": 1,
           "starlette.config.Config()": 2, "decouple.config": 1, "decouple.AutoConfig()": 1}
# -- prefilter ---------------------------------------------------------------------------------
_NON_ASCII = lazy_pattern(r"[^\x00-\x7f]")


def _lowered(text: str) -> str:
    """``text`` in lower case, each character at its place: a non-ASCII character becomes
    `_`, a word character that ``name_parts`` reads as a separator (a regex with ``re.I`` is
    10x slower than one searching this)."""
    return (text if text.isascii() else _NON_ASCII.sub("_", text)).lower()


def _says_pattern(words) -> str:
    """A regex found in the ``_lowered`` text at every name that ``says`` reads as one of
    ``words``: a word with ``_`` matches its letters with any separators between them
    (``says`` also compares the squashed name), a plain word matches as spelled."""
    alternatives = []
    for word in sorted(set(words), key=len, reverse=True):
        if "_" in word:
            alternatives.append("[^a-z0-9]*".join(re.escape(c) for c in word.replace("_", "")))
        else:
            alternatives.append(re.escape(word))
    return "(?:" + "|".join(alternatives) + ")"


# A name saying a secret, then (after the rest of the name, blanks, `)`, comments or line
# continuations) the `=` or `:` of an assignment, annotation, keyword or parameter default.
_BINDING = r"\w*(?:[\s)]|\\\n|#[^\n]*\n)*[=:]"
_NAME_PATTERNS: Dict[Tuple[str, ...], "re.Pattern[str]"] = {}
_SQUASHED_WORDS = tuple((word, word.replace("_", "")) for word in _WORDS)
_GAP = lazy_pattern(r"(?:\s|\\\n|#[^\n]*\n)*")
_STRING_START = lazy_pattern(r"[rRbBuUfF]{0,2}[\"']")
# a dotted name and what follows it: `(` a call (Field, getenv, maybe under an alias), `=`
# another target of a chained assignment, `[` a subscript target of one
_DOTTED = lazy_pattern(r"[^\W\d]\w*(?:(?:\s|\\\n|#[^\n]*\n)*\.(?:\s|\\\n|#[^\n]*\n)*[^\W\d]\w*)*"
                     r"(?:\s|\\\n|#[^\n]*\n)*[(=\[]")
# words that may open the next line of an annotation split inside brackets
_CONTINUING = frozenset({"if", "else", "and", "or", "not", "in", "is", "lambda"})
# a literal in a key format: after its quote, blanks (or escapes: superfluously any hex or
# octal one), then the format spelled out (the rule matches it after stripping blanks)
_KEY_LITERAL = lazy_pattern(
    r"[\"'](?:\s|\\(?:[\nabfnrtv]|x[0-9a-fA-F]{2}|[0-7]{1,3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\}))*"
    + KEY_FORMATS.pattern[1:])
_JWT_CALLS = resolvable(_JWT)


def may_bind_secret(text: str) -> bool:
    """Whether a name saying a secret may be given a literal (or a call: ``Field``/``getenv``
    under any alias) in ``text``."""
    low = _lowered(text)
    # a name says a word when, without its separators (`_`, non-ASCII), it holds it: a
    # cheap search first, the word's pattern only for the words found
    squashed = low.replace("_", "")
    found = tuple(word for word, letters in _SQUASHED_WORDS if letters in squashed)
    if not found:
        return False
    pattern = _NAME_PATTERNS.get(found)
    if pattern is None:
        pattern = _NAME_PATTERNS[found] = re.compile(_says_pattern(found) + _BINDING)
    for match in pattern.finditer(low):
        end = match.end()
        if text[end - 1] == "=":
            if text.startswith("=", end):
                continue  # `==`
            if _value_may_be_literal(text, end):
                return True
        elif _annotation_then_value(text, end):
            return True
    return False


def _value_may_be_literal(text: str, at: int) -> bool:
    """The value starting at ``at`` (after an `=`) is a string, a parenthesized expression, a
    call, or the next target of a chained assignment."""
    at = _GAP.match(text, at).end()
    if at >= len(text):
        return False
    return text[at] == "(" or bool(_STRING_START.match(text, at)) or bool(_DOTTED.match(text, at))


def _annotation_then_value(text: str, at: int) -> bool:
    """After the `:` at ``at - 1``: an annotation followed by `= <value>`. The annotation ends
    at a `,` `;` or closing bracket of its level, or at a line end followed by a new statement
    (inside a parameter list a line end may also continue it)."""
    depth = 0
    last = ":"  # the last significant character
    size = len(text)
    while at < size:
        char = text[at]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return False
            depth -= 1
        elif char == "\"" or char == "'":
            at = _string_end(text, at)
            last = char
            continue
        elif char == "#":
            newline = text.find("\n", at)
            at = size if newline < 0 else newline
            continue
        elif char == "\\":
            at += 2  # a line continuation (or a stray escape: skipped as well)
            continue
        elif char == "\n":
            if depth == 0 and (last.isalnum() or last in "_)]}\"'"):
                following = _GAP.match(text, at).end()
                word = re.match(r"[^\W\d]\w*", text[following:following + 20])
                if word is not None and word.group(0) not in _CONTINUING:
                    return False
        elif char.isspace():
            pass
        elif depth == 0 and char in ",;":
            return False
        elif depth == 0 and char == "=":
            if text.startswith("=", at + 1):
                at += 2
                last = "="
                continue
            return _value_may_be_literal(text, at + 1)
        if not char.isspace():
            last = char
        at += 1
    return False


def _string_end(text: str, at: int) -> int:
    """The index after the string literal whose quote is at ``at``."""
    quote = text[at:at + 3] if text[at:at + 3] in ('"""', "'''") else text[at]
    at += len(quote)
    size = len(text)
    while at < size:
        if text[at] == "\\":
            at += 2
        elif text.startswith(quote, at):
            return at + len(quote)
        elif len(quote) == 1 and text[at] == "\n":
            return at
        else:
            at += 1
    return size


def secret_word(name: str) -> Optional[str]:
    """The secret word in ``name`` unless the name is about a secret rather than one."""
    word = secret_role(name, _WORDS, describing=_NOT_SECRET)
    if word is None:
        return None
    if _STATE_QUALIFIERS.intersection(name_parts(name)):
        return None
    return word


def literal_text(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """The text of ``expr`` when it is a non-blank string literal."""
    text = string_value(expr)
    return text if text is not None and text.strip() else None


# What the project pass's `ast` parse tells the prefilter: whether the module gives a literal
# the rule could judge a credential to a name saying secret (an assignment, an annotated
# one, a keyword argument, a parameter default; the literal itself or a call's argument,
# as `Field(default=...)`/`getenv(..., "...")` give it). A superset of what the rule
# reports by name: names that merely mention a secret word (`token_type="bearer"`,
# `password_field="pwd"`) are most modules the text check lets through.
SECRET_LITERALS = "secret_literals"


def _binds_secret_literal(tree: LazyAst) -> bool:
    return any(_may_be_credential(name, value) for name, value in _named_values(tree))


def _named_values(tree: LazyAst) -> Iterator[Tuple[str, ast.expr]]:
    """(name, value) of every binding the rule judges by name."""
    for node in tree.of_type(ast.Assign, ast.AnnAssign, ast.keyword, ast.FunctionDef, ast.AsyncFunctionDef):
        kind = type(node)
        if kind is ast.keyword:
            if node.arg is not None:  # type: ignore[attr-defined]
                yield node.arg, node.value  # type: ignore[attr-defined]
        elif kind is ast.Assign or kind is ast.AnnAssign:
            value = node.value  # type: ignore[attr-defined]
            if value is None:
                continue
            for target in node.targets if kind is ast.Assign else [node.target]:  # type: ignore[attr-defined]
                if type(target) is ast.Name:
                    yield target.id, value
                elif type(target) is ast.Attribute:
                    yield target.attr, value
        else:
            arguments = node.args  # type: ignore[attr-defined]
            positional = arguments.posonlyargs + arguments.args
            for param, default in zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults):
                yield param.arg, default
            for param, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
                if default is not None:
                    yield param.arg, default


def _may_be_credential(name: str, value: ast.expr) -> bool:
    if secret_word(name) is None or FAKE_WORDS.intersection(name_parts(name)):
        return False
    # the literal, or any literal argument of a call (the rule reads `Field`'s and `getenv`'s)
    literals = [value] if type(value) is not ast.Call else \
        list(value.args) + [k.value for k in value.keywords]  # type: ignore[attr-defined]
    return any(type(literal) is ast.Constant and isinstance(literal.value, str)  # type: ignore[attr-defined]
               and literal.value.strip()  # type: ignore[attr-defined]
               and classify(literal.value, name) is not ValueKind.NOT_CREDENTIAL  # type: ignore[attr-defined]
               for literal in literals)


prefilter_fact(SECRET_LITERALS, tuple(_WORDS) + tuple(w.replace("_", "") for w in _WORDS if "_" in w),
               may_bind_secret, _binds_secret_literal)


class HardcodedSecret(Rule):
    """
    ## What it does
    Reports a string literal that is a credential, assigned to a name, attribute, keyword
    argument, parameter default or pydantic(-settings) field whose name says secret
    (`secret`, `password`, `passwd`, `pwd`, `api_key`/`apiKey`, `token`, `private_key`,
    `client_secret`, `signing_key`, `access_key`, `credential`...), including
    `Field(default="...")` and a literal fallback of `os.getenv("X", "...")`/
    `os.environ.get("X", "...")` or a starlette `Config`/python-decouple `config(...,
    default="...")`; a literal in a known key format anywhere (`sk-...`,
    `sk_live_...`, `ghp_...`, `AKIA...`, `xoxb-...`, a PEM private key, a JWT); and a literal
    passed as the key of `jwt.encode`/`jwt.decode`. The finding points at the assignment
    target, keyword, parameter or field name (at the literal for the last two kinds).

    Obvious development placeholders — `changeme`, `secret`, `password`, `my-secret`,
    `123456`, values that spell out what they stand for (`"local-dev-signing-key"`), or a
    name saying `dev`/`demo`/`test` — are reported at `warning`; other credentials at
    `error`. In files matching `script-paths` (default `scripts/**`, `bin/**`,
    `**/scripts/**`, `**/bin/**`) placeholders are not reported: a script's fill-in slot
    (`API_KEY = "YOUR_API_KEY_HERE"`) is edited by whoever runs it and ships with no
    deployment; real-looking credentials and key formats there stay errors.

    Not reported: names that describe a secret rather than hold one (ending `_type`, `_url`,
    `_name`, `_field`, `algorithm`, `_header`, `_prefix`, `_expire_minutes`, `_audience`,
    `_kwarg`, `_chars`, `token_key`...; `is_*`/`has_*` flags; `MISSING_TOKEN`-style sentinels;
    camelCase `tokenUrl`), and values that name a key rather than hold one: snake_case,
    dotted and `UPPER_SNAKE` identifiers (`"unstructured_api_key"`, `"auth.token"`,
    `"OPENAI_API_KEY"`), values repeating the target's own name (`SECRET = "SECRET"`), OAuth
    vocabulary (`"bearer"`, `"refresh_token"`), header names, URLs, paths and file names,
    one- or two-character strings and punctuation, masks, LLM markers (`"[CLS]"`, `"<unk>"`),
    enum members and `Literal` values, placeholders resolved elsewhere (`"${SECRET_KEY}"`,
    `"{{ token }}"`, `"<api-key>"`), empty strings. Nor what says it is fake: a name with a
    `fake`/`dummy`/`example`/`sample`/`mock` part (`fake_secret_token`), or a value made of
    such words and the secret's kind (`"DummyKey"`, `"dummy-api-key"`) — a dummy
    authenticates nothing. Nor a value repeating what the target's final secret word is for
    (`X_PROXY_CA_SECRET = "x-proxy-ca"` names a secret resource, `X_PASSWORD_SECRET_KEY =
    "password"` an entry in one) — though a password repeating its account
    (`POSTGRES_PASSWORD = "postgres"`) is a default password. Nor a stub handed to a call
    that switches off what it would authenticate (`App(token="xoxb-stub",
    token_verification_enabled=False)`, `AuthSettings(enabled=False, secret="...")`; a real key
    format stays reported), nor a module constant the file only compares against — a
    known-bad default it refuses (`if DEFAULT_CREDENTIAL in (key, secret): ...`). Test files
    are not checked (literal credentials are normal in tests).

    ## Why is this bad?
    A secret in the source is in every clone, fork, backup, CI log and container image of the
    repository, and rotating it needs a code change and a redeploy. Anyone who can read the
    code can sign tokens, call the third-party API or log in (CWE-798).

    ## Example
    ```python
    SECRET_KEY = "my-secret"
    API_KEY = "sk-live-1234567890abcdefghijkl"
    ```

    ## Use instead
    ```python
    class Settings(BaseSettings):
        SECRET_KEY: SecretStr
        API_KEY: SecretStr
    ```

    ## References
    - [FastAPI: Settings and environment variables](https://fastapi.tiangolo.com/advanced/settings/)
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    """

    CODE = "FAPI305"
    NAME = "hardcoded-secret"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 798
    SEEDS = ("000", "001", "002", "003")
    SKIP_TEST_FILES = True

    @classmethod
    def applies_to(cls, text, options) -> bool:
        if may_bind_secret(text):
            return True
        return cls._unnamed_literals(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        named = project.file_fact(path, SECRET_LITERALS) if project is not None else None
        if named is False:  # no literal given to a secret's name: a key format or a jwt key
            return cls._unnamed_literals(text)
        return True

    @staticmethod
    def _unnamed_literals(text: str) -> bool:
        if any(start in text for start in KEY_STARTS) and _KEY_LITERAL.search(text):
            return True
        return _JWT_CALLS(text)  # a literal key of jwt.encode/jwt.decode

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reported: Set[int] = set()  # literals already reported through their name
        self._enum_depth = 0
        self._switched_off: Set[int] = set()  # keyword args of calls that turn their feature off
        # module constants held until the end: one the code only compares against is a
        # known-bad value it refuses (`DEFAULT_CREDENTIAL in (key, secret)`), not a credential
        self._held: Dict[str, Tuple[cst.CSTNode, str, Optional[Severity]]] = {}
        self._compared: Counter[str] = Counter()

    # -- named values ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self._enum_depth or any(_is_enum_base(b.value) for b in node.bases):
            self._enum_depth += 1

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        if self._enum_depth:
            self._enum_depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._named(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and not self._literal_type(node.annotation.annotation):
            self._named(node.target, node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._check(node.keyword, node.keyword.value, node.value, stub=id(node) in self._switched_off)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for operand in (node.left, *(c.comparator for c in node.comparisons)):
            if isinstance(operand, cst.Name):
                self._compared[operand.value] += 1

    def finish(self) -> None:
        for name, (where, message, severity) in self._held.items():
            mentions = len(re.findall(rf"(?<![\w.]){re.escape(name)}(?!\w)", self.ctx.source))
            if not (self._compared[name] and mentions == 1 + self._compared[name]):
                self.report(where, message, severity=severity)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for param in iter_params(node.params):
            if param.default is not None and not (
                param.annotation is not None and self._literal_type(param.annotation.annotation)
            ):
                self._check(param.name, param.name.value, param.default)

    def _literal_type(self, annotation: cst.BaseExpression) -> bool:
        """``Literal["token", ...]`` (maybe in ``Optional``/``Annotated``): its values are
        choices the code names, not secrets."""
        for node in _subscripts(annotation):
            if (self.ctx.resolve(node.value) or "").rsplit(".", 1)[-1] == "Literal":
                return True
        return False

    def _named(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if self._enum_depth and self.ctx.enclosing_class is not None and self.ctx.function_frame is None:
            return  # enum members name things: ErrorCode.BAD_TOKEN = "BAD_TOKEN"
        if isinstance(target, cst.Name):
            self._check(target, target.value, value, constant=len(self.ctx.frames) == 1)
        elif isinstance(target, cst.Attribute):
            self._check(target, target.attr.value, value)

    def _check(self, where: cst.CSTNode, name: str, value: cst.BaseExpression, stub: bool = False,
               constant: bool = False) -> None:
        literal = self._literal_of(value)
        if literal is None or secret_word(name) is None:
            return
        parts = name_parts(name)
        if FAKE_WORDS.intersection(parts):
            return  # `fake_secret_token`, `dummy_password`: says it holds no credential
        text = string_value(literal) or ""
        kind = classify(text, name)
        if kind is ValueKind.NOT_CREDENTIAL:
            return
        self._reported.add(id(literal))
        constant = constant and not key_format(text)  # a real key is a leak wherever it is used
        if stub and not key_format(text):
            return  # `App(token="xoxb-stub", token_verification_enabled=False)`: authenticates nothing
        if kind is ValueKind.PLACEHOLDER and in_script_paths(self.ctx):
            return  # a script's fill-in slot: the person running it edits it, nothing ships it
        if kind is ValueKind.PLACEHOLDER or _PLACEHOLDER_NAME.intersection(parts):
            self._report(where, f"hardcoded placeholder secret in `{name}`: fine for local development "
                                "only; load it from the environment so a deployment cannot run with it",
                         Severity.WARNING, constant)
            return
        self._report(where, f"hardcoded secret in `{name}`: load it from the environment or a secrets "
                            "manager (pydantic-settings `SecretStr` without a default)", None, constant)

    def _report(self, where: cst.CSTNode, message: str, severity: Optional[Severity], constant: bool) -> None:
        if constant and isinstance(where, cst.Name) and where.value not in self._held:
            self._held[where.value] = (where, message, severity)  # a module constant: see finish()
        else:
            self.report(where, message, severity=severity)

    def _literal_of(self, value: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The string literal ``value`` is, or gives as a default/fallback."""
        if literal_text(value) is not None:
            return value
        if not isinstance(value, cst.Call):
            return None
        name = self.ctx.resolve(value.func)
        if name in _FIELD:
            found = argument(value, 0, "default")
        elif name in _GETENV:
            found = argument(value, _GETENV[name], "default")
        else:
            return None
        return found if literal_text(found) is not None else None

    # -- literals by themselves -----------------------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        raw = node.value
        if not any(p in raw for p in _FORMAT_PREFIXES) or id(node) in self._reported:
            return
        text = string_value(node)
        if text is not None and key_format(text):
            self._reported.add(id(node))
            self.report(node, "string literal in a known credential format (API key, access key, "
                              "private key, JWT): load it from the environment or a secrets manager")

    def visit_Call(self, node: cst.Call) -> None:
        if any(_switches_off(arg) for arg in node.args):
            self._switched_off.update(id(arg) for arg in node.args)
        if self.ctx.resolve(node.func) not in _JWT:
            return
        key = argument(node, 1, "key")
        text = literal_text(key)
        if text is None or id(key) in self._reported:
            return
        kind = classify(text)
        if kind is ValueKind.NOT_CREDENTIAL:
            return
        self._reported.add(id(key))
        if kind is ValueKind.PLACEHOLDER and in_script_paths(self.ctx):
            return
        self.report(key, "hardcoded JWT signing key: anyone with the code can forge tokens; "
                         "load it from settings",
                    severity=Severity.WARNING if kind is ValueKind.PLACEHOLDER else None)


def _switches_off(arg: cst.Arg) -> bool:
    """``enabled=False``, ``token_verification_enabled=False``: the call turns off the feature
    its credential would authenticate."""
    keyword = arg.keyword.value if arg.keyword is not None else ""
    parts = name_parts(keyword)
    return bool(parts) and parts[-1] == "enabled" and isinstance(arg.value, cst.Name) and arg.value.value == "False"


def _subscripts(annotation: cst.BaseExpression):
    """The subscripts in an annotation (``Optional[Literal[...]]``, ``Literal[...] | None``)."""
    stack = [annotation]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Subscript):
            yield node
            stack.extend(e.slice.value for e in node.slice if isinstance(e.slice, cst.Index))
        elif isinstance(node, cst.BinaryOperation):
            stack.extend((node.left, node.right))


def _is_enum_base(expr: cst.BaseExpression) -> bool:
    """``Enum``, ``enum.StrEnum``, ``PyEnum`` (an alias), a project ``BaseEnum``: by name."""
    name = (dotted(expr) or "").rsplit(".", 1)[-1]
    return name.endswith("Enum") or name in ("Flag", "IntFlag")
