"""One JSON object: version, findings, summary."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import IO, Any, Dict, Optional

from fastapi_lint import __version__, docs
from fastapi_lint.reporters import Report
from fastapi_lint.rule import Finding


def finding_dict(finding: Finding, url: Optional[str] = None) -> Dict[str, Any]:
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
        "url": url,  # the rule's documentation page, as in ruff's JSON (null for plugin rules)
        # the places that explain it, in order (FAPI106's chain, FAPI501's response model)
        "related": [asdict(r) for r in finding.related],
    }
    if finding.fix is not None:
        data["fix"] = {
            "applicability": finding.fix.applicability,
            "message": finding.fix.message,
            "edits": [asdict(edit) for edit in finding.fix.edits],
        }
    return data


def rule_urls(report: Report) -> Dict[str, Optional[str]]:
    from fastapi_lint.registry import all_rules

    rules = dict(all_rules())  # FAPI001/FAPI002 are reported whatever the selection
    rules.update({rule.CODE: rule for rule in report.rules})
    return {code: docs.help_uri(rule) for code, rule in rules.items()}


def render_statistics(report: Report, stream: IO[str]) -> None:
    """--statistics --format json: one object per rule, most frequent first."""
    names = {rule.CODE: rule.NAME for rule in report.rules}
    fixable = {f.code for f in report.findings if f.fix is not None and f.fix.applicability == "safe"}
    counts = report.counts_by_code()
    rows = [{"code": code, "name": names.get(code, ""), "count": count, "fixable": code in fixable}
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    json.dump(rows, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render(report: Report, stream: IO[str]) -> None:
    urls = rule_urls(report)
    payload = {
        "version": __version__,
        "findings": [finding_dict(f, urls.get(f.code)) for f in report.findings],
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
