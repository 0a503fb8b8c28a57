"""``path:line:col: CODE message``: editors and problem matchers."""
from __future__ import annotations

from typing import IO

from fastapi_lint.reporters import Report


def render(report: Report, stream: IO[str]) -> None:
    for f in report.findings:
        stream.write(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n")
