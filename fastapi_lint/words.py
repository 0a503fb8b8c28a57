"""Word lists shared by rules that judge names: secrets and personal data.

A name "says" a word when the word is one of its snake_case/camelCase parts, or a run of
consecutive parts (``api_key`` in ``stripe_api_key``, ``apiKey``, ``APIKEY``), so ``token``
matches ``access_token`` but not ``tokenizer``.
"""
from __future__ import annotations

import re
from functools import lru_cache
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
# `session_id` is not here: `chat_session_id` and most other `*_id` names are identifiers
LOG_SECRET_WORDS: Tuple[str, ...] = SECRET_WORDS + ("authorization", "cookie", "jwt")

# -- the role of a name: does it hold the secret, or something about it? -----------------------
# a part after the secret word that makes the name describe the secret (`token_expires_at`,
# `credential_id_to_delete`, `password_special_chars`); `-ed` participles are states
# (`refresh_token_replaced`, `password_changed`)
DESCRIBING_PARTS: frozenset = frozenset(NOT_SECRET_SUFFIXES) | frozenset({
    "at", "age", "ms", "us", "ns", "sec", "secs", "timeout", "limit", "limits", "size", "usage",
    "budget", "remaining", "used", "left", "penalty", "weight", "score", "ratio", "rate", "keys", "chars",
    "characters", "charset", "alphabet", "method", "methods", "index", "idx", "position", "pos",
    "offset", "state", "version", "kind", "mode", "status", "error", "errors", "exists", "valid",
    "enabled", "disabled", "supported", "allowed", "grant", "kwarg", "kwargs", "param", "arg",
    "label", "map", "mapping", "ids", "counts", "number", "num", "config", "metadata", "meta",
    "dir", "dirs", "directory", "folder", "store", "storage", "cache", "table", "column",
})
# a first part that makes the name a flag (`is_token_valid`, `has_password`, `use_api_key`)
_FLAG_PREFIXES = frozenset({
    "is", "has", "have", "should", "use", "uses", "enable", "enabled", "require", "requires",
    "needs", "can", "allow", "allows", "with", "without", "no", "skip", "did", "was",
})
# a part before the secret word that makes it a count or an LLM/paging token, not a credential
# (`max_tokens`, `prompt_tokens`, `next_page_token`, `continuation_token`, `eos_token`)
_COUNTING_QUALIFIERS = frozenset({"num", "n", "max", "min", "total", "count"})
_TOKEN_QUALIFIERS = frozenset({
    "prompt", "completion", "input", "output", "cached", "reasoning", "normalized", "llm", "page",
    "next", "prev", "previous", "continuation", "cursor", "pagination", "sync", "resume", "delta",
    "lock", "special", "bos", "eos", "pad", "unk", "sep", "cls", "stop", "mask",
})
# a function, class or module about LLM tokenizers or locks (`dump_lock_state`,
# `class VocabTokenizer`, `llm/tokenizers/`): its `token` is a vocabulary entry or a lock's
# owner id, never a credential
_TOKEN_CONTEXT_PARTS = frozenset({
    "tokenizer", "tokenizers", "tokenize", "tokenization", "detokenize", "detokenizer", "vocab",
    "vocabulary", "lock", "locks", "mutex",
})
# `tokens` mostly counts LLM tokens (`cache_read_tokens`, `tokens_for_recent`): plural tokens
# are credentials only with a qualifier that says so
_CREDENTIAL_TOKEN_QUALIFIERS = frozenset({
    "access", "refresh", "auth", "api", "bearer", "session", "reset", "oauth", "oauth2", "id",
    "jwt", "csrf", "device", "personal", "user", "service", "verification", "invite",
    "invitation", "login", "github", "slack", "push", "secret", "security",
})
# `token_key`, `password_key`: the key a value is stored under
_LOOKUP_KEY_WORDS = frozenset({
    "token", "password", "passwd", "pwd", "credential", "credentials", "cookie", "jwt",
})
# words that take an `s` plural as a name part (`passwords`, `api_keys`, `emails`; not `address`)
_PLURAL = re.compile(r"(?:ss|[^s])$")


def _find(parts: Sequence[str], word: str, plurals: bool) -> Optional[Tuple[int, int]]:
    """(start, end) of ``word`` as a run of ``parts`` (`api_key` may be one part `apikey`)."""
    pieces = word.split("_")
    size = len(pieces)
    for start in range(len(parts) - size + 1):
        run = parts[start:start + size]
        if run[:-1] == pieces[:-1] and (
            run[-1] == pieces[-1] or (plurals and _PLURAL.search(pieces[-1]) and run[-1] == pieces[-1] + "s")
        ):
            return start, start + size
    squashed = word.replace("_", "")
    if "_" in word and "".join(parts) == squashed:
        return 0, len(parts)  # `a_pi_key`, spelled with other breaks
    for index, part in enumerate(parts):
        if part == squashed or (plurals and part == squashed + "s"):
            return index, index + 1
    return None


@lru_cache(maxsize=64)
def _longest_first(words: Sequence[str]) -> Tuple[str, ...]:
    return tuple(sorted(words, key=lambda word: -word.count("_")))


@lru_cache(maxsize=8192)
def secret_role(name: str, words: Sequence[str] = SECRET_WORDS, plurals: bool = False,
                describing: Iterable[str] = (), owner: Optional[str] = None) -> Optional[str]:
    """The word of ``words`` that ``name`` holds a value of, else None.

    The word is matched on whole parts (plurals too when ``plurals``) and judged by its role:
    a describing part after it (``DESCRIBING_PARTS``, ``describing``, or an ``-ed`` state), a
    flag prefix before it (``is_``, ``has_``...), a counting qualifier (``max_tokens``), or a
    paging/LLM qualifier of ``token`` (``next_page_token``, ``eos_token``) make the name
    about the value, not the value; so does ``<token>_key`` (the key a token is stored
    under). ``owner`` is the object the name is read from: ``lock.token`` is a lock's token.
    Cached: the arguments must be hashable (tuples, frozensets)."""
    parts = name_parts(name)
    squashed = "".join(parts)
    # the longest word first: `phone_number` is personal data, `phone` + `number` would not be
    for word in _longest_first(words):
        span = _find(parts, word, plurals) if word.replace("_", "") in squashed else None
        if span is not None:
            break
    else:
        return None
    start, end = span
    extra = frozenset(describing)
    for part in parts[end:]:
        if part in DESCRIBING_PARTS or part in extra or (len(part) > 4 and part.endswith("ed")):
            return None
    before = parts[:start]
    if before and before[0] in _FLAG_PREFIXES:
        return None
    if any(part in _COUNTING_QUALIFIERS for part in before):
        return None
    if parts[end:] == ["key"] and word in _LOOKUP_KEY_WORDS:
        return None
    if word.startswith("token") and _TOKEN_QUALIFIERS.intersection(
            before + (name_parts(owner) if owner else [])):
        return None
    if parts[end - 1] == "tokens" and not _CREDENTIAL_TOKEN_QUALIFIERS.intersection(before):
        return None
    return word


def non_credential_token_context(names: Iterable[str]) -> bool:
    """Whether code named by ``names`` (its function, class, module) handles lock or LLM
    tokenizer tokens, so that its `token` names are not credentials."""
    return any(_TOKEN_CONTEXT_PARTS.intersection(name_parts(name)) for name in names)


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


# -- personal data: whose is it? ---------------------------------------------------------------
# an owner or qualifier that is not a person: `repo.full_name`, `group_email`, `team.email`,
# `from_email` (the sender address of the system), `worker.address`
NON_PERSON_PARTS: frozenset = frozenset({
    "group", "groups", "team", "teams", "channel", "list", "mailing", "distribution", "org",
    "organization", "organisation", "company", "repo", "repository", "project", "service",
    "bot", "system", "noreply", "no_reply", "sender", "from", "support", "app", "application",
    "workspace", "server", "worker", "node", "host", "ip", "mac", "bind", "remote", "listen",
    "socket", "network", "wallet", "contract", "peer", "local", "node", "relay", "smtp",
    "mail", "alias", "notifications", "notification", "admin_group", "sender_email",
})
# `address` alone is usually a network or wallet address: personal only when the name or
# its owner says postal or person
_POSTAL_PARTS = frozenset({
    "home", "street", "postal", "mailing", "billing", "shipping", "physical", "residential",
    "user", "customer", "person", "member", "contact", "client", "employee", "patient",
    "profile", "individual", "participant", "buyer", "recipient", "delivery",
})
PII_DESCRIBING_PARTS: frozenset = DESCRIBING_PARTS | frozenset({
    "verified", "confirmed", "sent", "domain", "template", "subject", "body", "updated",
    "required", "provider", "verification", "confirmation", "notifications", "enabled",
})


def _singular(part: str) -> str:
    """``repos`` -> ``repo``, ``repositories`` -> ``repository``; other parts unchanged."""
    if part.endswith("ies") and len(part) > 4:
        return part[:-3] + "y"
    if part.endswith("s") and not part.endswith("ss") and len(part) > 3:
        return part[:-1]
    return part


@lru_cache(maxsize=8192)
def pii_role(name: str, owner: Optional[str] = None, words: Sequence[str] = (),
             plurals: bool = False) -> Optional[str]:
    """The personal-data word of ``words`` (default ``PII_WORDS``) that ``name`` holds for a
    person, else None. ``owner`` is the object the name is read from (``repo`` in
    ``repo.full_name``); an owner or a qualifier saying group, repository, system... is not a
    person."""
    word = secret_role(name, words or PII_WORDS, plurals, PII_DESCRIBING_PARTS)
    if word is None:
        return None
    parts = set(name_parts(name))
    owner_parts = set(name_parts(owner)) if owner else set()
    # a collection of owners is judged as one of them: `repos[0].full_name` is a repo's
    owner_parts |= {_singular(part) for part in owner_parts}
    if (parts | owner_parts) & NON_PERSON_PARTS:
        return None
    if word == "address" and not (parts | owner_parts) & _POSTAL_PARTS:
        return None
    return word
