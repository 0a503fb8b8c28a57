"""FAPI003 (unused-noqa): `# noqa` comments naming fastapi-lint codes that suppress nothing.

It needs what the other rules would report without the comments, so it is not a traversal
rule: once a file is linted, a file whose comments name `FAPI` codes is linted a second
time with those comments neutralised (same length, so positions do not move), and each
named code is compared with what that run found. The comments are read by
:mod:`fastapi_lint.suppression`, the same reading that suppresses findings.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Iterable, List, Sequence, Set

from fastapi_lint.engine import (LintSettings, Unreadable, decode_source, ignored_codes_for, lint_file,
                                 relative_to_root)
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Finding
from fastapi_lint.suppression import parse_suppressions

CODE = "FAPI003"
PREFIX = "FAPI"
_DIRECTIVE = re.compile(r"#\s*(?:fastapi-lint\s*:\s*)?noqa", re.I)
_FILE_DIRECTIVE = re.compile(r"#\s*fastapi-lint\s*:\s*noqa", re.I)


def _enabled(settings: LintSettings, rel: str) -> Set[str]:
    ignored = ignored_codes_for(rel, settings.config)
    return {r.CODE for r in settings.rules if not any(r.CODE.startswith(c) for c in ignored)}


def _neutralised(text: str, lines: Iterable[int]) -> str:
    """``text`` with the noqa comments of ``lines`` made inert ("noqa" -> "n0qa")."""
    rows = text.splitlines(keepends=True)
    for number in lines:
        if 0 < number <= len(rows):
            rows[number - 1] = _DIRECTIVE.sub(lambda m: m.group(0)[:-3] + "0" + m.group(0)[-2:], rows[number - 1])
    return "".join(rows)


def _encode(text: str, data: bytes) -> bytes:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeEncodeError):
        return text.encode("utf-8")


def _classify(codes: Iterable[str], found: Set[str], enabled: Set[str], known: Sequence[str]) -> Dict[str, List[str]]:
    kinds: Dict[str, List[str]] = {"unknown": [], "non-enabled": [], "unused": []}
    for code in sorted(c for c in codes if c.startswith(PREFIX)):
        matched = [k for k in known if k.startswith(code)]
        if not matched:
            kinds["unknown"].append(code)
        elif any(f.startswith(code) for f in found):
            continue
        elif not any(k in enabled for k in matched):
            kinds["non-enabled"].append(code)
        else:
            kinds["unused"].append(code)
    return kinds


def _finding(display: str, line: int, text_line: str, kinds: Dict[str, List[str]], file_level: bool) -> Finding:
    rule = all_rules()[CODE]
    detail = "; ".join(f"{kind}: {', '.join(f'`{c}`' for c in codes)}" for kind, codes in kinds.items() if codes)
    match = (_FILE_DIRECTIVE if file_level else _DIRECTIVE).search(text_line)
    start = match.start() if match else 0
    what = "file-level `noqa`" if file_level else "`noqa`"
    return Finding(display, line, start + 1, CODE, line, len(text_line.rstrip("\r\n")) + 1, rule.NAME,
                   rule.SEVERITY.value, f"Unused {what} directive ({detail})", text_line.rstrip("\r\n"))


def check(display: str, absolute: str, data: bytes, settings: LintSettings) -> List[Finding]:
    """The FAPI003 findings of one file (none unless FAPI003 is enabled for it)."""
    if not any(rule.CODE == CODE for rule in settings.rules):
        return []
    rel = relative_to_root(absolute, settings.config.root)
    enabled = _enabled(settings, rel)
    lowered = data.lower()
    # only codes written out count (not the FAPI codes a ruff/bandit code stands for), so a
    # file that names no FAPI code is never tokenized
    if CODE not in enabled or b"noqa" not in lowered or b"fapi" not in lowered:
        return []
    try:
        text = decode_source(data)
    except Unreadable:
        return []
    suppressions = parse_suppressions(text, honor_other_tools=False)
    named = {line: codes for line, codes in suppressions.lines.items() if any(c.startswith(PREFIX) for c in codes)}
    file_named = {c for c in suppressions.file_codes if c.startswith(PREFIX)}
    if not named and not file_named:
        return []
    rows = text.splitlines(keepends=True)
    directive_lines = [n for n, row in enumerate(rows, 1) if _DIRECTIVE.search(row)]
    raw = lint_file(display, absolute, settings, data=_encode(_neutralised(text, directive_lines), data))
    by_line: Dict[int, Set[str]] = {}
    for finding in raw.findings:
        by_line.setdefault(finding.line, set()).add(finding.code)
    known = list(all_rules())
    findings: List[Finding] = []
    for line, codes in sorted(named.items()):
        kinds = _classify(codes, by_line.get(line, set()), enabled, known)
        if any(kinds.values()) and 0 < line <= len(rows):
            findings.append(_finding(display, line, rows[line - 1], kinds, file_level=False))
    if file_named:
        everywhere = {f.code for f in raw.findings}
        kinds = _classify(file_named, everywhere, enabled, known)
        line = next((n for n, row in enumerate(rows, 1) if _FILE_DIRECTIVE.search(row)), 0)
        if any(kinds.values()) and line:
            findings.append(_finding(display, line, rows[line - 1], kinds, file_level=True))
    return findings


