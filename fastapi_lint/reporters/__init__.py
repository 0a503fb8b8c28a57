"""Output formats. Each module exposes ``render(report, stream)``; reporters never analyse."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import IO, Dict, List, Optional, Tuple, Type

from fastapi_lint.rule import Finding, Rule

FORMATS = ("text", "json", "flake8", "github", "sarif", "markdown", "rdjson")


@dataclass(frozen=True)
class Report:
    findings: Tuple[Finding, ...]
    rules: Tuple[Type[Rule], ...]  # the rules that ran (enabled in this configuration)
    files_checked: int
    root: str
    errors: Tuple[str, ...] = ()
    color: bool = False
    show_source: bool = True
    sarif_category: Optional[str] = None  # SARIF run.automationDetails (GitHub analysis category)
    fixed: int = 0  # findings fixed by --fix in this run
    baseline_hidden: int = 0  # findings hidden because the baseline records them
    baseline_stale: int = 0  # baseline entries that no longer match a finding
    # paths named on the command line that could not be linted (missing, unreadable...)
    path_errors: int = 0
    # a run with findings and neither configuration nor baseline: the text summary shows
    # how to adopt the linter on these paths (as typed on the command line)
    adoption_paths: Optional[str] = None
    quiet: bool = False  # text output: the findings only, no summary
    # --new-from-rev/--new-from-patch: what the findings are new against ("the merge-base
    # with origin/main", "change.diff") and how many older ones were left out
    changes_since: Optional[str] = None
    changes_hidden: int = 0

    def changes_introduced(self) -> str:
        """--new-from-rev/--new-from-patch: what the findings are the new ones of."""
        since = self.changes_since or ""
        return f"the change since {since}" if since.startswith("the merge-base") else since

    def changes_note(self) -> str:
        """The findings --new-from-rev/--new-from-patch left out, and why."""
        count = self.changes_hidden
        are = "is" if count == 1 else "are"
        findings = f"{count} finding{'' if count == 1 else 's'}"
        if (self.changes_since or "").startswith("the merge-base"):
            return f"{findings} {self.changes_since} already had {are} not shown."
        return f"{findings} on lines {self.changes_since} does not add {are} not shown."

    def counts_by_code(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for finding in self.findings:
            counts[finding.code] = counts.get(finding.code, 0) + 1
        return dict(sorted(counts.items()))

    def counts_by_severity(self) -> Dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts


def render(fmt: str, report: Report, stream: IO[str]) -> None:
    module = importlib.import_module(f"fastapi_lint.reporters.{fmt}")
    module.render(report, stream)


def available_formats() -> List[str]:
    return list(FORMATS)
