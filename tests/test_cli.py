"""The command line contract: exit codes, formats, selection, config and one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from fastapi_lint.cli import run

BAD = textwrap.dedent(
    """\
    import time
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def root() -> dict:
        time.sleep(1)
        return {"slept": await app.state.clock()}
    """
)
GOOD = "import asyncio\n\n\nasync def f() -> None:\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    (tmp_path / "app" / "good.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(capsys, *args):
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_codes(project, capsys):
    assert lint(capsys, "app/good.py")[0] == 0
    assert lint(capsys, "app")[0] == 1
    assert lint(capsys, "app", "--exit-zero")[0] == 0


def test_json_contract(project, capsys):
    code, out, _ = lint(capsys, "app", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"version", "findings", "summary"}
    (finding,) = data["findings"]
    assert finding["path"] == os.path.join("app", "bad.py")
    assert (finding["line"], finding["column"], finding["code"]) == (9, 5, "FAPI101")
    assert (finding["end_line"], finding["end_column"]) == (9, 18)
    assert finding["name"] == "blocking-sleep-in-async"
    assert finding["severity"] == "error"
    assert "time.sleep" in finding["message"]
    assert data["summary"]["by_code"] == {"FAPI101": 1}
    assert data["summary"]["files_checked"] == 2


def test_flake8_format(project, capsys):
    _, out, _ = lint(capsys, "app", "--format", "flake8")
    assert out.splitlines() == [f"{os.path.join('app', 'bad.py')}:9:5: FAPI101 " + out.split(" FAPI101 ", 1)[1].strip()]


def test_github_format_escapes(project, capsys):
    (project / "app" / "we,ird:name.py").write_text(BAD)
    _, out, _ = lint(capsys, "app/we,ird:name.py", "--format", "github")
    line = out.strip()
    assert line.startswith("::error file=app/we%2Cird%3Aname.py,line=9,col=5,endLine=9,endColumn=18,")
    assert "title=fastapi-lint (FAPI101)::" in line


def test_text_format_shows_source_and_summary(project, capsys):
    _, out, _ = lint(capsys, "app")
    assert "time.sleep(1)" in out
    assert "FAPI101" in out and "Found 1 finding" in out


def test_output_sorted_regardless_of_argument_order(project, capsys):
    (project / "app" / "another.py").write_text(BAD)
    _, first, _ = lint(capsys, "app/bad.py", "app/another.py", "--format", "flake8")
    _, second, _ = lint(capsys, "app/another.py", "app/bad.py", "--format", "flake8")
    assert first == second
    assert first.splitlines()[0].startswith(os.path.join("app", "another.py"))


def test_select_ignore_by_prefix(project, capsys):
    assert lint(capsys, "app", "--ignore", "FAPI1")[0] == 0
    assert lint(capsys, "app", "--select", "FAPI0")[0] == 0
    assert lint(capsys, "app", "--select", "FAPI0", "--extend-select", "FAPI101")[0] == 1
    # the more specific selector wins
    assert lint(capsys, "app", "--ignore", "FAPI1", "--select", "FAPI101")[0] == 1


def test_unknown_code_is_a_one_line_error(project, capsys):
    code, out, err = lint(capsys, "app", "--select", "FAPI999")
    assert code == 2
    assert err.count("\n") == 1 and "FAPI999" in err and "Traceback" not in err


def test_bad_option_is_a_one_line_error(project, capsys):
    code, _, err = lint(capsys, "--no-such-option")
    assert code == 2
    assert err.strip().startswith("fastapi-lint: error:") and err.count("\n") == 1


def test_bad_config_is_a_one_line_error(project, capsys):
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\nselekt = ['FAPI1']\n")
    code, _, err = lint(capsys, "app")
    assert code == 2 and "selekt" in err and err.count("\n") == 1
    (project / "pyproject.toml").write_text("[tool.fastapi-lint\n")
    code, _, err = lint(capsys, "app")
    assert code == 2 and "invalid TOML" in err


def test_config_select_and_per_file_ignores(project, capsys):
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\nignore = ['FAPI101']\n")
    assert lint(capsys, "app")[0] == 0
    (project / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\n[tool.fastapi-lint.per-file-ignores]\n'app/bad.py' = ['FAPI1']\n"
    )
    assert lint(capsys, "app")[0] == 0
    (project / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\n[tool.fastapi-lint.per-file-ignores]\n'other/*.py' = ['FAPI1']\n"
    )
    assert lint(capsys, "app")[0] == 1


def test_explicit_config_file(project, capsys, tmp_path_factory):
    other = tmp_path_factory.mktemp("cfg") / "pyproject.toml"
    other.write_text("[tool.fastapi-lint]\nselect = ['FAPI0']\n")
    assert lint(capsys, "app", "--config", str(other))[0] == 0
    code, _, err = lint(capsys, "app", "--config", str(other) + ".missing")
    assert code == 2 and "cannot read" in err


def test_exclude_and_gitignore(project, capsys):
    (project / "build").mkdir()
    (project / "build" / "gen.py").write_text(BAD)
    (project / "generated").mkdir()
    (project / "generated" / "gen.py").write_text(BAD)
    (project / ".gitignore").write_text("generated/\n")
    _, out, _ = lint(capsys, ".", "--format", "flake8")
    assert "gen.py" not in out and "bad.py" in out
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\nextend-exclude = ['app']\n")
    assert lint(capsys, ".")[0] == 0


def test_missing_path_is_reported_and_the_run_goes_on(project, capsys):
    code, out, err = lint(capsys, "nope.py", "app", "--format", "flake8")
    assert code == 2
    assert "nope.py: no such file or directory" in err
    assert "FAPI101" in out


def test_stdin_with_filename(project, capsys, monkeypatch):
    import io

    class FakeStdin:
        buffer = io.BytesIO(BAD.encode())

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    code, out, _ = lint(capsys, "--format", "flake8", "--stdin-filename", "app/unsaved.py", "-")
    assert code == 1
    assert out.startswith("app/unsaved.py:9:5: FAPI101 ")


def test_output_file(project, capsys):
    assert lint(capsys, "app", "--output", "report.json", "--format", "json")[0] == 1
    assert json.loads((project / "report.json").read_text())["findings"]
    code, _, err = lint(capsys, "app", "--output", str(project / "missing-dir" / "r.json"))
    assert code == 2 and "cannot write" in err


def test_version_explain_and_list(project, capsys):
    from fastapi_lint import __version__

    code, out, _ = lint(capsys, "--version")
    assert code == 0 and __version__ in out
    code, out, _ = lint(capsys, "--explain", "FAPI101")
    assert code == 0 and "## Why is this bad?" in out and "# FAPI101: blocking-sleep-in-async" in out
    assert lint(capsys, "--explain", "FAPI999")[0] == 2
    code, out, _ = lint(capsys, "--list-rules")
    assert code == 0 and "FAPI101" in out and "blocking-sleep-in-async" in out


def test_list_rules_states_each_rules_precision(project, capsys, monkeypatch):
    import json

    from fastapi_lint import docs

    monkeypatch.setitem(docs.PRECISION, "FAPI101", ("very-high", "measured: 30/30 true"))
    code, out, _ = lint(capsys, "--list-rules")
    line = next(line for line in out.splitlines() if line.startswith("FAPI101"))
    assert code == 0 and "precision:very-high" in line
    code, out, _ = lint(capsys, "--list-rules", "--format", "json")
    entry = next(e for e in json.loads(out) if e["code"] == "FAPI101")
    assert entry["precision"] == "very-high" and entry["precision_basis"] == "measured: 30/30 true"


def test_noqa(project, capsys):
    (project / "app" / "bad.py").write_text(BAD.replace("time.sleep(1)", "time.sleep(1)  # noqa: FAPI101"))
    assert lint(capsys, "app")[0] == 0
    (project / "app" / "bad.py").write_text(BAD.replace("time.sleep(1)", "time.sleep(1)  # noqa: FAPI102"))
    assert lint(capsys, "app")[0] == 1
    (project / "app" / "bad.py").write_text(BAD.replace("time.sleep(1)", "time.sleep(1)  # noqa"))
    assert lint(capsys, "app")[0] == 0
    (project / "app" / "bad.py").write_text("# fastapi-lint: noqa: FAPI1\n" + BAD)
    assert lint(capsys, "app")[0] == 0
    (project / "app" / "bad.py").write_text("# fastapi-lint: noqa\n" + BAD)
    assert lint(capsys, "app")[0] == 0


def test_other_tools_suppressions(project, capsys):
    """`# noqa: ASYNC251` (flake8-async) covers FAPI101 unless other tools are not honoured."""
    (project / "app" / "bad.py").write_text(BAD.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASYNC251"))
    assert lint(capsys, "app")[0] == 0
    assert lint(capsys, "app", "--no-honor-other-tools")[0] == 1
    with open(project / "pyproject.toml", "a") as handle:
        handle.write("honor-other-tools = false\n")
    assert lint(capsys, "app")[0] == 1
    assert lint(capsys, "app", "--honor-other-tools")[0] == 0


def test_console_script_runs(project):
    proc = subprocess.run([sys.executable, "-m", "fastapi_lint", "app", "--format", "flake8"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "FAPI101" in proc.stdout and not proc.stderr
