"""reviewdog's Diagnostic format (``reviewdog -f=rdjson``): review comments on a pull request,
with the safe fixes as one-click suggestions.

rdjson columns are 1-based UTF-8 byte offsets (``a𐐀b``: b is column 6), not the code points
of the other formats. A suggestion replaces one range: a fix with several edits (one that
also adds an import) is left out, since applying only the part inside the diff would break
the code.
"""
from __future__ import annotations

import json
import linecache
import os
from typing import IO, Any, Dict, Optional

from fastapi_lint import HOMEPAGE
from fastapi_lint.reporters import Report
from fastapi_lint.reporters.json import rule_urls
from fastapi_lint.rule import Edit, Finding, Related

SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def _line_text(finding: Finding, line: int) -> str:
    if line == finding.line and finding.source_line:
        return finding.source_line
    return linecache.getline(os.path.abspath(finding.path), line)


def byte_column(line_text: str, column: int) -> int:
    """The 1-based UTF-8 byte column of a 1-based code-point column on ``line_text``."""
    return len(line_text[: column - 1].encode("utf-8", "surrogatepass")) + 1 + max(0, column - 1 - len(line_text))


def _position(finding: Finding, line: int, column: int) -> Dict[str, int]:
    return {"line": line, "column": byte_column(_line_text(finding, line), column)}


def _range(finding: Finding, line: int, column: int, end_line: int, end_column: int) -> Dict[str, Any]:
    end_line = max(end_line, line)
    if end_line == line:
        end_column = max(end_column, column)
    return {"start": _position(finding, line, column), "end": _position(finding, end_line, end_column)}


def _suggestion(finding: Finding, edit: Edit) -> Dict[str, Any]:
    return {"range": _range(finding, edit.line, edit.column, edit.end_line, edit.end_column), "text": edit.content}


def diagnostic(finding: Finding, url: Optional[str]) -> Dict[str, Any]:
    code: Dict[str, str] = {"value": finding.code}
    if url:
        code["url"] = url
    data: Dict[str, Any] = {
        "message": finding.message,
        "location": {"path": finding.path,
                     "range": _range(finding, finding.line, finding.column, finding.end_line, finding.end_column)},
        "severity": SEVERITY.get(finding.severity, "WARNING"),
        "source": {"name": "fastapi-lint", "url": HOMEPAGE},
        "code": code,
    }
    fix = finding.fix
    if fix is not None and fix.applicability == "safe" and len(fix.edits) == 1:
        data["suggestions"] = [_suggestion(finding, fix.edits[0])]
    if finding.related:
        data["related_locations"] = [_related(related) for related in finding.related]
    return data


def _related(related: Related) -> Dict[str, Any]:
    text = linecache.getline(os.path.abspath(related.path), related.line)
    start = {"line": related.line, "column": byte_column(text, related.column)}
    return {"message": related.message, "location": {"path": related.path, "range": {"start": start}}}


def render(report: Report, stream: IO[str]) -> None:
    urls = rule_urls(report)
    payload = {
        "source": {"name": "fastapi-lint", "url": HOMEPAGE},
        "diagnostics": [diagnostic(f, urls.get(f.code)) for f in report.findings],
    }
    json.dump(payload, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
