"""One JSON object: version, findings, summary."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import IO, Any, Dict

from fastapi_lint import __version__
from fastapi_lint.reporters import Report
from fastapi_lint.rule import Finding


def finding_dict(finding: Finding) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "fix": None,
    }
    if finding.fix is not None:
        data["fix"] = {
            "applicability": finding.fix.applicability,
            "message": finding.fix.message,
            "edits": [asdict(edit) for edit in finding.fix.edits],
        }
    return data


def render(report: Report, stream: IO[str]) -> None:
    payload = {
        "version": __version__,
        "findings": [finding_dict(f) for f in report.findings],
        "summary": {
            "files_checked": report.files_checked,
            "findings": len(report.findings),
            "by_code": report.counts_by_code(),
            "by_severity": report.counts_by_severity(),
            "errors": list(report.errors),
            "fixed": report.fixed,
            "baseline": {"hidden": report.baseline_hidden, "stale": report.baseline_stale},
        },
    }
    json.dump(payload, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
