"""Text patterns for the prefilters (``Rule.applies_to``) of the lifecycle and models rules.

Like :mod:`fastapi_lint.prefilter`, they may match text the rules do not report on (in a
string, a comment), never miss text they do report on. Patterns start with a literal
where they can: the regex engine then skips to its occurrences instead of trying every
position of the text.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional, Pattern, Sequence, Set

from fastapi_lint.prefilter import COMMENT, GAP, alternatives, lazy_pattern, universal_newlines  # noqa: F401 (re-exported)

# What may separate the tokens of one expression (``prefilter.GAP``): blanks, line
# continuations, and comments inside brackets, a comment running to the end of its line so
# that a failed match does not retry every split of a `#####` line.
# a gap that may also open parentheses around what follows (`= (Depends)(...)`)...
GAP_OPEN = r"(?:\s|\\|" + COMMENT + r"|\()*"
# ...or close them around what precedes (`(app.on_event)(...)`)
GAP_CLOSE = r"(?:\s|\\|" + COMMENT + r"|\))*"
# `a.b.` before the last name of a dotted name
DOTTED_PREFIX = r"(?:\w+" + GAP_CLOSE + r"\." + GAP + r")*"


def method_call(names: Iterable[str]) -> Pattern[str]:
    """Matches a call of an attribute ``<expr>.name(...)`` for one of ``names``."""
    return lazy_pattern(r"\." + GAP + alternatives(names) + r"\b" + GAP_CLOSE + r"\(")


def skip_back(text: str, end: int, blanks: str = " \t\f\r\\\n") -> int:
    """The position after the last character before ``end`` that is not one of ``blanks``
    (line breaks and continuations included); -1 when a line break has to be crossed after
    a line holding a `#` (a comment, which a backward reading cannot tell from code)."""
    i = end
    while i > 0 and text[i - 1] in blanks:
        if text[i - 1] == "\n" and "#" in text[text.rfind("\n", 0, i - 1) + 1:i - 1]:
            return -1
        i -= 1
    return i


_RELATIVE_IMPORT = lazy_pattern(r"from(?:\s|\\)+\.")
# what may precede a statement's first target on its line: `;`, another target's `=`, `(`
_TARGET_START = lazy_pattern(r"(?:^|[;=(])[ \t\f(]*$", re.M)


def may_resolve_into(text: str, package: str, names: Iterable[str]) -> bool:
    """Whether a name of the text may resolve into ``package`` (the facts' resolution):
    an import naming the package, a relative import (the file may be in the package), or
    a module-level binding of one of ``names`` — the file's own definitions resolve under
    its path-derived module name (`def Depends` in `fastapi/params.py`)."""
    if package in text or _RELATIVE_IMPORT.search(text) is not None:
        return True
    present = [name for name in names if name in text]
    if not present:
        return False
    spelled = alternatives(present)
    if any(re.search(keyword + r"(?:\s|\\)+" + spelled + r"\b", text) for keyword in ("def", "class")):
        return True
    for name in present:
        for match in re.finditer(re.escape(name) + r"(?:[ \t)]|\\)*(?::|=(?!=))", text):
            start = match.start()
            if text[start - 1:start].isidentifier() or text[start - 1:start].isdigit():
                continue  # the end of a longer name
            if _TARGET_START.search(text, text.rfind("\n", 0, start) + 1, start) is not None:
                return True
    return False


_NOT_ASSIGNMENT = set("=!<>:+-*/%&|^@")  # the `=` of `==`, `+=`, `:=`... binds nothing
# the target of an assignment `name = ...`, `self.name = ...`, `a = name = ...`, read back
# from its `=` to the start of the line; no match when the target may be something else (an
# annotated name, a continuation line)
_ASSIGNED = lazy_pattern(r"(?:^|[;.=(,])[ \t\f]*\(*[ \t]*([A-Za-z_]\w*)[ \t)]*$", re.M)


def aliases(text: str, names: Sequence[str]) -> Optional[Set[str]]:
    """``names`` and every name the text may bind to one of them (`Depends as D`, `D =
    Depends`, `self.d = fastapi.Depends`, transitively); None when an assignment binds one
    to a target we cannot read."""
    found = set(names)
    todo = list(names)
    while todo:
        bound = [
            match.group(1)
            for name in todo
            for match in re.finditer(re.escape(name) + r"\b" + GAP_CLOSE + r"as\b" + GAP + r"([A-Za-z_]\w*)", text)
        ]
        # `x = name`, not a call of it
        for match in re.finditer(
            r"=(?!=)" + GAP_OPEN + r"(?:await\b" + GAP + r")?" + DOTTED_PREFIX + alternatives(todo)
            + r"\b(?!" + GAP_CLOSE + r"\()", text,
        ):
            if text[match.start() - 1:match.start()] in _NOT_ASSIGNMENT:
                continue
            target = _ASSIGNED.search(text, text.rfind("\n", 0, match.start()) + 1, match.start())
            if target is None:
                return None
            bound.append(target.group(1))
        todo = [alias for alias in dict.fromkeys(bound) if alias not in found]
        found.update(todo)
    return found
