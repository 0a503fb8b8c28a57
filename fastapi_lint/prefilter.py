"""Cheap text checks shared by the rules' prefilters (``Rule.applies_to``).

Each says "this file cannot contain X" without parsing it. They must never be wrong in
that direction: a file that has X always matches. They may match files without X (a
pattern inside a string or comment): those are parsed, and the rule decides.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple, cast

_PATTERN_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
                    "scanner", "flags", "groups", "groupindex")


class _LazyPattern:
    """A regular expression compiled on its first use. A run imports every rule's patterns
    and a one-file run uses about a quarter of them: compiling the rest was 12 ms of its 0.5 s.
    The first use copies the compiled pattern's methods onto the instance, so later calls
    cost what calling the compiled pattern does."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:  # only while nothing is compiled
        if name.startswith("_"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for method in _PATTERN_METHODS:
            self.__dict__[method] = getattr(compiled, method)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_pattern({self.pattern!r})"


def lazy_pattern(pattern: str, flags: int = 0) -> "re.Pattern[str]":
    """``re.compile(pattern, flags)``, done when the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))

# `async def` — every async context of the rules is an `async def` body
# (no leading \b: a pattern starting with a literal lets `re` skip ahead, ~7x faster;
# `xasync def` is no Python anyway). A backslash may continue the line between the words.
ASYNC_DEF = re.compile(r"async(?:\s|\\)+def\b")

# A route registration as facts.py recognizes one: a decorator `@<expr>.get(...)` (the
# method and its parenthesis on the decorator's line, or a backslash-continued one; also
# `@(app.get)(...)`) or an `add_api_route(...)` call. The decorator pattern starts with a
# literal `@` so that `re` jumps from one `@` to the next (an alternation with
# `add_api_route` made it try every position: 50x slower).
ROUTE_METHOD_NAMES = ("get", "post", "put", "patch", "delete", "options", "head", "trace",
                      "api_route", "websocket")
_ADD_API_ROUTE = re.compile(r"\badd_api_route\b")
# a parenthesized decorator may spread over lines (`@(` newline `app.get("/")` newline `)`):
# rare enough to pass every file that has one
_PAREN_DECORATOR = re.compile(r"@[ \t\f]*(?:\\\n[ \t\f]*)*\(")


def has_async_def(text: str) -> bool:
    return "async" in text and ASYNC_DEF.search(text) is not None


def has_route(text: str, methods: Iterable[str] = ()) -> bool:
    """Whether the text may register a route (of one of ``methods``, if given)."""
    if "add_api_route" in text and _ADD_API_ROUTE.search(text) is not None:
        return True
    if "@" not in text:
        return False
    if _PAREN_DECORATOR.search(text) is not None:
        return True
    return _route_pattern(tuple(sorted(methods or ROUTE_METHOD_NAMES))).search(text) is not None


_PATTERNS = {}


def _route_pattern(methods):
    """The route decorators of ``methods``."""
    pattern = _PATTERNS.get(methods)
    if pattern is None:
        pattern = _PATTERNS[methods] = re.compile(
            r"@(?:[^\n]|\\\n)*?\.(?:\s|\\\n)*(?:" + "|".join(methods) + r")(?:\s|\\\n|\))*\("
        )
    return pattern


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return any(needle in text for needle in needles)


def count_routes(text: str, methods: Iterable[str] = (), limit: int = 2) -> int:
    """How many route registrations ``has_route`` sees in the text, counting up to ``limit``."""
    count = len(_ADD_API_ROUTE.findall(text)) if "add_api_route" in text else 0
    if "@" in text and _PAREN_DECORATOR.search(text) is not None:
        return limit  # what a parenthesized decorator holds, only a parse can tell
    if "@" in text and count < limit:
        for _ in _route_pattern(tuple(sorted(methods or ROUTE_METHOD_NAMES))).finditer(text):
            count += 1
            if count >= limit:
                break
    return count


# -- words and resolved names (the async and logging rules) --------------------------------
# A pattern that starts with `\b` is searched at every position (~50x slower than one that
# starts with a literal): boundaries before a match are checked on the match instead.


def alternatives(names: Iterable[str]) -> str:
    """A regex group matching any of ``names`` (longest first)."""
    return "(?:" + "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True)) + ")"



def universal_newlines(text: str) -> str:
    """The text with its `\\r\\n` and `\\r` line breaks (Python reads all three) as `\\n`,
    the one the patterns know."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _words_in(text: str, pattern: "re.Pattern[str]") -> Iterator[str]:
    """The matches of ``pattern`` (words, then ``\\b``) not preceded by a word character."""
    for match in pattern.finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            yield match.group()


def _words_pattern(names: Iterable[str]) -> "re.Pattern[str]":
    return lazy_pattern(alternatives(names) + r"\b")


def any_word(names: Iterable[str]) -> Callable[[str], bool]:
    """A check for texts holding one of ``names`` as a whole word (an identifier as written)."""
    pattern = _words_pattern(names)
    return lambda text: next(_words_in(text, pattern), None) is not None


# what may separate the tokens of one expression: blanks, line continuations, and comments
# inside brackets (a comment runs to the end of its line: a `####` line is not split
# every way on a failed match)
COMMENT = r"#[^\n]*(?![^\n])"
GAP = r"(?:\s|\\|" + COMMENT + r")*"


def any_attribute(names: Iterable[str]) -> Callable[[str], bool]:
    """A check for texts holding ``.name`` for one of ``names``, whatever separates the dot
    and the name (``logger.info``, ``logger . info``, ``(logger.\\\n info)``)."""
    pattern = lazy_pattern(r"\." + GAP + alternatives(names) + r"\b")
    return lambda text: pattern.search(text) is not None


# a relative import statement: `from .api import get`, `from .. import (a,  # note\n b)`
RELATIVE_IMPORT = re.compile(
    r"from(?:\s|\\)+\.([\w.\s\\]*?)\bimport\b"
    r"([ \t\\]*\((?:[^)#]|" + COMMENT + r")*\)|(?:[^\n;#\\]|\\\n)*)"
)
_COMMENT_OR_BLANK = re.compile(r"#[^\n]*|[\s\\()]+")


def relative_imports(text: str) -> List[Tuple[str, ...]]:
    """The dotted names relative imports bring in, without the leading package:
    ``from .api import get as g`` -> ``("api", "get")``."""
    found = []
    if "from" not in text:
        return found
    for match in RELATIVE_IMPORT.finditer(text):
        module = [part for part in _COMMENT_OR_BLANK.sub("", match.group(1)).split(".") if part]
        for item in _COMMENT_OR_BLANK.sub(" ", match.group(2)).split(","):
            name = item.split()[0] if item.split() else ""
            if name and name != "*":
                found.append(tuple(module) + (name,))
    return found


def resolvable(names: Iterable[str]) -> Callable[[str], bool]:
    """A check for texts where a dotted name of ``names`` may resolve (written as the facts
    resolve it: ``"subprocess.Popen().wait"``; not ``builtins.*``, which needs no import).

    The facts build a name from pieces of the text: the callable an instance comes from and
    every attribute after it are words of the text (``Popen`` and ``wait``; ``sleep`` of
    ``time.sleep``), and the module is named in it (an import), or the file is inside its
    package and a relative import brings in part of the name (``from .api import get`` for
    ``requests.api.get``).

    Not seen: a module's own top-level definitions in that library module's own source
    (``def get`` in ``requests/api.py``, linted from the directory above ``requests``):
    from the text alone it is any module defining ``get``, and project code does that.
    """
    by_root: Dict[str, Tuple[List[Set[str]], Set[Tuple[str, ...]]]] = {}
    for name in names:
        head, _, instance = name.partition("()")
        root, *inner = head.split(".")
        written = {inner[-1]} | {part.strip("()") for part in instance.split(".") if part.strip("()")}
        required, imported = by_root.setdefault(root, ([], set()))
        required.append(written)
        # a relative import brings in a run of the module path and names, up to an instance
        imported.update(tuple(inner[i:j]) for i in range(len(inner)) for j in range(i + 1, len(inner) + 1))
    checks = [(required, _words_pattern(set().union(*required)), root, any_word([root]), imported)
              for root, (required, imported) in by_root.items()]

    def check(text: str) -> bool:
        relative: Optional[List[Tuple[str, ...]]] = None
        for required, pattern, root, has_root, imported in checks:
            if not (root in text and has_root(text)):
                if relative is None:
                    relative = relative_imports(text)
                if not imported.intersection(relative):
                    continue
            found = set(_words_in(text, pattern))
            if any(written <= found for written in required):
                return True
        return False

    return check


_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


def says_any(text: str, words: Iterable[str], lowered: Optional[str] = None) -> bool:
    """Whether the text may hold a name that ``words.says`` reads as one of ``words``.

    ``says`` compares ASCII letters and digits, lower-cased: a plain word is a whole part of
    the name, so it is in the lower-cased text as spelled; a word with ``_`` may also be the
    whole name squashed (``apikey``, ``ApiKey``), so it is looked for in the text's letters
    and digits run together. Names are read as written: letters spelled by escape sequences
    or split across implicitly concatenated literals are not seen. ``lowered`` is
    ``text.lower()`` when the caller has it.
    """
    lowered = text.lower() if lowered is None else lowered
    joined = [word for word in words if "_" in word]
    if any(word in lowered for word in words if "_" not in word):
        return True
    if not joined:
        return False
    squashed = text.encode("ascii", "ignore").translate(None, _NOT_ALNUM).lower()
    return any(word.replace("_", "").encode("ascii", "ignore") in squashed for word in joined)


def definition_pattern(names: Iterable[str]) -> "re.Pattern[str]":
    """``def <one of names>`` (also ``async def``; a backslash may continue the line)."""
    return lazy_pattern(r"def(?:\s|\\\n)+(?:" + "|".join(sorted(map(re.escape, names))) + r")\b")
