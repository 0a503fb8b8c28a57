"""GitHub Actions workflow commands: inline annotations on the pull request."""
from __future__ import annotations

from typing import IO

from fastapi_lint.reporters import Report

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(value: str) -> str:
    # as @actions/core's escapeData
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    # as @actions/core's escapeProperty
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, stream: IO[str]) -> None:
    for f in report.findings:
        props = ",".join([
            f"file={_escape_property(f.path)}",
            f"line={f.line}",
            f"col={f.column}",
            f"endLine={f.end_line}",
            f"endColumn={f.end_column}",
            f"title={_escape_property(f'fastapi-lint ({f.code})')}",
        ])
        stream.write(f"::{_LEVEL.get(f.severity, 'warning')} {props}::{_escape_data(f.message)}\n")
