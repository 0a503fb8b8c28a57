from __future__ import annotations

from typing import Iterator, Optional, Set

import libcst as cst

from fastapi_lint.names import argument, keyword, string_value
from fastapi_lint.prefilter import lazy_pattern, resolvable, says_any
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.words import says

_FAST_DIGESTS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
                 "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s")
_BROKEN = ("md5", "sha1")
_HASHLIB = {f"hashlib.{d}": d for d in _FAST_DIGESTS}
_HMAC = {"hmac.new", "hmac.digest", "hmac.HMAC"}
PASSWORD_WORDS = ("password", "passwd", "pwd", "passphrase", "pass_word")
# Prefilter: a digest or hmac call (a hash object's `.update` needs one too), and a name
# saying password or a broken digest (`_digest_name` drops `-`)
_DIGEST_CALLS = resolvable((*_HASHLIB, *_HMAC, "hashlib.new"))
_BROKEN_DIGEST = lazy_pattern("|".join("-*".join(d) for d in _BROKEN))  # in the lower-cased text


class WeakPasswordHash(Rule):
    """
    ## What it does
    Reports a fast digest — `hashlib.md5/sha1/sha224/sha256/sha384/sha512/sha3_*/blake2*`,
    `hashlib.new(name, ...)`, `hmac.new(..., digestmod=...)`, or `.update(...)` on such a
    hash object — applied to a value named like a password (`password`, `passwd`, `pwd`,
    `passphrase`, e.g. `password.encode()` or `user.password`). Severity error.

    Plain MD5/SHA-1 used on anything else is reported too, as RULES asks ("warning unless
    `usedforsecurity=False`"): those findings carry severity `warning`, and passing
    `usedforsecurity=False` (Python 3.9+) marks a non-security use (ETags, cache keys) and
    silences them. So does cutting the digest to a prefix (`sha1(path).hexdigest()[:8]`): a
    few characters of a digest name a file, a mount or a cache entry, they protect nothing.

    ## Why is this bad?
    General-purpose digests are built to be fast: a GPU tries billions of candidate passwords
    per second against a leaked MD5/SHA-256 hash, salted or not. Password storage needs a slow,
    memory-hard KDF — bcrypt, scrypt, argon2 or PBKDF2 with many iterations (CWE-916). MD5 and
    SHA-1 are also broken for collision resistance, so signatures or integrity checks built on
    them can be forged.

    ## Example
    ```python
    hashed = hashlib.md5(password.encode()).hexdigest()
    ```

    ## Use instead
    ```python
    from passlib.context import CryptContext

    pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")
    hashed = pwd_context.hash(password)
    ```

    ## References
    - [OWASP Password Storage Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html)
    - [CWE-916: Use of Password Hash With Insufficient Computational Effort](https://cwe.mitre.org/data/definitions/916.html)
    """

    CODE = "FAPI307"
    NAME = "weak-password-hash"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 916
    SEEDS = ("001", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        if not _DIGEST_CALLS(text):
            return False
        low = text.lower()
        return _BROKEN_DIGEST.search(low) is not None or says_any(text, PASSWORD_WORDS, low)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # digest calls whose output is cut to a prefix: identifiers, not security uses
        self._truncated: Set[int] = set()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # `<hash call>.hexdigest()[:8]`: visited before the hash call inside it
        digest = node.value
        if isinstance(digest, cst.Call) and isinstance(digest.func, cst.Attribute) \
                and digest.func.attr.value in ("hexdigest", "digest") and _is_prefix(node):
            self._truncated.add(id(digest.func.value))

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.resolve(node.func)
        if name is None:
            return
        digest = self._digest(name, node)
        if digest is None:
            return
        data = _hashed_data(name, node)
        if data is not None and _mentions_password(data):
            self.report(node, f"`{digest}` is a fast hash, unfit for passwords: hash them with "
                              "bcrypt/argon2/scrypt (e.g. passlib `CryptContext`)")
        elif digest in _BROKEN and not name.endswith(").update") and not _not_for_security(node) \
                and id(node) not in self._truncated:
            self.report(node, f"`{digest}` is broken for security use; use SHA-256+ (or pass "
                              "`usedforsecurity=False` when this is not a security use)",
                        severity=Severity.WARNING)

    def _digest(self, name: str, node: cst.Call) -> Optional[str]:
        if name in _HASHLIB:
            return _HASHLIB[name]
        if name == "hashlib.new":
            return _digest_name(string_value(argument(node, 0, "name")))
        if name in _HMAC:
            return self._hmac_digest(node)
        if name.endswith(").update"):
            receiver = name[: -len(".update")]
            base = receiver[:-2] if receiver.endswith("()") else receiver
            return _HASHLIB.get(base)
        return None

    def _hmac_digest(self, node: cst.Call) -> Optional[str]:
        mod = argument(node, 2, "digestmod") or argument(node, 2, "digest")
        if mod is None:
            return None
        text = string_value(mod)
        if text is not None:
            return _digest_name(text)
        resolved = self.ctx.resolve(mod)
        return _HASHLIB.get(resolved or "")


def _digest_name(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    text = text.lower().replace("-", "")
    return text if text in _FAST_DIGESTS else None


def _hashed_data(name: str, node: cst.Call) -> Optional[cst.BaseExpression]:
    """The value fed to the digest (for hmac: key or message)."""
    if name in _HMAC:
        parts = [argument(node, 0, "key"), argument(node, 1, "msg")]
        present = [p for p in parts if p is not None]
        return cst.List([cst.Element(p) for p in present]) if present else None
    index = 1 if name == "hashlib.new" else 0
    return argument(node, index, "data") or argument(node, index, "string")


def _mentions_password(expr: cst.BaseExpression) -> bool:
    return any(says(word, PASSWORD_WORDS) for word in _names_in(expr))


def _names_in(expr: cst.CSTNode) -> Iterator[str]:
    """Identifiers and subscript keys read by ``expr`` (``user.password``, ``form["pwd"]``)."""
    if isinstance(expr, cst.Name):
        yield expr.value
    elif isinstance(expr, cst.Attribute):
        yield expr.attr.value
        yield from _names_in(expr.value)
    elif isinstance(expr, cst.SimpleString):
        return
    else:
        for child in expr.children:
            yield from _names_in(child)


def _not_for_security(node: cst.Call) -> bool:
    flag = keyword(node, "usedforsecurity")
    return flag is not None and isinstance(flag.value, cst.Name) and flag.value.value == "False"


def _is_prefix(node: cst.Subscript) -> bool:
    """``x[:n]`` / ``x[0:n]``: a leading slice."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return False
    piece = node.slice[0].slice
    lower = piece.lower
    return piece.upper is not None and piece.step is None and (
        lower is None or (isinstance(lower, cst.Integer) and lower.value == "0"))
