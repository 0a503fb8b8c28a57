"""Cheap text checks shared by the rules' prefilters (``Rule.applies_to``).

Each says "this file cannot contain X" without parsing it. They must never be wrong in
that direction: a file that has X always matches. They may match files without X (a
pattern inside a string or comment): those are parsed, and the rule decides.
"""
from __future__ import annotations

import re
from typing import Iterable

# `async def` — every async context of the rules is an `async def` body
ASYNC_DEF = re.compile(r"\basync\s+def\b")

# A route registration as facts.py recognizes one: a decorator `@<expr>.get(...)` (the
# method and its parenthesis on the decorator's line, or a backslash-continued one) or an
# `add_api_route(...)` call.
ROUTE_METHOD_NAMES = ("get", "post", "put", "patch", "delete", "options", "head", "trace",
                      "api_route", "websocket")
_ROUTE = re.compile(
    r"@(?:[^\n]|\\\n)*?\.\s*(?:" + "|".join(ROUTE_METHOD_NAMES) + r")\s*\(|\badd_api_route\b"
)


def has_async_def(text: str) -> bool:
    return "async" in text and ASYNC_DEF.search(text) is not None


def has_route(text: str, methods: Iterable[str] = ()) -> bool:
    """Whether the text may register a route (of one of ``methods``, if given)."""
    if "@" not in text and "add_api_route" not in text:
        return False
    if not methods:
        return _ROUTE.search(text) is not None
    return _route_pattern(tuple(sorted(methods))).search(text) is not None


_PATTERNS = {}


def _route_pattern(methods):
    pattern = _PATTERNS.get(methods)
    if pattern is None:
        pattern = _PATTERNS[methods] = re.compile(
            r"@(?:[^\n]|\\\n)*?\.\s*(?:" + "|".join(methods) + r")\s*\(|\badd_api_route\b"
        )
    return pattern


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return any(needle in text for needle in needles)
