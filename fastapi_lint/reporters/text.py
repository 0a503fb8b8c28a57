"""Human output with rich: findings grouped by file, the offending line, a summary by rule."""
from __future__ import annotations

from itertools import groupby
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fastapi_lint.reporters import Report

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render(report: Report, stream: IO[str]) -> None:
    console = Console(file=stream, force_terminal=report.color, no_color=not report.color,
                      highlight=False, soft_wrap=True, emoji=False)
    names = {rule.CODE: rule.NAME for rule in report.rules}
    for path, group in groupby(report.findings, key=lambda f: f.path):
        console.print(f"[bold underline]{escape(path)}[/]")
        for f in group:
            style = _STYLE.get(f.severity, "")
            fixable = " [green]\\[*][/]" if f.fix is not None else ""
            console.print(
                f"  [dim]{f.line}:{f.column}[/]  [{style}]{f.code}[/] [{style}]{f.severity}[/]  "
                f"{escape(f.message)}{fixable}"
            )
            if report.show_source and f.source_line.strip():
                source = f.source_line.expandtabs(4).rstrip()
                stripped = source.lstrip()
                caret_at = max(f.column - 1 - (len(source) - len(stripped)), 0)
                console.print(f"      [dim]{escape(stripped)}[/]")
                console.print(" " * (6 + min(caret_at, len(stripped))) + "[bold]^[/]")
        console.print()
    counts = report.counts_by_code()
    if counts:
        table = Table(title=None, show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("count", justify="right")
        table.add_column("code")
        table.add_column("rule")
        for code, count in counts.items():
            table.add_row(str(count), code, names.get(code, ""))
        console.print(table)
        by_sev = report.counts_by_severity()
        fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.applicability == "safe")
        unsafe = sum(1 for f in report.findings if f.fix is not None and f.fix.applicability == "unsafe")
        tail = f", {fixable} fixable with --fix" if fixable else ""
        tail += f", {unsafe} more with --fix --unsafe-fixes" if unsafe else ""
        console.print(
            f"Found {len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} "
            f"({by_sev.get('error', 0)} errors, {by_sev.get('warning', 0)} warnings, "
            f"{by_sev.get('info', 0)} info) in {report.files_checked} file"
            f"{'s' if report.files_checked != 1 else ''}{tail}."
        )
    else:
        console.print(f"[green]All checks passed[/] ({report.files_checked} file{'s' if report.files_checked != 1 else ''} checked).")
    notes = _fix_and_baseline_notes(report)
    if notes:
        console.print(notes)


def _fix_and_baseline_notes(report: Report) -> str:
    """One closing line on what --fix changed and what the baseline hid."""
    notes = []
    if report.fixed:
        notes.append(f"Fixed {report.fixed} finding{'s' if report.fixed != 1 else ''}.")
    if report.baseline_hidden:
        notes.append(f"{report.baseline_hidden} known finding{'s' if report.baseline_hidden != 1 else ''} "
                     "hidden by the baseline.")
    if report.baseline_stale:
        notes.append(f"{report.baseline_stale} baseline entr{'ies' if report.baseline_stale != 1 else 'y'} "
                     "no longer match (shrink it with --write-baseline).")
    return " ".join(notes)
