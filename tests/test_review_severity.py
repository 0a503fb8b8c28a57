"""Code review mode, part 1: --fail-on decides the exit status, --min-severity what is shown."""
from __future__ import annotations

import json
import textwrap

import pytest

from fastapi_lint.cli import run

INFO = textwrap.dedent(
    """\
    from fastapi import Depends, FastAPI

    app = FastAPI()


    def dep() -> int:
        return 1


    @app.get("/x")
    def x(v: int = Depends(dep)) -> int:
        return v
    """
)  # FAPI402 (info) on line 11
WARNING = textwrap.dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/y")
    async def y() -> str:
        with open("data.txt") as handle:
            return handle.read()
    """
)  # FAPI104 (warning) on line 8


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "info.py").write_text(INFO)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(capsys, *args: str):
    status = run(["--no-cache", "--format", "json", *args])
    return status, [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]


def test_fail_on_warning_passes_infos_and_fails_a_warning(tree, capsys):
    assert codes(capsys, "--fail-on", "warning", ".") == (0, ["FAPI402"])
    (tree / "app" / "warn.py").write_text(WARNING)
    assert codes(capsys, "--fail-on", "warning", ".") == (1, ["FAPI402", "FAPI104"])
    assert codes(capsys, "--fail-on", "error", ".") == (0, ["FAPI402", "FAPI104"])


def test_fail_on_info_is_the_default(tree, capsys):
    assert codes(capsys, ".") == (1, ["FAPI402"])
    assert codes(capsys, "--fail-on", "info", ".") == (1, ["FAPI402"])


def test_min_severity_hides_lower_findings_and_they_do_not_fail(tree, capsys):
    (tree / "app" / "warn.py").write_text(WARNING)
    assert codes(capsys, "--min-severity", "warning", ".") == (1, ["FAPI104"])
    assert codes(capsys, "--min-severity", "error", ".") == (0, [])


def test_both_settings_in_config_and_the_command_line_wins(tree, capsys):
    (tree / "pyproject.toml").write_text('[tool.fastapi-lint]\nfail-on = "warning"\nmin-severity = "info"\n')
    assert codes(capsys, ".") == (0, ["FAPI402"])
    assert codes(capsys, "--fail-on", "info", ".") == (1, ["FAPI402"])
    (tree / "pyproject.toml").write_text('[tool.fastapi-lint]\nmin-severity = "warning"\n')
    assert codes(capsys, ".") == (0, [])


@pytest.mark.parametrize("setting", ["fail-on", "min-severity"])
def test_a_bad_value_in_config_is_one_line_exit_2(tree, capsys, setting):
    (tree / "pyproject.toml").write_text(f'[tool.fastapi-lint]\n{setting} = "high"\n')
    assert run(["--no-cache", "."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and setting in err and "error, warning or info" in err


def test_show_settings_prints_both(tree, capsys):
    (tree / "pyproject.toml").write_text('[tool.fastapi-lint]\nfail-on = "error"\n')
    assert run(["--show-settings", "--min-severity", "warning", "."]) == 0
    out = capsys.readouterr().out
    assert "fail on: error" in out and "minimum severity shown: warning" in out


def test_exit_zero_still_wins(tree, capsys):
    (tree / "app" / "warn.py").write_text(WARNING)
    assert codes(capsys, "--fail-on", "warning", "--exit-zero", ".")[0] == 0
