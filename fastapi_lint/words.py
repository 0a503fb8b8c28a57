"""Word lists shared by rules that judge names: secrets and personal data.

A name "says" a word when the word is one of its snake_case/camelCase parts, or a run of
consecutive parts (``api_key`` in ``stripe_api_key``, ``apiKey``, ``APIKEY``), so ``token``
matches ``access_token`` but not ``tokenizer``.
"""
from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Tuple

SECRET_WORDS: Tuple[str, ...] = (
    "secret", "password", "passwd", "pwd", "api_key", "apikey", "token", "private_key",
    "client_secret", "signing_key", "secret_key", "access_key", "auth_key", "credential",
    "credentials", "passphrase",
)
# names that contain a secret word but hold no secret
NOT_SECRET_SUFFIXES: Tuple[str, ...] = (
    "type", "url", "uri", "name", "field", "algorithm", "header", "prefix", "length", "len",
    "expire", "expires", "expiry", "minutes", "seconds", "hours", "days", "ttl", "lifetime",
    "path", "file", "env", "var", "key_name", "id", "count", "min", "max", "regex", "pattern",
    "endpoint", "scheme", "format", "location", "policy", "strength", "hint", "hash", "hashed",
    "reset", "changed", "required", "validator", "strategy", "class", "cls", "model", "schema",
    "form", "manager", "context", "ctx", "backend", "provider", "service", "transport",
    # prose about a secret: TOKEN_COMMENT = "created by the dev seed"
    "comment", "description", "label", "title", "message", "help", "doc", "docs", "note",
)
PII_WORDS: Tuple[str, ...] = (
    "email", "phone", "phone_number", "ssn", "credit_card", "card_number", "address",
    "full_name", "date_of_birth", "dob",
)
LOG_SECRET_WORDS: Tuple[str, ...] = SECRET_WORDS + (
    "authorization", "cookie", "session_id", "sessionid",
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def name_parts(name: str) -> List[str]:
    """``stripeAPIKey`` -> ``["stripe", "api", "key"]``; ``SECRET_KEY`` -> ``["secret", "key"]``."""
    parts: List[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        if chunk:
            parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return parts


def says(name: str, words: Iterable[str]) -> Optional[str]:
    """The first of ``words`` that ``name`` contains as whole parts, else None."""
    parts = name_parts(name)
    joined = "_" + "_".join(parts) + "_"
    squashed = "".join(parts)
    for word in words:
        if "_" + word + "_" in joined:
            return word
        # "apikey" / "APIKEY" spelled as one part
        if "_" not in word and word in parts:
            return word
        if "_" in word and word.replace("_", "") == squashed:
            return word
    return None


def says_secret(name: str, words: Sequence[str] = SECRET_WORDS,
                not_suffixes: Sequence[str] = NOT_SECRET_SUFFIXES) -> Optional[str]:
    """The secret word ``name`` carries, unless its last part says it is metadata about one."""
    word = says(name, words)
    if word is None:
        return None
    parts = name_parts(name)
    # a name ending with the word itself (`session_id`, `user_session_id`) is the secret
    if "_".join(parts).endswith(word) or "".join(parts).endswith(word):
        return word
    if parts and (parts[-1] in not_suffixes or "_".join(parts[-2:]) in not_suffixes):
        return None
    return word
