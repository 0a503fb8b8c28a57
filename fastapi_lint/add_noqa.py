"""``--add-noqa``: write ``# noqa: CODE`` on the line of every current finding (ruff's
adoption path: silence today's findings in place, so that only new code is checked).

The comment goes where fastapi-lint's suppression reads it (:mod:`fastapi_lint.suppression`):
on the finding's line, after the code. A line that ends inside a string or with a backslash
continuation cannot carry a comment; those findings are left as they are and counted.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

from fastapi_lint.engine import Unreadable, read_source
from fastapi_lint.rule import Finding
from fastapi_lint.suppression import parse_suppressions

# an existing `# noqa: A1,B2` whose list we extend (the same pattern as suppression's)
_NOQA_CODES = re.compile(r"(#\s*noqa\s*:\s*)([A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.I)
# codes that cannot get a noqa comment (the file could not be parsed or read)
_NOT_SUPPRESSIBLE = {"FAPI001", "FAPI002"}


@dataclass(frozen=True)
class AddNoqaResult:
    added: int  # findings that now carry a noqa comment
    files: int  # files written
    skipped: int  # findings on lines that cannot take a comment
    errors: Tuple[str, ...] = ()


def _open_lines(text: str) -> Tuple[Set[int], Dict[int, Tuple[int, str]]]:
    """The lines a comment may end (a token stream line break outside strings) and each
    line's existing comment (column, text)."""
    ends: Set[int] = set()
    comments: Dict[int, Tuple[int, str]] = {}
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL):
            ends.add(tok.start[0])
        elif tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = (tok.start[1], tok.string)
    return ends, comments


def _with_codes(line: str, codes: Sequence[str], comment: Optional[Tuple[int, str]]) -> str:
    body, newline = (line[:-2], "\r\n") if line.endswith("\r\n") else (
        (line[:-1], line[-1]) if line.endswith(("\n", "\r")) else (line, ""))
    if comment is not None:
        match = _NOQA_CODES.search(comment[1])
        if match:
            start = comment[0] + match.end()
            return body[:start] + ", " + ", ".join(codes) + body[start:] + newline
    return body.rstrip() + "  # noqa: " + ", ".join(codes) + newline


def add_to_text(text: str, findings: Sequence[Finding]) -> Tuple[str, int, int]:
    """``text`` with noqa comments for ``findings``; returns (text, added, skipped)."""
    try:
        ends, comments = _open_lines(text)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text, 0, len(findings)
    lines = text.splitlines(keepends=True)
    existing = parse_suppressions(text)
    wanted: Dict[int, List[str]] = {}
    skipped = 0
    for finding in findings:
        if finding.line not in ends or not 0 < finding.line <= len(lines):
            skipped += 1
            continue
        if existing.is_suppressed(finding.line, finding.code):
            continue
        codes = wanted.setdefault(finding.line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    for number, codes in wanted.items():
        lines[number - 1] = _with_codes(lines[number - 1], sorted(codes), comments.get(number))
    added = sum(1 for f in findings if f.line in wanted and f.code in wanted[f.line])
    return "".join(lines), added, skipped


def _decode(data: bytes) -> Tuple[str, str]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def add_noqa(findings: Sequence[Finding], absolute_paths: Dict[str, str]) -> AddNoqaResult:
    """Write the comments into the files; ``absolute_paths`` maps a finding's path to its file."""
    by_path: Dict[str, List[Finding]] = {}
    for finding in findings:
        if finding.code not in _NOT_SUPPRESSIBLE:
            by_path.setdefault(finding.path, []).append(finding)
    added = files = skipped = 0
    errors: List[str] = []
    for path, group in sorted(by_path.items()):
        absolute = absolute_paths.get(path)
        try:
            if absolute is None:
                raise Unreadable("not a file of this run")
            data = read_source(absolute)
            text, encoding = _decode(data)
        except (Unreadable, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            errors.append(f"{path}: cannot add noqa comments: {exc}")
            continue
        new_text, count, missed = add_to_text(text, group)
        skipped += missed
        if new_text == text:
            continue
        try:
            with open(absolute, "wb") as handle:
                handle.write(new_text.encode(encoding))
        except (OSError, UnicodeEncodeError) as exc:
            errors.append(f"{path}: cannot write: {getattr(exc, 'strerror', None) or exc}")
            continue
        added += count
        files += 1
    return AddNoqaResult(added, files, skipped, tuple(errors))
