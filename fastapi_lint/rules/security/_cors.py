"""Shared check of FAPI303/FAPI304: a CORSMiddleware configuration that allows any origin."""
from __future__ import annotations

import re
from typing import FrozenSet, NamedTuple, Optional, Tuple

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.names import is_true, keyword, positional, string_value
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rule import Rule
from fastapi_lint.prefilter import lazy_pattern

WILDCARD_SETTINGS = "wildcard_settings"
# `allowed_hosts: List[str] = ["*"]` in a settings class, `ORIGINS = ("*",)` in a module
_WILDCARD_DEFAULT = lazy_pattern(
    r"^([ \t]*)([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=[ \t]*[\[({][ \t]*[\"']\*[\"'][ \t]*,?[ \t]*[\])}]", re.M)


@collector(WILDCARD_SETTINGS, triggers=('"*"', "'*'"))
def _collect_wildcard_settings(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    """Class fields (read as ``settings.NAME``) and module constants whose value is ``["*"]``."""
    fields = sorted({m.group(2) for m in _WILDCARD_DEFAULT.finditer(text) if m.group(1)})
    constants = sorted({m.group(2) for m in _WILDCARD_DEFAULT.finditer(text) if not m.group(1)})
    if fields or constants:
        summary.extra[WILDCARD_SETTINGS] = (tuple(fields), tuple(constants))


def _project_wildcards(project: Optional[ProjectIndex]) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(class fields, module constants) of the project whose value is a wildcard, once per index."""
    if project is None:
        return frozenset(), frozenset()
    return project.derived(WILDCARD_SETTINGS, _wildcards)


def _wildcards(project: ProjectIndex) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    entries = [s.extra[WILDCARD_SETTINGS] for s in project.modules.values() if WILDCARD_SETTINGS in s.extra]
    return (frozenset(n for fields, _ in entries for n in fields),  # type: ignore[misc]
            frozenset(n for _, constants in entries for n in constants))  # type: ignore[misc]


_CORS = {
    "fastapi.middleware.cors.CORSMiddleware",
    "starlette.middleware.cors.CORSMiddleware",
}
_MIDDLEWARE = {"starlette.middleware.Middleware", "fastapi.middleware.Middleware"}
# Starlette full-matches the regex against the Origin header: a regex that accepts an
# arbitrary attacker origin is a wildcard.
_ATTACKER_ORIGINS = ("https://attacker.example", "http://evil.test:8080")


class WildcardCors(NamedTuple):
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
    fields, constants = _project_wildcards(ctx.project)
    if isinstance(value, cst.Attribute) and value.attr.value in fields:
        return True  # settings.allowed_hosts whose field defaults to ["*"]
    resolved = ctx.resolve(value) if isinstance(value, cst.Name) else None
    if resolved is not None and not resolved.startswith(("<local>.", ctx.facts.module_name + ".")) \
            and resolved.rpartition(".")[2] in constants:
        return True  # ORIGINS imported from the project's config module
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
    PROJECT_FACTS = (WILDCARD_SETTINGS,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # the class, an allow_origins=/allow_origin_regex= keyword, and for FAPI303 the
        # allow_credentials= keyword
        return "CORSMiddleware" in text and "allow_origin" in text and (
            not cls.WITH_CREDENTIALS or "allow_credentials" in text)

    def visit_Call(self, node: cst.Call) -> None:
        found = wildcard_cors(self.ctx, node)
        if found is not None and found.credentials == self.WITH_CREDENTIALS:
            self.report(found.argument, self.message(found))

    def message(self, found: WildcardCors) -> str:
        raise NotImplementedError
