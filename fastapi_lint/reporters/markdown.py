"""Markdown for a pull-request comment or ``$GITHUB_STEP_SUMMARY``: a summary table by rule
and severity, then the findings grouped by file in collapsible ``<details>`` blocks, errors
and warnings first and the infos (style suggestions) folded under one block after them, so
that a first run's dozens of suggestions do not bury what fails the review. Rule codes link
to their pages through reference links defined once at the end.

GitHub caps a comment at 65,536 characters: past ``BUDGET`` the list stops and says how many
findings it left out, so the report always posts.
"""
from __future__ import annotations

import html
import re
from itertools import groupby
from typing import IO, Dict, List, Optional, Sequence, Tuple

from fastapi_lint.reporters import Report
from fastapi_lint.reporters.json import rule_urls
from fastapi_lint.rule import Finding

BUDGET = 60_000  # characters of findings; the rest of a comment's 65,536 is the summary
OPEN_UP_TO = 10  # with this many findings or fewer, the file blocks start expanded
_ORDER = {"error": 0, "warning": 1, "info": 2}
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_SPECIAL = re.compile(r"([\\*_\[\]<>|#~])")


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else word + 's'}"


def text(message: str) -> str:
    """A message as inline markdown: its code spans kept, markup characters elsewhere escaped
    (a ``__init__`` outside backticks must not turn bold, nor ``<T>`` into HTML)."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(message):
        out.append(_SPECIAL.sub(r"\\\1", message[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_SPECIAL.sub(r"\\\1", message[last:]))
    return "".join(out).replace("\n", " ")


def _code(code: str, urls: Dict[str, Optional[str]]) -> str:
    return f"[{code}]" if urls.get(code) else code


def _link_definitions(report: Report, urls: Dict[str, Optional[str]]) -> List[str]:
    return [f"[{code}]: {urls[code]}" for code in report.counts_by_code() if urls.get(code)]


def _summary_line(report: Report) -> str:
    by_sev = report.counts_by_severity()
    fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.applicability == "safe")
    since = f" that {text(report.changes_introduced())} introduced" if report.changes_since else ""
    line = (f"**{_plural(len(report.findings), 'finding')}**{since} ({_plural(by_sev.get('error', 0), 'error')}, "
            f"{_plural(by_sev.get('warning', 0), 'warning')}, {by_sev.get('info', 0)} info) "
            f"in {_plural(report.files_checked, 'file')}")
    if fixable:
        line += f"; {fixable} fixable with `fastapi-lint --fix`"
    return line + "."


def _table(report: Report, urls: Dict[str, Optional[str]]) -> List[str]:
    names = {rule.CODE: rule.NAME for rule in report.rules}
    severities = {f.code: f.severity for f in report.findings}
    counts = report.counts_by_code()
    rows = sorted(counts, key=lambda code: (_ORDER.get(severities[code], 0), -counts[code], code))
    lines = ["| rule | name | severity | findings |", "|---|---|---|---:|"]
    lines += [f"| {_code(code, urls)} | {names.get(code, '')} | {severities[code]} | {counts[code]} |"
              for code in rows]
    return lines


def _finding_line(finding: Finding, urls: Dict[str, Optional[str]]) -> str:
    mark = " (fixable)" if finding.fix is not None and finding.fix.applicability == "safe" else ""
    notes = "".join(f"\n  - note: `{related.path}:{related.line}:{related.column}` {text(related.message)}"
                    for related in finding.related)
    return (f"- **{finding.line}:{finding.column}** {_code(finding.code, urls)} {finding.severity}: "
            f"{text(finding.message)}{mark}{notes}")


def _files(findings: Sequence[Finding], urls: Dict[str, Optional[str]], budget: int) -> Tuple[List[str], int]:
    """The blocks of ``findings`` by file within ``budget`` characters, and how many fit."""
    lines: List[str] = []
    used, shown = 0, 0
    state = " open" if len(findings) <= OPEN_UP_TO else ""
    for path, group in groupby(findings, key=lambda f: f.path):
        items = [_finding_line(f, urls) for f in group]
        block = [f"<details{state}><summary><code>{html.escape(path)}</code> ({len(items)})</summary>", ""]
        kept = []
        for item in items:
            if used + len(item) > budget:
                break
            kept.append(item)
            used += len(item) + 1
        if kept:
            lines += block + kept + ["", "</details>", ""]
            shown += len(kept)
        if len(kept) < len(items):
            break
    return lines, shown


def _findings(report: Report, urls: Dict[str, Optional[str]]) -> List[str]:
    serious = [f for f in report.findings if f.severity != "info"]
    infos = [f for f in report.findings if f.severity == "info"]
    lines, shown = _files(serious, urls, BUDGET)
    if infos:
        budget = BUDGET - sum(len(line) + 1 for line in lines)
        folded, shown_infos = _files(infos, urls, budget)
        if folded:
            lines += [f"<details><summary>{_plural(len(infos), 'info finding')} (suggestions)</summary>", ""]
            lines += folded + ["</details>", ""]
        shown += shown_infos
    left = len(report.findings) - shown
    if left:
        lines += [f"…and {_plural(left, 'more finding')}, left out to fit a comment: "
                  "`fastapi-lint --format text` lists them all.", ""]
    return lines


def render(report: Report, stream: IO[str]) -> None:
    urls = rule_urls(report)
    lines = ["### fastapi-lint", ""]
    if report.findings:
        lines += [_summary_line(report), ""] + _table(report, urls) + [""] + _findings(report, urls)
    else:
        since = f" that {text(report.changes_introduced())} introduced" if report.changes_since else ""
        lines += [f"No findings{since} in {_plural(report.files_checked, 'file')}.", ""]
    if report.baseline_hidden:
        lines += [f"{_plural(report.baseline_hidden, 'known finding')} hidden by the baseline.", ""]
    if report.changes_hidden:
        lines += [text(report.changes_note()), ""]
    if report.errors:
        lines += ["**Errors** (these files or rules were not fully checked):", ""]
        lines += [f"- {text(error)}" for error in report.errors] + [""]
    lines += _link_definitions(report, urls)
    stream.write("\n".join(lines).rstrip("\n") + "\n")
