"""Human output: findings grouped by file with the offending line, errors and warnings
before infos, a summary by rule, and on a first run the way to adopt the linter.

Lines are built as (text, style) pieces: written as they are without color (pre-commit,
CI logs, a pipe), where importing rich would be a tenth of a one-file run, and styled by
rich on a terminal. The summary table never wraps, as ruff's lines do not."""
from __future__ import annotations

from itertools import groupby
from typing import IO, List, Sequence, Tuple

from fastapi_lint.reporters import Report
from fastapi_lint.rule import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

Piece = Tuple[str, str]  # text, rich style ("" for none)
Line = List[Piece]


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def render(report: Report, stream: IO[str]) -> None:
    lines = _lines(report)
    if report.color:
        _write_styled(lines, stream)
    else:
        # tabs as rich writes them: to the next multiple of 8 columns
        stream.write("".join("".join(text for text, _ in line).expandtabs(8) + "\n" for line in lines))


def _write_styled(lines: Sequence[Line], stream: IO[str]) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True, emoji=False)
    for line in lines:
        console.print(Text.assemble(*line))


def _lines(report: Report) -> List[Line]:
    lines: List[Line] = []
    names = {rule.CODE: rule.NAME for rule in report.rules}
    # what fails a review comes first: infos (style suggestions) would bury it on a first run
    serious = [f for f in report.findings if f.severity != "info"]
    infos = [f for f in report.findings if f.severity == "info"]
    _finding_lines(lines, report, serious)
    if infos:
        if serious:
            lines.append([("Info", "bold"), (f" ({_plural(len(infos), 'suggestion')}):", "")])
            lines.append([])
        _finding_lines(lines, report, infos)
    if report.quiet:
        return lines
    counts = report.counts_by_code()
    if counts:
        severities = {f.code: f.severity for f in report.findings}
        rows = [[str(count), code, names.get(code, ""), severities.get(code, "")] for code, count in counts.items()]
        lines.extend(_table(["count", "code", "rule", "severity"], rows, right=(0,)))
        by_sev = report.counts_by_severity()
        fixable = _fixable(report.findings, "safe")
        unsafe = _fixable(report.findings, "unsafe")
        tail = f", {fixable} fixable with --fix" if fixable else ""
        tail += f", {unsafe} more with --fix --unsafe-fixes" if unsafe else ""
        lines.append([(
            f"Found {_plural(len(report.findings), 'finding')} "
            f"({_plural(by_sev.get('error', 0), 'error')}, {_plural(by_sev.get('warning', 0), 'warning')}, "
            f"{by_sev.get('info', 0)} info) in {_plural(report.files_checked, 'file')}{tail}.", "")])
    elif report.path_errors:
        # never "All checks passed" when a named path was not linted at all
        lines.append([(f"No findings in {_plural(report.files_checked, 'file')} checked, but "
                       f"{_plural(report.path_errors, 'path')} could not be linted (see the errors above).", "")])
    else:
        lines.append([("All checks passed", "green"), (f" ({_plural(report.files_checked, 'file')} checked).", "")])
    notes = _fix_and_baseline_notes(report)
    if notes:
        lines.append([(notes, "")])
    if report.findings and report.adoption_paths is not None:
        lines.extend(_adoption_hint(report, names))
    return lines


def _table(header: List[str], rows: List[List[str]], right: Tuple[int, ...]) -> List[Line]:
    """Columns two spaces apart, each as wide as its widest cell (the last padded too, as
    rich lays a table out), the header in bold."""
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

    def cells(row: List[str], style: str) -> Line:
        line: Line = []
        for column, (cell, width) in enumerate(zip(row, widths)):
            if column:
                line.append(("  ", ""))
            pad = " " * (width - len(cell))
            if column in right:
                line.extend([(pad, ""), (cell, style)])
            else:
                line.extend([(cell, style), (pad, "")])
        return line

    return [cells(header, "bold")] + [cells(row, "") for row in rows]


def render_statistics(report: Report, stream: IO[str]) -> None:
    """--statistics: one line per rule, most frequent first (ruff's and flake8's habit)."""
    names = {rule.CODE: rule.NAME for rule in report.rules}
    counts = report.counts_by_code()
    fixable = {f.code for f in report.findings if f.fix is not None and f.fix.applicability == "safe"}
    width = max((len(str(count)) for count in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        mark = "[*]" if code in fixable else "   "
        stream.write(f"{count:>{width}}\t{code}\t{mark} {names.get(code, '')}\n")


def _finding_lines(lines: List[Line], report: Report, findings: Sequence[Finding]) -> None:
    for path, group in groupby(findings, key=lambda f: f.path):
        lines.append([(path, "bold underline")])
        for f in group:
            style = _STYLE.get(f.severity, "")
            line: Line = [("  ", ""), (f"{f.line}:{f.column}", "dim"), ("  ", ""), (f.code, style), (" ", ""),
                          (f.severity, style), ("  ", ""), (f.message, "")]
            if f.fix is not None:
                line += [(" ", ""), ("[*]", "green")]
            lines.append(line)
            if report.show_source and f.source_line.strip():
                source = f.source_line.expandtabs(4).rstrip()
                stripped = source.lstrip()
                caret_at = max(f.column - 1 - (len(source) - len(stripped)), 0)
                lines.append([("      ", ""), (stripped, "dim")])
                lines.append([(" " * (6 + min(caret_at, len(stripped))), ""), ("^", "bold")])
            for related in f.related:  # rustc's and ruff's way of pointing elsewhere
                lines.append([("      ", ""), ("= note:", "dim"),
                              (f" {related.path}:{related.line}:{related.column}: {related.message}", "")])
        lines.append([])


def _fixable(findings: Sequence[Finding], applicability: str) -> int:
    return sum(1 for f in findings if f.fix is not None and f.fix.applicability == applicability)


def _adoption_hint(report: Report, names) -> List[Line]:
    """A first run (no configuration, no baseline): how to adopt the linter on existing code."""
    paths = report.adoption_paths or "."
    counts = report.counts_by_code()
    most = max(counts, key=lambda code: (counts[code], code))
    texts: List[str] = [
        f"  fastapi-lint --write-baseline .fastapi-lint-baseline.json {paths}",
        "      records today's findings; with baseline = \".fastapi-lint-baseline.json\" in",
        "      [tool.fastapi-lint] (pyproject.toml), later runs report only new ones.",
        f"  ignore = [\"{most}\"] in [tool.fastapi-lint], or --ignore {most}",
        f"      turns a rule off ({most} {names.get(most, '')}: {counts[most]} of these findings).",
    ]
    fixable = _fixable(report.findings, "safe")
    if fixable:
        texts += [
            f"  fastapi-lint --diff {paths}",
            f"      shows what --fix would change ({_plural(fixable, 'finding')}) without writing anything.",
        ]
    return [[], [("Adopting fastapi-lint on existing code?", "bold")]] + [[(text, "")] for text in texts]


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
