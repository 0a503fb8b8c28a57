"""Which model fields hold a credential, as FAPI501 judges them; shared with the model
index (a model "holds a secret" for FAPI201 when one of its fields, any depth, is one)."""
from __future__ import annotations

import ast
from typing import Optional

from fastapi_lint.words import NOT_SECRET_SUFFIXES, name_parts, says_secret

FIELD_WORDS = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "secret_key",
    "client_secret",
)
# `hashed_password`/`password_hash` are exactly what must not be output
_NOT_SUFFIXES = tuple(s for s in NOT_SECRET_SUFFIXES if s not in ("hash", "hashed"))
# a value derived from a secret, or metadata about one (`masked_api_key`, `token_display`,
# `token_endpoint_auth_method`, `id_token_claims`, `next_token`)
_DERIVED_PARTS = frozenset({
    "masked", "mask", "redacted", "obfuscated", "truncated", "display", "hint", "last4",
    "preview", "fingerprint", "next", "cursor", "continuation", "pagination", "previous", "prev",
})
_DERIVED_LAST = frozenset({
    "meta", "metadata", "method", "methods", "claims", "properties", "props", "info", "details",
    "delete", "deleted", "created", "updated", "status", "state", "enabled", "configured", "set",
    "exists", "present", "valid", "scopes", "scope", "usage", "limit", "limits", "settings",
    "config", "ids", "at", "on", "date", "time",
})
_DERIVED_FIRST = frozenset({"has", "is", "can", "should", "needs", "num", "n"})


def _derived(name: str) -> bool:
    """A value derived from a secret or metadata about it, not the secret."""
    parts = name_parts(name)
    return bool(
        _DERIVED_PARTS.intersection(parts)
        or (len(parts) > 1 and (parts[-1] in _DERIVED_LAST or parts[0] in _DERIVED_FIRST))
    )


def sensitive_word(name: str) -> Optional[str]:
    """The credential word a field named ``name`` carries, None when it carries none or
    names a value derived from one (`masked_api_key`, `token_expires_at`)."""
    word = says_secret(name, FIELD_WORDS, _NOT_SUFFIXES)
    return None if word is None or _derived(name) else word


_STRING_NAMES = frozenset({"str", "bytes", "AnyStr", "constr"})
_WRAPPERS = frozenset({"Optional", "Union", "Annotated"})


def _last(expr: ast.expr) -> str:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else ""


def holds_string(annotation: ast.expr) -> bool:
    """A field annotation holding a plain string (``str``, ``Optional[str]``, ``str | None``,
    ``constr(...)``): only those hold a credential (``SecretStr``, models, flags do not)."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return holds_string(annotation.left) or holds_string(annotation.right)
    if isinstance(annotation, ast.Call):
        return _last(annotation.func) == "constr"
    if isinstance(annotation, ast.Subscript):
        wrapper = _last(annotation.value)
        if wrapper not in _WRAPPERS:
            return False
        inner = annotation.slice
        members = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        return any(holds_string(m) for m in (members[:1] if wrapper == "Annotated" else members))
    return _last(annotation) in _STRING_NAMES


def excluded(value: Optional[ast.expr]) -> bool:
    """``Field(exclude=True)``: never serialized."""
    return isinstance(value, ast.Call) and _last(value.func) == "Field" and any(
        k.arg == "exclude" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in value.keywords
    )
