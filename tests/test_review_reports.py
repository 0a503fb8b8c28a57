"""Code review mode, part 2: the markdown and rdjson reports, and several reports from one run."""
from __future__ import annotations

import json
import os
import textwrap

import jsonschema
import pytest

from fastapi_lint.cli import run
from fastapi_lint.reporters import Report, markdown, rdjson
from fastapi_lint.rule import Edit, Finding, Fix
from tests.helpers import REPO

# reviewdog's own schema, proto/rdf/jsonschema/DiagnosticResult.json of reviewdog/reviewdog
# at 6c307503194f0f32bf1956c7fcd2877636338db6
SCHEMA = os.path.join(REPO, "tests", "data", "reviewdog-rdjson-schema.json")
MAIN = textwrap.dedent(
    """\
    import asyncio
    import time

    from fastapi import FastAPI

    app = FastAPI()


    async def notify(user_id: int) -> None:
        await asyncio.sleep(0)


    @app.post("/items")
    async def ping() -> dict:
        label = "ü"; notify(1)
        time.sleep(1)
        return {}
    """
)  # FAPI111 at 15:18 (a single-edit safe fix), FAPI101 at 16:5


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def output(capsys, *args: str) -> str:
    run(["--no-cache", *args])
    return capsys.readouterr().out


def finding(path: str, line: int, code: str = "FAPI101", message: str = "m", severity: str = "error",
            fix=None) -> Finding:
    return Finding(path, line, 1, code, line, 2, "name", severity, message, "x = 1", fix)


# -- rdjson ---------------------------------------------------------------------------------
def test_rdjson_validates_against_reviewdogs_schema(tree, capsys):
    payload = json.loads(output(capsys, "--format", "rdjson", "."))
    with open(SCHEMA, encoding="utf-8") as handle:
        jsonschema.validate(payload, json.load(handle))
    assert [(d["code"]["value"], d["severity"]) for d in payload["diagnostics"]] == [
        ("FAPI111", "ERROR"), ("FAPI101", "ERROR")]
    assert payload["diagnostics"][1]["code"]["url"].endswith("/rules/FAPI101.md")


def test_rdjson_columns_are_utf8_bytes_and_safe_fixes_are_suggestions(tree, capsys):
    payload = json.loads(output(capsys, "--format", "rdjson", "."))
    unawaited = payload["diagnostics"][0]
    # `ü` is one code point (the other formats' column 18) and two bytes
    assert unawaited["location"] == {"path": os.path.join("app", "main.py"), "range": {
        "start": {"line": 15, "column": 19}, "end": {"line": 15, "column": 28}}}
    assert unawaited["suggestions"] == [{"range": unawaited["location"]["range"], "text": "await notify(1)"}]


def test_rdjson_leaves_out_unsafe_and_multi_edit_fixes():
    edit = Edit(1, 1, 1, 2, "y")
    findings = (finding("a.py", 1, fix=Fix("unsafe", "m", (edit,))),
                finding("a.py", 2, fix=Fix("safe", "m", (edit, Edit(2, 1, 2, 2, "z")))),
                finding("a.py", 3, fix=Fix("safe", "m", (Edit(3, 1, 3, 2, "y"),))))
    diagnostics = [rdjson.diagnostic(f, None) for f in findings]
    assert ["suggestions" in d for d in diagnostics] == [False, False, True]


@pytest.mark.parametrize("line, column, expected", [("a𐐀b", 3, 6), ("abc", 2, 2), ("é", 2, 3), ("ab", 5, 5)])
def test_byte_column(line, column, expected):
    assert rdjson.byte_column(line, column) == expected


# -- markdown -------------------------------------------------------------------------------
def test_markdown_has_a_summary_table_and_findings_by_file_with_rule_links(tree, capsys):
    (tree / "app" / "other.py").write_text("import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n")
    text = output(capsys, "--format", "markdown", ".")
    assert text.startswith("### fastapi-lint\n\n**3 findings** (3 errors, 0 warnings, 0 info) in 2 files")
    assert "| [FAPI101] | blocking-sleep-in-async | error | 2 |" in text
    assert text.endswith("\n[FAPI101]: https://github.com/fastapi-lint/fastapi-lint/blob/main/rules/FAPI101.md\n"
                         "[FAPI111]: https://github.com/fastapi-lint/fastapi-lint/blob/main/rules/FAPI111.md\n")
    main_block = text.index("<code>app/main.py</code> (2)")
    other_block = text.index("<code>app/other.py</code> (1)")
    assert main_block < text.index("- **16:5** [FAPI101]") < other_block < text.index("- **5:5** [FAPI101]")
    assert "<details open>" in text  # few findings: expanded


def test_markdown_puts_errors_and_warnings_first_and_folds_the_infos():
    findings = tuple(finding(f"app/m{i % 3}.py", i, code, severity=severity)
                     for i, (code, severity) in enumerate([("FAPI402", "info")] * 12 + [("FAPI104", "warning")] * 4
                                                          + [("FAPI101", "error")]))
    stream = __import__("io").StringIO()
    markdown.render(Report(tuple(sorted(findings)), (), 3, "."), stream)
    text = stream.getvalue()
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| [FAPI")]
    assert rows == ["[FAPI101]", "[FAPI104]", "[FAPI402]"]  # the table by severity
    # 5 errors and warnings: expanded, before the one block that folds the 12 infos by file
    assert text.count("<details open>") == 3
    folded = text.index("<details><summary>12 info findings (suggestions)</summary>")
    assert text.rindex("<details open>") < folded < text.index("info: m")
    assert text[folded:].count("<details>") == 4 and "<details open>" not in text[folded:]


def test_markdown_escapes_markup_outside_code_spans():
    assert markdown.text("`a|b` __init__ <T> [x]") == "`a|b` \\_\\_init\\_\\_ \\<T\\> \\[x\\]"


def test_markdown_stays_within_a_comment(monkeypatch):
    findings = tuple(finding(f"app/m{i // 50}.py", i % 50 + 1, message="word " * 40) for i in range(2000))
    stream = __import__("io").StringIO()
    markdown.render(Report(findings, (), 40, "."), stream)
    text = stream.getvalue()
    assert len(text) < 65_536
    assert "more findings, left out to fit a comment" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_without_findings(tree, capsys):
    (tree / "app" / "main.py").write_text("x = 1\n")
    assert output(capsys, "--format", "markdown", ".") == "### fastapi-lint\n\nNo findings in 1 file.\n"


# -- several reports from one run -----------------------------------------------------------
def test_one_run_writes_several_reports(tree, capsys):
    # a report that cannot be written stops the run before it lints
    assert run(["--no-cache", "--output-format", "markdown:summary.md,sarif:out/a.sarif", "."]) == 2
    assert "cannot write out/a.sarif" in capsys.readouterr().err
    (tree / "out").mkdir()
    text = output(capsys, "--output-format", "sarif:out/a.sarif", "--output-format",
                  "markdown:summary.md,rdjson:review.json", ".")
    assert "Found 2 findings" in text  # the main report: text on standard output
    for fmt, path in (("sarif", "out/a.sarif"), ("markdown", "summary.md"), ("rdjson", "review.json")):
        alone = output(capsys, "--format", fmt, ".")
        assert (tree / path).read_text(encoding="utf-8") == alone, fmt


def test_output_format_without_path_is_the_main_format(tree, capsys):
    assert json.loads(output(capsys, "--output-format", "json", "."))["summary"]["findings"] == 2


@pytest.mark.parametrize("args, message", [
    (["--output-format", "xml:a.xml"], "unknown format 'xml'"),
    (["--format", "json", "--output-format", "sarif"], "two formats for standard output"),
])
def test_output_format_errors_are_one_line(tree, capsys, args, message):
    assert run(["--no-cache", *args, "."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
