"""``# noqa`` comments, read with tokenize (no metadata provider, no parse).

A finding another tool already reported on the same line, and that a reviewer dismissed with
that tool's comment (``# noqa: S608`` for ruff/flake8-bandit, ``# nosec B608`` for bandit,
``# noqa: ASYNC251`` for flake8-async), is the same review: the equivalent FAPI rule honours it
(``EQUIVALENTS``; ``honor-other-tools = false`` turns that off).
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, Mapping, Optional, Tuple

# flake8's pattern: `# noqa`, `# noqa: A1,B2`, `# NOQA:A1 B2`
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
_FILE_NOQA = re.compile(
    r"#\s*fastapi-lint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I
)
# bandit's pattern: `# nosec`, `# nosec B608`, `# nosec: B602, B607` (test ids only)
_NOSEC = re.compile(r"#\s*nosec\b(?::?[\s]*(?P<ids>B[0-9]{3}(?:[,\s]+B[0-9]{3})*))?", re.I)
_ALL: FrozenSet[str] = frozenset({"*"})


@dataclass(frozen=True)
class Equivalent:
    """Another tool's code whose suppression comment also suppresses ``codes``."""

    code: str
    tool: str
    meaning: str
    codes: Tuple[str, ...]


# The one mapping: docs/suppressions.md is generated from it (docs.suppressions_table).
# Only codes whose check is the same claim as a FAPI rule's: a reviewer who dismissed one
# dismissed the other.
EQUIVALENTS: Tuple[Equivalent, ...] = (
    Equivalent("S105", "ruff / flake8-bandit", "hardcoded password string", ("FAPI305",)),
    Equivalent("S106", "ruff / flake8-bandit", "hardcoded password function argument", ("FAPI305",)),
    Equivalent("S107", "ruff / flake8-bandit", "hardcoded password default", ("FAPI305",)),
    Equivalent("S113", "ruff / flake8-bandit", "request without timeout", ("FAPI112",)),
    Equivalent("S301", "ruff / flake8-bandit", "pickle deserialization", ("FAPI306",)),
    Equivalent("S302", "ruff / flake8-bandit", "marshal deserialization", ("FAPI306",)),
    Equivalent("S403", "ruff / flake8-bandit", "pickle import", ("FAPI306",)),
    Equivalent("S506", "ruff / flake8-bandit", "unsafe yaml load", ("FAPI306",)),
    Equivalent("S303", "ruff / flake8-bandit", "insecure hash function", ("FAPI307",)),
    Equivalent("S324", "ruff / flake8-bandit", "insecure hashlib function", ("FAPI307",)),
    Equivalent("S602", "ruff / flake8-bandit", "subprocess with shell=True", ("FAPI301",)),
    Equivalent("S604", "ruff / flake8-bandit", "call with shell=True", ("FAPI301",)),
    Equivalent("S605", "ruff / flake8-bandit", "process started with a shell", ("FAPI301",)),
    Equivalent("S608", "ruff / flake8-bandit", "SQL built from strings", ("FAPI302",)),
    Equivalent("B105", "bandit", "hardcoded_password_string", ("FAPI305",)),
    Equivalent("B106", "bandit", "hardcoded_password_funcarg", ("FAPI305",)),
    Equivalent("B107", "bandit", "hardcoded_password_default", ("FAPI305",)),
    Equivalent("B113", "bandit", "request_without_timeout", ("FAPI112",)),
    Equivalent("B301", "bandit", "pickle", ("FAPI306",)),
    Equivalent("B302", "bandit", "marshal", ("FAPI306",)),
    Equivalent("B403", "bandit", "import_pickle", ("FAPI306",)),
    Equivalent("B506", "bandit", "yaml_load", ("FAPI306",)),
    Equivalent("B303", "bandit", "md5 / insecure hash", ("FAPI307",)),
    Equivalent("B324", "bandit", "hashlib insecure functions", ("FAPI307",)),
    Equivalent("B602", "bandit", "subprocess_popen_with_shell_equals_true", ("FAPI301",)),
    Equivalent("B604", "bandit", "any_other_function_with_shell_equals_true", ("FAPI301",)),
    Equivalent("B605", "bandit", "start_process_with_a_shell", ("FAPI301",)),
    Equivalent("B608", "bandit", "hardcoded_sql_expressions", ("FAPI302",)),
    Equivalent("ASYNC210", "ruff / flake8-async", "blocking HTTP call in async function", ("FAPI102",)),
    Equivalent("ASYNC212", "ruff / flake8-async", "blocking httpx client in async function", ("FAPI102",)),
    Equivalent("ASYNC220", "ruff / flake8-async", "subprocess created in async function", ("FAPI103",)),
    Equivalent("ASYNC221", "ruff / flake8-async", "process run in async function", ("FAPI103",)),
    Equivalent("ASYNC222", "ruff / flake8-async", "wait for process in async function", ("FAPI103",)),
    Equivalent("ASYNC230", "ruff / flake8-async", "blocking open() in async function", ("FAPI104",)),
    Equivalent("ASYNC240", "ruff / flake8-async", "blocking path method in async function", ("FAPI104",)),
    Equivalent("ASYNC251", "ruff / flake8-async", "time.sleep in async function", ("FAPI101",)),
)
_BY_CODE: Mapping[str, Tuple[str, ...]] = {entry.code: entry.codes for entry in EQUIVALENTS}
# bandit's bare `# nosec` silences every bandit test on the line: the rules bandit has an
# equivalent of (its own B codes)
NOSEC_ALL: FrozenSet[str] = frozenset(
    code for entry in EQUIVALENTS if entry.tool == "bandit" for code in entry.codes
)


def _codes(text: Optional[str]) -> FrozenSet[str]:
    if not text:
        return _ALL
    return frozenset(c.upper() for c in re.split(r"[,\s]+", text.strip()) if c)


def _with_equivalents(codes: FrozenSet[str]) -> FrozenSet[str]:
    extra = [code for other in codes for code in _BY_CODE.get(other, ())]
    return codes | frozenset(extra) if extra else codes


def _nosec_codes(ids: Optional[str]) -> FrozenSet[str]:
    if not ids:
        return NOSEC_ALL
    return frozenset(code for test in _codes(ids) for code in _BY_CODE.get(test, ()))


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


def parse_suppressions(source: str, lines: Optional[Iterable[int]] = None,
                       honor_other_tools: bool = True) -> Suppressions:
    """The suppressions of ``source``; with ``lines`` (1-based), only those lines' matter,
    and a file where none of them (and no file-level comment) says noqa/nosec is not tokenized."""
    result = Suppressions()
    lowered = source.lower()
    words = ("noqa", "nosec") if honor_other_tools else ("noqa",)
    if not any(word in lowered for word in words):
        return result
    if lines is not None and "fastapi-lint" not in lowered:
        text_lines = lowered.splitlines()
        if not any(word in text_lines[n - 1] for n in lines if 0 < n <= len(text_lines) for word in words):
            return result
    file_codes = set()
    for line, comment in _comments(source):
        file_match = _FILE_NOQA.search(comment)
        if file_match:
            file_codes |= _codes(file_match.group("codes"))
            continue
        codes = _line_codes(comment, honor_other_tools)
        if codes:
            result.lines[line] = result.lines.get(line, frozenset()) | codes
    result.file_codes = frozenset(file_codes)
    return result


def _line_codes(comment: str, honor_other_tools: bool) -> FrozenSet[str]:
    codes: FrozenSet[str] = frozenset()
    match = _NOQA.search(comment)
    if match:
        codes = _codes(match.group("codes"))
        if honor_other_tools:
            codes = _with_equivalents(codes)
    if honor_other_tools:
        nosec = _NOSEC.search(comment)
        if nosec:
            codes |= _nosec_codes(nosec.group("ids"))
    return codes
