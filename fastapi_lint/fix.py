"""Applying fixes (``--fix``, ``--unsafe-fixes``) and showing them (``--diff``).

A rule's fix is a set of text edits computed from libcst nodes, so formatting and comments
outside the replaced nodes are kept byte for byte. Per file, one round applies every fix
whose edits do not overlap an already accepted fix (identical edits, such as the same added
import or the same rewritten signature, are shared), from the end of the file backwards;
the file is then linted again and the remaining fixes are applied in the next round, until
nothing changes (at most ``MAX_ROUNDS``). A result that does not parse is never written.
"""
from __future__ import annotations

import difflib
import io
import os
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple

from fastapi_lint.engine import LintSettings, Unreadable, decode_source, lint_file, read_source
from fastapi_lint.rule import Finding, Fix
from fastapi_lint.project.astnames import parse_quietly

if TYPE_CHECKING:
    from fastapi_lint.runner import RunResult

MAX_ROUNDS = 10
_NEWLINE = re.compile(r"\r\n|\r|\n")  # libcst's line breaks (str.splitlines knows more)


def applicable(fix: Optional[Fix], unsafe: bool) -> bool:
    return fix is not None and (fix.applicability == "safe" or (unsafe and fix.applicability == "unsafe"))


# -- applying edits to one text ----------------------------------------------------------------
def _line_starts(text: str) -> List[int]:
    return [0] + [match.end() for match in _NEWLINE.finditer(text)]


def _offset(starts: List[int], text: str, line: int, column: int) -> int:
    if line > len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


Span = Tuple[int, int, str]


def _conflict(a: Span, b: Span) -> bool:
    """Different edits that touch the same text (or insert at the same point) cannot compose."""
    if a == b:
        return False
    if a[0] < b[1] and b[0] < a[1]:
        return True
    for x, y in ((a, b), (b, a)):
        if x[0] == x[1] and (y[0] < x[0] < y[1] or (y[0] == y[1] == x[0])):
            return True
    return False


def apply_fixes(text: str, fixes: Iterable[Fix]) -> Tuple[str, int]:
    """Apply every fix that composes with the ones before it; returns (text, fixes applied)."""
    starts = _line_starts(text)
    accepted: List[Span] = []
    applied = 0
    for fix in fixes:
        spans = [(_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e.content)
                 for e in fix.edits]
        if any(_conflict(s, other) for s in spans for other in accepted):
            continue  # deferred: the next round re-lints and offers it again
        accepted.extend(s for s in spans if s not in accepted)
        applied += 1
    for start, end, content in sorted(accepted, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# -- fixing one file -------------------------------------------------------------------------
@dataclass
class FixedFile:
    display: str
    absolute: str
    original: str
    fixed: str
    encoding: str
    applied: int = 0
    findings: List[Finding] = field(default_factory=list)  # what remains after fixing
    errors: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def encoded(self) -> bytes:
        return self.fixed.encode(self.encoding)

    def diff(self) -> str:
        before = self.original.splitlines(keepends=True)
        after = self.fixed.splitlines(keepends=True)
        name = self.display.replace(os.sep, "/").lstrip("/")
        lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
        return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                       for line in lines)


def _encoding(data: bytes) -> str:
    """The codec that gives back the file's bytes: its PEP 263 encoding, with a BOM kept."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    return encoding


def fix_source(display: str, absolute: str, data: bytes, settings: LintSettings, unsafe: bool,
               findings: Optional[Sequence[Finding]] = None) -> FixedFile:
    """Fix one file's bytes in memory, re-linting after each round until nothing changes.

    ``findings``: the file's findings from the run, when known (saves the first lint).
    """
    original = decode_source(data)
    outcome = FixedFile(display, absolute, original, original, _encoding(data))
    if findings is None:
        findings = lint_file(display, absolute, settings, data=data).findings
    for _ in range(MAX_ROUNDS):
        fixes = [f.fix for f in findings if applicable(f.fix, unsafe)]
        if not fixes:
            break
        text, count = apply_fixes(outcome.fixed, fixes)  # type: ignore[arg-type]
        if text == outcome.fixed:
            break
        if not parses(text):
            outcome.errors.append(f"{display}: applying fixes would produce invalid Python; left unfixed")
            break
        outcome.fixed, outcome.applied = text, outcome.applied + count
        findings = lint_file(display, absolute, settings, data=outcome.encoded()).findings
    outcome.findings = list(findings)
    return outcome


# -- fixing a run ----------------------------------------------------------------------------
@dataclass
class FixSummary:
    files: List[FixedFile] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return sum(f.applied for f in self.files)

    @property
    def changed(self) -> List[FixedFile]:
        return [f for f in self.files if f.changed]


def fix_findings(findings: Sequence[Finding], settings: LintSettings, unsafe: bool,
                 stdin: Optional[Tuple[str, bytes]] = None) -> Tuple[List[Finding], FixSummary, List[str]]:
    """Fix every file with an applicable fix; returns (all remaining findings, summary, errors).

    Files are fixed in memory only: the caller writes them (``write_fixed``) or shows a diff.
    ``stdin`` is the (display, bytes) of a buffer read from stdin.
    """
    summary = FixSummary()
    remaining: List[Finding] = []
    errors: List[str] = []
    for path, group in groupby(sorted(findings, key=Finding.sort_key), key=lambda f: f.path):
        items = list(group)
        if not any(applicable(f.fix, unsafe) for f in items):
            remaining.extend(items)
            continue
        try:
            if stdin is not None and path == stdin[0]:
                data = stdin[1]
            else:
                data = read_source(os.path.abspath(path))
            fixed = fix_source(path, os.path.abspath(path), data, settings, unsafe, items)
        except Unreadable as exc:
            errors.append(f"{path}: cannot fix: {exc}")
            remaining.extend(items)
            continue
        summary.files.append(fixed)
        remaining.extend(fixed.findings)
        errors.extend(fixed.errors)
    remaining.sort(key=Finding.sort_key)
    return remaining, summary, errors


def apply_to_run(result: "RunResult", unsafe: bool, stdin: Optional[Tuple[str, bytes]] = None) -> FixSummary:
    """Fix the files of a run in memory; the run's findings become what remains."""
    assert result.settings is not None
    result.findings, summary, errors = fix_findings(result.findings, result.settings, unsafe, stdin)
    result.errors.extend(errors)
    return summary


def write_fixed(summary: FixSummary) -> List[str]:
    """Write every changed file; returns the errors (a file that cannot be written stays as it was)."""
    errors = []
    for fixed in summary.changed:
        try:
            with open(fixed.absolute, "wb") as handle:
                handle.write(fixed.encoded())
        except OSError as exc:
            errors.append(f"{fixed.display}: cannot write: {exc.strerror or exc}")
    return errors
