"""Is a string value a credential, or a name for one? (FAPI305, FAPI601, FAPI501.)

Code that talks about secrets is full of strings that *name* them — dict keys, env-var names,
kwarg names, enum values, OAuth vocabulary, LLM marker tokens — and only some strings that
*are* them. :func:`classify` tells them apart by the value's form and, when given, the name
it is bound to; it never looks at the code around it.
"""
from __future__ import annotations

import enum
import re
from typing import FrozenSet, Optional

from fastapi_lint.words import SECRET_WORDS, name_parts
from fastapi_lint.prefilter import lazy_pattern


class ValueKind(enum.Enum):
    NOT_CREDENTIAL = "not-credential"  # an identifier, a name, a path, a marker...
    PLACEHOLDER = "placeholder"  # a credential, but an obvious development placeholder
    CREDENTIAL = "credential"


# literals in a known key format, wherever they appear
KEY_FORMATS = lazy_pattern(
    r"^(?:sk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}"
    r"|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|xox[bpoas]-[0-9A-Za-z-]{10,}"
    r"|-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
)
# where each alternative of KEY_FORMATS starts (`k_live_` for `sk_live_` and `rk_live_`: each
# substring searched costs a pass over the text)
KEY_STARTS = ("sk-", "k_live_", "k_test_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "AKIA",
              "ASIA", "xox", "-----BEGIN", "eyJ")

# resolved elsewhere: `${VAR}`, `{{ var }}`, `<api-key>`, `%(name)s`, `{name}`, masks `***`,
# LLM markers `[CLS]`
_PLACEHOLDER = lazy_pattern(
    r"^(?:\$\{?[A-Za-z_][\w.:-]*\}?|\{\{.*\}\}|<[^<>]+>|%\([\w.]+\)s|\{[\w.]*\}|\[[^\[\]\s]+\])$")
_URL = lazy_pattern(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PATH = lazy_pattern(r"^(?:~?/|\.\.?/)")
_FILE = lazy_pattern(
    r"^[\w.-]+\.(?:pem|key|crt|cert|cer|pub|json|txt|env|ya?ml|toml|ini|cfg|p12|pfx|jks|der|db)$",
    re.IGNORECASE)
_SNAKE = lazy_pattern(r"^_*[a-z][a-z0-9]*(?:_+[a-z0-9]+)+_*$")
_UPPER_SNAKE = lazy_pattern(r"^_*[A-Z][A-Z0-9]*(?:_+[A-Z0-9]+)+_*$")
_DOTTED = lazy_pattern(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+$")
# HTTP header names: `X-API-Key`, `Api-Key`, `X-Auth-Token`
_HEADER = lazy_pattern(r"^(?:X-[A-Za-z0-9-]+|[A-Z][a-z]+(?:-[A-Z][A-Za-z]*)+)$")
_OAUTH_VOCABULARY: FrozenSet[str] = frozenset({
    "bearer", "basic", "digest", "token", "jwt", "oauth", "oauth2", "refresh_token",
    "access_token", "id_token", "client_credentials", "authorization_code", "implicit",
    "device_code", "api_key", "apikey", "password_grant", "token_type",
})
# parts of a value that make it an obvious development placeholder
_PLACEHOLDER_WORDS: FrozenSet[str] = frozenset({
    "changeme", "changethis", "change", "dummy", "fake", "example", "sample", "placeholder",
    "your", "test", "testing", "dev", "demo", "insecure", "unsafe", "foo", "bar", "baz", "qux",
    "replace", "todo", "fixme", "xxx", "mock", "secret", "secrets", "password", "passwd", "pwd",
    "pass", "supersecret", "mysecret", "topsecret", "letmein", "qwerty", "admin", "minioadmin",
    "hunter", "here", "notsecret", "nosecret", "default",
    # dummy keys of local servers that need none: `api_key="EMPTY"`, `"not-needed"`, `"none"`
    "empty", "none", "null", "nil", "unused", "needed", "notneeded", "noauth", "anonymous",
    "ignored", "local",
})
# words that make even an identifier-shaped value a placeholder: `"your_secret_key_here"`
_PLACEHOLDER_MARKERS: FrozenSet[str] = frozenset({
    "your", "my", "change", "changeme", "changethis", "dummy", "fake", "example", "sample",
    "placeholder", "insecure", "here", "replace", "super", "supersecret", "mysecret", "todo",
    "xxx",
})
# words saying a value is not a real credential at all: a dummy authenticates nothing (unlike
# `changeme` or `secret`, which an app may well verify with)
FAKE_WORDS: FrozenSet[str] = frozenset({"fake", "dummy", "example", "sample", "mock"})
# a password equal to the account it names is a classic default (`postgres`/`postgres`)
_PASSWORD_WORDS: FrozenSet[str] = frozenset({"password", "passwd", "pwd", "pass", "passphrase"})
_SEQUENCES = ("0123456789", "1234567890", "9876543210")
_SECRET_PIECES = tuple(tuple(word.split("_")) for word in SECRET_WORDS)
_SECRET_PIECES_LONGEST = tuple(sorted(_SECRET_PIECES, key=len, reverse=True))
# the parts of secret words as a name spells them: `api`, `key`, `apikey`, `token`...
_SECRET_PARTS: FrozenSet[str] = frozenset(
    {part for pieces in _SECRET_PIECES for part in pieces} | {word.replace("_", "") for word in SECRET_WORDS})
_WORDS = lazy_pattern(r"[a-z]+|[0-9]+")


def key_format(text: str) -> bool:
    """``text`` is in a known credential format (API key, access key, PEM key, JWT)."""
    return KEY_FORMATS.match(text.strip()) is not None


def classify(text: str, target: Optional[str] = None) -> ValueKind:
    """Whether the string ``text``, bound to the name ``target`` (if known), is a credential."""
    text = text.strip()
    if not text:
        return ValueKind.NOT_CREDENTIAL
    if key_format(text):
        return ValueKind.CREDENTIAL
    if _points_elsewhere(text):
        return ValueKind.NOT_CREDENTIAL
    words = _words(text)
    if _fake(words):
        return ValueKind.NOT_CREDENTIAL
    if target is not None and _names_purpose(words, name_parts(target)):
        return ValueKind.NOT_CREDENTIAL
    if _identifier(text) or _oauth_word(text):
        # `"your_secret_key_here"` is shaped like a name but stands in for a secret
        return ValueKind.PLACEHOLDER if _PLACEHOLDER_MARKERS.intersection(words) else ValueKind.NOT_CREDENTIAL
    if target is not None and _repeats(name_parts(text), name_parts(target)):
        # `SECRET = "SECRET"`, `PK_TOKEN = "token"`: the value repeats its name, unless it
        # is a placeholder word (`SECRET_KEY = "secret"`, `password = "password"`)
        if text.isupper() or not all(word in _PLACEHOLDER_WORDS for word in words):
            return ValueKind.NOT_CREDENTIAL
    return ValueKind.PLACEHOLDER if _placeholder(text, words) else ValueKind.CREDENTIAL


def _fake(words) -> bool:
    """`"DummyKey"`, `"fake_token"`, `"example secret"`: words saying fake plus the kind of
    secret it stands in for, nothing else."""
    return bool(words) and bool(FAKE_WORDS.intersection(words)) and all(
        word in FAKE_WORDS or word in _SECRET_PARTS for word in words)


def _names_purpose(words, target_parts) -> bool:
    """The value repeats what its target's final secret word is for:
    `X_CA_SECRET = "x-ca"` names a secret resource, `X_PASSWORD_SECRET_KEY = "password"` an
    entry in one. Not a password repeating its account (`ADMIN_PASSWORD = "admin"`), nor
    the secret word itself (`SECRET_KEY = "secret"`)."""
    if not words:
        return False
    for pieces in _SECRET_PIECES_LONGEST:
        size = len(pieces)
        if len(target_parts) > size and tuple(target_parts[-size:]) == pieces:
            if pieces[-1] in _PASSWORD_WORDS:
                return False
            return set(words) <= set(target_parts[:-size])
    return False


def _repeats(parts, target_parts) -> bool:
    """The value spells its target's whole name, or only the secret word in it: not
    `POSTGRES_PASSWORD = "postgres"`, a default password."""
    if not parts:
        return False
    if parts == target_parts:
        return True
    return set(parts) <= _SECRET_PARTS.intersection(target_parts)


def _points_elsewhere(text: str) -> bool:
    """A template placeholder, URL, path, file name, mask, marker, punctuation or a one- or
    two-character string: text that points at a value or marks something."""
    if len(text) <= 2 or not any(char.isalnum() for char in text) or len(set(text)) == 1:
        return True
    return bool(_PLACEHOLDER.match(text) or _URL.match(text) or _PATH.match(text) or _FILE.match(text))


def _identifier(text: str) -> bool:
    """A snake_case, `UPPER_SNAKE`, dotted or header name: text that names a value."""
    if any(char.isspace() for char in text):
        return False
    return bool(_SNAKE.match(text) or _UPPER_SNAKE.match(text) or _DOTTED.match(text) or _HEADER.match(text))


def _oauth_word(text: str) -> bool:
    return "_".join(name_parts(text)) in _OAUTH_VOCABULARY


def _words(text: str):
    """Lower-case words and digit runs: ``MyPassword123!`` -> my, password, 123."""
    return [word for part in name_parts(text) for word in _WORDS.findall(part)]


def _placeholder(text: str, words) -> bool:
    """An obvious development value: a placeholder word (`changeme`, `dummy`, `secret`...), a
    digit sequence (`123456`), or a value that spells out what it stands for
    (`"onyx-api-key"`, `"local-dev-signing-key"`, `"super secret jwt secret"`)."""
    for word in words:
        if word in _PLACEHOLDER_WORDS:
            return True
        if word.isdigit() and len(word) >= 3 and (
            len(set(word)) == 1 or any(word in sequence for sequence in _SEQUENCES)
        ):
            return True
    for pieces in _SECRET_PIECES:
        size = len(pieces)
        if any(tuple(words[i:i + size]) == pieces for i in range(len(words) - size + 1)):
            return True
    joined = "".join(words)
    return any(word.replace("_", "") in joined for word in ("api_key", "signing_key", "secret", "password"))
