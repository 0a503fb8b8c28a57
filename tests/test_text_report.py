"""The text report: plain text to a pipe, the same text styled on a terminal."""
from __future__ import annotations

import io
import re

from fastapi_lint.registry import all_rules
from fastapi_lint.reporters import Report
from fastapi_lint.reporters import text
from fastapi_lint.rule import Finding, Fix, Related

_RULES = tuple(all_rules().values())


def _finding(code: str, message: str, severity: str = "error", fix: bool = False, related=()) -> Finding:
    return Finding("app/main.py", 3, 5, code, 3, 9, "name", severity, message, "    time.sleep(1)",
                   Fix("safe", "fix it", ()) if fix else None, tuple(related))


def _render(report: Report) -> str:
    out = io.StringIO()
    text.render(report, out)
    return out.getvalue()


def test_findings_and_summary_as_plain_text() -> None:
    report = Report((_finding("FAPI101", "blocking call", fix=True),
                     _finding("FAPI406", "swallowed", severity="warning",
                              related=[Related("app/deps.py", 7, 1, "the dependency")])), _RULES, 2, "/r")
    assert _render(report) == (
        "app/main.py\n"
        "  3:5  FAPI101 error  blocking call [*]\n"
        "      time.sleep(1)\n"
        "      ^\n"
        "  3:5  FAPI406 warning  swallowed\n"
        "      time.sleep(1)\n"
        "      ^\n"
        "      = note: app/deps.py:7:1: the dependency\n"
        "\n"
        "count  code     rule                                 severity\n"
        "    1  FAPI101  blocking-sleep-in-async              error   \n"
        "    1  FAPI406  yield-dependency-swallows-exception  warning \n"
        "Found 2 findings (1 error, 1 warning, 0 info) in 2 files, 1 fixable with --fix.\n"
    )


def test_the_summary_never_truncates_a_rule_name_on_a_narrow_terminal(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    out = _render(Report((_finding("FAPI406", "swallowed"),), _RULES, 1, "/r"))
    assert "yield-dependency-swallows-exception  error" in out


def test_text_that_looks_like_markup_is_written_as_it_is() -> None:
    message = r"[bold]not bold[/] \[x] ends with \\"
    out = _render(Report((_finding("FAPI101", message),), _RULES, 1, "/r", quiet=True))
    assert f"FAPI101 error  {message}\n" in out


def test_a_terminal_gets_the_same_text_styled() -> None:
    report = Report((_finding("FAPI101", "blocking call", fix=True),), _RULES, 1, "/r", adoption_paths=".")
    plain = _render(report)
    styled = _render(Report(**{**report.__dict__, "color": True}))
    assert "\x1b[" in styled
    assert re.sub(r"\x1b\[[0-9;]*m", "", styled) == plain
    assert "Adopting fastapi-lint on existing code?" in plain
