"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``) and SARIF viewers.

Paths are URIs relative to the repository root (``%SRCROOT%``), columns are code points, and
each result carries a fingerprint that survives lines moving, so GitHub keeps an alert's
identity (and its dismissal) across commits.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Optional, Tuple, Type
from urllib.parse import quote

from fastapi_lint import HOMEPAGE, __version__, docs
from fastapi_lint.reporters import Report
from fastapi_lint.rule import Finding, Fix, Rule, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "fastapi-lint/v1"
# GitHub matches alerts across commits and pull requests by partialFingerprints; upload-sarif
# adds its own primaryLocationLineHash (a hash of the line and its neighbours), which two
# findings of one rule on one line share: this one tells them apart and ignores line moves
PARTIAL_FINGERPRINT_KEY = "fastapiLintFindingHash/v1"
MAX_DESCRIPTION = 1024  # GitHub's limit for shortDescription/fullDescription
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def repository_root(*starts: str) -> str:
    """The first directory holding ``.git`` at or above one of ``starts``; else the working directory."""
    for start in starts:
        directory = os.path.abspath(start)
        while True:
            if os.path.exists(os.path.join(directory, ".git")):
                return directory
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return os.getcwd()


def artifact_location(path: str, root: str) -> Dict[str, str]:
    """A percent-encoded URI relative to ``%SRCROOT%``, or an absolute file URI outside it."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        relative = os.pardir
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(relative.replace(os.sep, "/"), safe="/"), "uriBaseId": SRCROOT}


def _directory_uri(directory: str) -> str:
    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _plain(markdown_text: str) -> str:
    """Markdown to readable plain text: no heading marks or fences, links spelled out, code indented."""
    lines, in_code = [], False
    for line in markdown_text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            lines.append("    " + line if line else line)
        else:
            lines.append(_LINK.sub(r"\1 (\2)", line[3:] if line.startswith("## ") else line))
    return "\n".join(lines)


def _help_markdown(rule: Type[Rule]) -> str:
    parts = [f"## {title}\n\n{body}" for title, body in docs.sections(rule).items()]
    uri = docs.help_uri(rule)
    if uri:
        parts.append(f"[{rule.CODE} documentation]({uri})")
    return "\n\n".join(parts)


def _full_description(rule: Type[Rule]) -> str:
    found = docs.sections(rule)
    text = " ".join(found.get(title, "") for title in ("What it does", "Why is this bad?"))
    return _clip(re.sub(r"\s+", " ", _plain(text)).strip() or rule.NAME)


def rule_descriptor(rule: Type[Rule]) -> Dict[str, Any]:
    help_markdown = _help_markdown(rule)
    properties: Dict[str, Any] = {"tags": docs.tags(rule)[:10], "precision": docs.precision(rule)}
    score = docs.security_severity(rule)
    if score is not None:
        properties["security-severity"] = f"{score:.1f}"
    descriptor: Dict[str, Any] = {
        "id": rule.CODE,
        "name": rule.NAME,
        "shortDescription": {"text": _clip(docs.summary(rule) or rule.NAME)},
        "fullDescription": {"text": _full_description(rule)},
        "help": {"text": _plain(help_markdown) or rule.NAME, "markdown": help_markdown or rule.NAME},
        "defaultConfiguration": {"level": rule.SEVERITY.sarif_level},
        "properties": properties,
    }
    uri = docs.help_uri(rule)
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _region(line: int, column: int, end_line: int, end_column: int) -> Dict[str, int]:
    end_line = max(end_line, line)
    if end_line == line:
        end_column = max(end_column, column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fix(fix: Fix, location: Dict[str, str]) -> Dict[str, Any]:
    note = " (unsafe: review the change)" if fix.applicability == "unsafe" else ""
    return {
        "description": {"text": fix.message + note},
        "artifactChanges": [{
            "artifactLocation": location,
            "replacements": [
                {"deletedRegion": _region(e.line, e.column, e.end_line, e.end_column),
                 "insertedContent": {"text": e.content}}
                for e in fix.edits
            ],
        }],
    }


def fingerprint(finding: Finding, uri: str, occurrence: int) -> str:
    """Identity of a finding that ignores where its line is and how it is indented."""
    text = " ".join(finding.source_line.split())
    key = "\0".join((finding.code, uri, text, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _result(finding: Finding, rule_index: Optional[int], location: Dict[str, str], occurrence: int,
            related_location: Callable[[str], Dict[str, str]]) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "ruleId": finding.code,
        "level": Severity(finding.severity).sarif_level,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": location,
            "region": _region(finding.line, finding.column, finding.end_line, finding.end_column),
        }}],
    }
    identity = fingerprint(finding, location["uri"], occurrence)
    result["fingerprints"] = {FINGERPRINT_KEY: identity}
    result["partialFingerprints"] = {PARTIAL_FINGERPRINT_KEY: identity}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix, location)]
    if finding.related:
        result["relatedLocations"] = [
            {"id": number, "message": {"text": related.message}, "physicalLocation": {
                "artifactLocation": related_location(related.path),
                "region": {"startLine": related.line, "startColumn": related.column}}}
            for number, related in enumerate(finding.related, 1)]
    return result


def _rules_of(report: Report) -> List[Type[Rule]]:
    """The rules that ran, plus any rule a finding names that is not among them."""
    rules = list(report.rules)
    codes = {rule.CODE for rule in rules}
    missing = sorted({f.code for f in report.findings} - codes)
    if missing:
        from fastapi_lint.registry import all_rules

        known = all_rules()
        rules.extend(known[code] for code in missing if code in known)
    return rules


def sarif_log(report: Report, root: Optional[str] = None) -> Dict[str, Any]:
    root = root or repository_root(report.root, os.getcwd())
    rules = _rules_of(report)
    index = {rule.CODE: i for i, rule in enumerate(rules)}
    seen: Dict[Tuple[str, str, str], int] = {}
    results = []
    for finding in report.findings:
        location = artifact_location(finding.path, root)
        key = (finding.code, location["uri"], " ".join(finding.source_line.split()))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        results.append(_result(finding, index.get(finding.code), location, occurrence,
                               lambda path: artifact_location(path, root)))
    invocation: Dict[str, Any] = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in report.errors
        ]
    run: Dict[str, Any] = {
        "tool": {"driver": {
            "name": "fastapi-lint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": HOMEPAGE,
            "rules": [rule_descriptor(rule) for rule in rules],
        }},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.sarif_category:
        # GitHub: the category is everything before the last "/" of the id
        run["automationDetails"] = {"id": report.sarif_category.rstrip("/") + "/"}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, stream: IO[str]) -> None:
    json.dump(sarif_log(report), stream, indent=2)
    stream.write("\n")
