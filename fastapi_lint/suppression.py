"""``# noqa`` comments, read with tokenize (no metadata provider, no parse)."""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, Optional

# flake8's pattern: `# noqa`, `# noqa: A1,B2`, `# NOQA:A1 B2`
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
_FILE_NOQA = re.compile(
    r"#\s*fastapi-lint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I
)
_ALL: FrozenSet[str] = frozenset({"*"})


def _codes(text: Optional[str]) -> FrozenSet[str]:
    if not text:
        return _ALL
    return frozenset(c.upper() for c in re.split(r"[,\s]+", text.strip()) if c)


@dataclass
class Suppressions:
    lines: Dict[int, FrozenSet[str]] = field(default_factory=dict)
    file_codes: FrozenSet[str] = frozenset()

    def is_suppressed(self, line: int, code: str) -> bool:
        if _matches(self.file_codes, code):
            return True
        return _matches(self.lines.get(line, frozenset()), code)


def _matches(codes: FrozenSet[str], code: str) -> bool:
    return "*" in codes or any(code.startswith(c) for c in codes)


def _comments(source: str):
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # an untokenizable tail: fall back to a line scan of what looks like comments
        for number, line in enumerate(source.splitlines(), 1):
            index = line.find("#")
            if index >= 0:
                yield number, line[index:]


def parse_suppressions(source: str, lines: Optional[Iterable[int]] = None) -> Suppressions:
    """The suppressions of ``source``; with ``lines`` (1-based), only those lines' matter,
    and a file where none of them (and no file-level comment) says noqa is not tokenized."""
    result = Suppressions()
    lowered = source.lower()
    if "noqa" not in lowered:
        return result
    if lines is not None and "fastapi-lint" not in lowered:
        text_lines = lowered.splitlines()
        if not any("noqa" in text_lines[n - 1] for n in lines if 0 < n <= len(text_lines)):
            return result
    file_codes = set()
    for line, comment in _comments(source):
        file_match = _FILE_NOQA.search(comment)
        if file_match:
            file_codes |= _codes(file_match.group("codes"))
            continue
        match = _NOQA.search(comment)
        if match:
            result.lines[line] = result.lines.get(line, frozenset()) | _codes(match.group("codes"))
    result.file_codes = frozenset(file_codes)
    return result
