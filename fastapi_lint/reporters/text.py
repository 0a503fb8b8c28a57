"""Human output with rich: findings grouped by file with the offending line, errors and
warnings before infos, a summary by rule, and on a first run the way to adopt the linter."""
from __future__ import annotations

from itertools import groupby
from typing import IO, List, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fastapi_lint.reporters import Report
from fastapi_lint.rule import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def render(report: Report, stream: IO[str]) -> None:
    console = Console(file=stream, force_terminal=report.color, no_color=not report.color,
                      highlight=False, soft_wrap=True, emoji=False)
    names = {rule.CODE: rule.NAME for rule in report.rules}
    # what fails a review comes first: infos (style suggestions) would bury it on a first run
    serious = [f for f in report.findings if f.severity != "info"]
    infos = [f for f in report.findings if f.severity == "info"]
    _print_findings(console, report, serious)
    if infos:
        if serious:
            console.print(f"[bold]Info[/] ({_plural(len(infos), 'suggestion')}):")
            console.print()
        _print_findings(console, report, infos)
    if report.quiet:
        return
    counts = report.counts_by_code()
    if counts:
        table = Table(title=None, show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("count", justify="right")
        table.add_column("code")
        table.add_column("rule")
        table.add_column("severity")
        severities = {f.code: f.severity for f in report.findings}
        for code, count in counts.items():
            table.add_row(str(count), code, names.get(code, ""), severities.get(code, ""))
        console.print(table)
        by_sev = report.counts_by_severity()
        fixable = _fixable(report.findings, "safe")
        unsafe = _fixable(report.findings, "unsafe")
        tail = f", {fixable} fixable with --fix" if fixable else ""
        tail += f", {unsafe} more with --fix --unsafe-fixes" if unsafe else ""
        console.print(
            f"Found {_plural(len(report.findings), 'finding')} "
            f"({_plural(by_sev.get('error', 0), 'error')}, {_plural(by_sev.get('warning', 0), 'warning')}, "
            f"{by_sev.get('info', 0)} info) in {_plural(report.files_checked, 'file')}{tail}."
        )
    elif report.path_errors:
        # never "All checks passed" when a named path was not linted at all
        console.print(f"No findings in {_plural(report.files_checked, 'file')} checked, but "
                      f"{_plural(report.path_errors, 'path')} could not be linted (see the errors above).")
    else:
        console.print(f"[green]All checks passed[/] ({_plural(report.files_checked, 'file')} checked).")
    notes = _fix_and_baseline_notes(report)
    if notes:
        console.print(notes)
    if report.findings and report.adoption_paths is not None:
        console.print(_adoption_hint(report, names))


def render_statistics(report: Report, stream: IO[str]) -> None:
    """--statistics: one line per rule, most frequent first (ruff's and flake8's habit)."""
    names = {rule.CODE: rule.NAME for rule in report.rules}
    counts = report.counts_by_code()
    fixable = {f.code for f in report.findings if f.fix is not None and f.fix.applicability == "safe"}
    width = max((len(str(count)) for count in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        mark = "[*]" if code in fixable else "   "
        stream.write(f"{count:>{width}}\t{code}\t{mark} {names.get(code, '')}\n")


def _print_findings(console: Console, report: Report, findings: Sequence[Finding]) -> None:
    for path, group in groupby(findings, key=lambda f: f.path):
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
            for related in f.related:  # rustc's and ruff's way of pointing elsewhere
                console.print(f"      [dim]= note:[/] {escape(related.path)}:{related.line}:{related.column}: "
                              f"{escape(related.message)}")
        console.print()


def _fixable(findings: Sequence[Finding], applicability: str) -> int:
    return sum(1 for f in findings if f.fix is not None and f.fix.applicability == applicability)


def _adoption_hint(report: Report, names) -> str:
    """A first run (no configuration, no baseline): how to adopt the linter on existing code."""
    paths = report.adoption_paths or "."
    counts = report.counts_by_code()
    most = max(counts, key=lambda code: (counts[code], code))
    lines: List[str] = [
        "",
        "[bold]Adopting fastapi-lint on existing code?[/]",
        f"  fastapi-lint --write-baseline .fastapi-lint-baseline.json {escape(paths)}",
        "      records today's findings; with baseline = \".fastapi-lint-baseline.json\" in",
        escape("      [tool.fastapi-lint] (pyproject.toml), later runs report only new ones."),
        escape(f"  ignore = [\"{most}\"] in [tool.fastapi-lint], or --ignore {most}"),
        f"      turns a rule off ({most} {escape(names.get(most, ''))}: {counts[most]} of these findings).",
    ]
    fixable = _fixable(report.findings, "safe")
    if fixable:
        lines += [
            f"  fastapi-lint --diff {escape(paths)}",
            f"      shows what --fix would change ({_plural(fixable, 'finding')}) without writing anything.",
        ]
    return "\n".join(lines)


def _fix_and_baseline_notes(report: Report) -> str:
    """One closing line on what --fix changed and what the baseline hid."""
    notes = []
    if report.fixed:
        notes.append(f"Fixed {_plural(report.fixed, 'finding')}.")
    if report.baseline_hidden:
        notes.append(f"{_plural(report.baseline_hidden, 'known finding')} hidden by the baseline.")
    if report.changes_hidden:
        notes.append(report.changes_note())
    if report.baseline_stale:
        notes.append(f"{_plural(report.baseline_stale, 'baseline entry', 'baseline entries')} "
                     f"no longer match{'es' if report.baseline_stale == 1 else ''} (shrink it with --write-baseline).")
    return " ".join(notes)
