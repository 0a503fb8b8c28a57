"""Shared check of FAPI303/FAPI304: a CORSMiddleware configuration that allows any origin."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.names import is_true, keyword, positional, string_value
from fastapi_lint.rule import Rule

_CORS = {
    "fastapi.middleware.cors.CORSMiddleware",
    "starlette.middleware.cors.CORSMiddleware",
}
_MIDDLEWARE = {"starlette.middleware.Middleware", "fastapi.middleware.Middleware"}
# Starlette full-matches the regex against the Origin header: a regex that accepts an
# arbitrary attacker origin is a wildcard.
_ATTACKER_ORIGINS = ("https://attacker.example", "http://evil.test:8080")


@dataclass(frozen=True)
class WildcardCors:
    argument: cst.Arg  # the allow_origins / allow_origin_regex argument
    credentials: bool


def wildcard_cors(ctx: FileContext, node: cst.Call) -> Optional[WildcardCors]:
    """The wildcard origin setting of a CORSMiddleware registration ``node``, if any.

    Registrations: ``app.add_middleware(CORSMiddleware, ...)``, ``Middleware(CORSMiddleware,
    ...)`` and ``CORSMiddleware(app, ...)``.
    """
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "add_middleware":
        if not _is_cors(ctx, _first(node)):
            return None
    else:
        name = ctx.resolve(func)
        if name in _MIDDLEWARE:
            if not _is_cors(ctx, _first(node)):
                return None
        elif name not in _CORS:
            return None
    wildcard = _wildcard_argument(ctx, node)
    if wildcard is None:
        return None
    credentials = keyword(node, "allow_credentials")
    return WildcardCors(wildcard, credentials is not None and is_true(ctx.constant(credentials.value)))


def _first(node: cst.Call) -> Optional[cst.BaseExpression]:
    arg = positional(node, 0) or keyword(node, "middleware_class") or keyword(node, "cls")
    return arg.value if arg is not None else None


def _is_cors(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> bool:
    return expr is not None and ctx.resolve(expr) in _CORS


def _wildcard_argument(ctx: FileContext, node: cst.Call) -> Optional[cst.Arg]:
    origins = keyword(node, "allow_origins")
    if origins is not None and _has_star(ctx, origins.value):
        return origins
    regex = keyword(node, "allow_origin_regex")
    if regex is not None and _matches_everything(string_value(ctx.constant(regex.value))):
        return regex
    return None


def _has_star(ctx: FileContext, value: cst.BaseExpression) -> bool:
    value = ctx.constant(value)
    if string_value(value) == "*":
        return True
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return any(
            isinstance(e, cst.Element) and string_value(ctx.constant(e.value)) == "*"
            for e in value.elements
        )
    return False


def _matches_everything(pattern: Optional[str]) -> bool:
    if pattern is None:
        return False
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return all(compiled.fullmatch(origin) for origin in _ATTACKER_ORIGINS)


class CorsRule(Rule):
    """FAPI303 reports wildcard origins with credentials, FAPI304 without; never both."""

    WITH_CREDENTIALS: bool = False
    TRIGGERS = ("CORSMiddleware",)

    def visit_Call(self, node: cst.Call) -> None:
        found = wildcard_cors(self.ctx, node)
        if found is not None and found.credentials == self.WITH_CREDENTIALS:
            self.report(found.argument, self.message(found))

    def message(self, found: WildcardCors) -> str:
        raise NotImplementedError
