"""A team's first hour: severity order, the first-run hint, blame for bad codes, bad paths,
stdin, and the habits of flake8 and ruff users (issue 15)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from fastapi_lint.cli import run

BAD = textwrap.dedent(
    """\
    import time
    from fastapi import FastAPI, Depends

    app = FastAPI()


    def dep() -> int:
        return 1


    @app.get("/")
    async def root(value: int = Depends(dep)) -> dict:
        time.sleep(1)
        return {}
    """
)


def lint(capsys, *args):
    code = run(["--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def plain_project(tmp_path, monkeypatch):
    """A service with a pyproject.toml but no [tool.fastapi-lint] table."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "service"\ndependencies = ["fastapi>=0.115"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a_main.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- 2: errors and warnings first, a path to adoption ---------------------------------------
def test_text_report_prints_errors_before_infos(plain_project, capsys):
    (plain_project / "app" / "b_other.py").write_text(BAD)
    _, out, _ = lint(capsys, "app")
    lines = out.splitlines()
    errors = [i for i, line in enumerate(lines) if " FAPI101 error " in line]
    infos = [i for i, line in enumerate(lines) if " FAPI402 info " in line]
    assert len(errors) == 2 and len(infos) == 2
    assert max(errors) < min(infos), out
    header = lines.index("Info (2 suggestions):")  # FAPI402 in each file (FAPI110 is preview)
    assert max(errors) < header < min(infos)


def test_first_run_summary_shows_how_to_adopt(plain_project, capsys):
    _, out, _ = lint(capsys, "app")
    assert "fastapi-lint --write-baseline .fastapi-lint-baseline.json app" in out
    assert "--ignore FAPI101" in out or "--ignore FAPI402" in out
    assert "fastapi-lint --diff app" in out  # both findings have a safe fix


def test_adoption_hint_names_the_directory_when_given_many_files(plain_project, capsys):
    names = []
    for number in range(5):
        (plain_project / "app" / f"m{number}.py").write_text(BAD)
        names.append(f"app/m{number}.py")
    _, out, _ = lint(capsys, *names)
    assert "fastapi-lint --write-baseline .fastapi-lint-baseline.json .\n" in out


def test_no_adoption_hint_once_configured(plain_project, capsys):
    (plain_project / "pyproject.toml").write_text('[tool.fastapi-lint]\nignore = ["FAPI110"]\n')
    _, out, _ = lint(capsys, "app")
    assert "FAPI101" in out and "--write-baseline" not in out


def test_summary_says_one_error_not_one_errors(plain_project, capsys):
    _, out, _ = lint(capsys, "app", "--select", "FAPI101")
    assert "(1 error, 0 warnings, 0 info) in 1 file" in out


# -- 3: a bad code is blamed on where it was typed ------------------------------------------
def test_bad_code_on_the_command_line_is_not_blamed_on_pyproject(plain_project, capsys):
    code, _, err = lint(capsys, "--select", "FAPI999", "app")
    assert code == 2
    assert "pyproject.toml" not in err
    assert "--select: unknown rule code or prefix 'FAPI999'" in err


def test_bad_code_in_the_configuration_names_the_file(plain_project, capsys):
    (plain_project / "pyproject.toml").write_text('[tool.fastapi-lint]\nignore = ["FAPI1011"]\n')
    code, _, err = lint(capsys, "app")
    assert code == 2 and "pyproject.toml: unknown rule code or prefix 'FAPI1011' in ignore" in err
    assert "did you mean 'FAPI101'?" in err


def test_misspelled_setting_gets_a_suggestion(plain_project, capsys):
    (plain_project / "pyproject.toml").write_text('[tool.fastapi-lint]\nextend-exclud = ["x"]\n')
    code, _, err = lint(capsys, "app")
    assert code == 2 and "did you mean 'extend-exclude'?" in err


def test_extend_ignore_is_accepted_as_in_flake8_and_ruff(plain_project, capsys):
    (plain_project / "pyproject.toml").write_text(
        '[tool.fastapi-lint]\nignore = ["FAPI110"]\nextend-ignore = ["FAPI402"]\n')
    code, out, _ = lint(capsys, "app", "--format", "flake8")
    assert code == 1 and " FAPI101 " in out and "FAPI402" not in out and "FAPI110" not in out


# -- 4: bad paths never stop the run nor pass silently ---------------------------------------
def test_unreadable_file_named_on_the_command_line_is_fapi002(plain_project, capsys, monkeypatch):
    """As a non-root user: click must not reject the path; the engine reports FAPI002."""
    import builtins

    secret = str(plain_project / "app" / "secret.py")
    (plain_project / "app" / "secret.py").write_text(BAD)
    real_access, real_open = os.access, builtins.open

    def access(path, mode, *args, **kwargs):
        return False if os.fspath(path).endswith("secret.py") else real_access(path, mode, *args, **kwargs)

    def deny(path, *args, **kwargs):
        if isinstance(path, (str, bytes, os.PathLike)) and os.path.abspath(os.fspath(path)) == secret:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(builtins, "open", deny)
    code, out, err = lint(capsys, "--format", "flake8", "--select", "FAPI002,FAPI101", "app/secret.py", "app/a_main.py")
    assert "not readable" not in err
    assert "app/secret.py:1:1: FAPI002 " in out and "app/a_main.py:13:5: FAPI101 " in out, out + err
    assert code == 1


def test_missing_path_does_not_claim_all_checks_passed(plain_project, capsys):
    code, out, err = lint(capsys, "nope.py")
    assert code == 2 and "nope.py: no such file or directory" in err
    assert "All checks passed" not in out
    assert "1 path could not be linted" in out


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loop_does_not_claim_all_checks_passed(plain_project, capsys):
    os.symlink("loop_b", plain_project / "loop_a")
    os.symlink("loop_a", plain_project / "loop_b")
    code, out, err = lint(capsys, "loop_a")
    assert code == 2 and "loop_a:" in err
    assert "All checks passed" not in out


def test_empty_directory_warns_no_python_files(plain_project, capsys):
    (plain_project / "empty").mkdir()
    code, out, err = lint(capsys, "empty")
    assert code == 0
    assert "no Python files found" in err


# -- 5: --stdin-filename reads stdin, as in ruff ---------------------------------------------
def test_stdin_filename_without_dash_reads_stdin(plain_project):
    done = subprocess.run([sys.executable, "-m", "fastapi_lint", "--no-cache", "--format", "flake8",
                           "--select", "FAPI101", "--stdin-filename", "app/unsaved.py"],
                          cwd=plain_project, input=BAD, capture_output=True, text=True)
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0]] and \
        done.stdout.startswith("app/unsaved.py:13:5: FAPI101 "), done.stdout + done.stderr
    assert done.returncode == 1


def test_stdin_filename_with_paths_warns_and_reads_stdin(plain_project):
    done = subprocess.run([sys.executable, "-m", "fastapi_lint", "--no-cache", "--format", "flake8",
                           "--select", "FAPI101", "--stdin-filename", "tests/test_x.py", "app"],
                          cwd=plain_project, input=BAD, capture_output=True, text=True)
    assert done.stdout == "" and done.returncode == 0, done.stdout  # a test file: FAPI101 exempt
    assert "ignoring app" in done.stderr


# -- the suite's summary stays visible -------------------------------------------------------
def test_pytest_addopts_do_not_hide_the_pass_count():
    """`python -m pytest -q` must still end with "N passed": addopts may not add another -q."""
    from tests.helpers import REPO

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        options = tomllib.load(handle)["tool"]["pytest"]["ini_options"]
    addopts = options.get("addopts", "")
    addopts = addopts.split() if isinstance(addopts, str) else list(addopts)
    assert not any(opt.startswith("-q") or opt == "--quiet" for opt in addopts), addopts


def test_interrupt_wrapped_by_class_creation_while_importing_the_cli(monkeypatch, capsys):
    """Ctrl-C landing in a libcst dataclass while `fastapi_lint.cli` is imported: one line, 130."""
    import builtins

    from fastapi_lint import __main__ as entry

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "fastapi_lint.cli":
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as exc:
                raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as stop:
        entry.main()
    assert stop.value.code == 130
    assert capsys.readouterr().err == "fastapi-lint: error: interrupted\n"


# -- polish: the options ruff and flake8 users type ------------------------------------------
@pytest.fixture
def two_dirs(plain_project):
    (plain_project / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = ["FAPI101"]\n')
    (plain_project / "migrations").mkdir()
    (plain_project / "migrations" / "m.py").write_text(BAD)
    return plain_project


def test_exclude_and_extend_exclude_on_the_command_line(two_dirs, capsys):
    _, out, _ = lint(capsys, "--format", "flake8", "--extend-exclude", "migrations", ".")
    assert "app/a_main.py" in out and "migrations" not in out
    _, out, _ = lint(capsys, "--format", "flake8", "--exclude", "app,migrations", ".")
    assert out == ""


def test_show_files_lists_what_would_be_linted(two_dirs, capsys):
    code, out, _ = lint(capsys, "--show-files", "--extend-exclude", "migrations", ".")
    assert code == 0 and out.splitlines() == [os.path.join("app", "a_main.py")]


def test_statistics_counts_per_rule(plain_project, capsys):
    code, out, _ = lint(capsys, "--statistics", "--select", "FAPI101,FAPI402,FAPI110", "app")
    assert code == 1
    assert out.splitlines() == ["1\tFAPI101\t[*] blocking-sleep-in-async",
                                "1\tFAPI110\t    async-route-without-await",
                                "1\tFAPI402\t[*] depends-without-annotated"]
    import json

    _, out, _ = lint(capsys, "--statistics", "--format", "json", "--select", "FAPI101", "app")
    assert json.loads(out) == [{"code": "FAPI101", "name": "blocking-sleep-in-async", "count": 1, "fixable": True}]


def test_quiet_prints_findings_without_summary(plain_project, capsys):
    code, out, _ = lint(capsys, "-q", "--select", "FAPI101", "app")
    assert code == 1 and "FAPI101" in out
    assert "Found" not in out and "write-baseline" not in out and "count" not in out


def test_jobs_zero_means_all_cpus(plain_project, capsys):
    code, out, err = lint(capsys, "--jobs", "0", "--format", "flake8", "--select", "FAPI101", "app")
    assert code == 1 and " FAPI101 " in out, err


def test_explain_accepts_a_rule_name_and_json(capsys):
    import json

    assert run(["--explain", "blocking-sleep-in-async"]) == 0
    assert "# FAPI101: blocking-sleep-in-async" in capsys.readouterr().out
    assert run(["--explain", "FAPI101", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "FAPI101" and data["name"] == "blocking-sleep-in-async"
    assert data["explanation"].startswith("# FAPI101") and data["url"].endswith("/rules/FAPI101.md")


def test_list_rules_shows_what_the_selection_enables(plain_project, capsys):
    import json

    assert run(["--list-rules", "--select", "FAPI101"]) == 0
    lines = {line.split()[0]: line.split()[2] for line in capsys.readouterr().out.splitlines()}
    assert lines["FAPI101"] == "on" and lines["FAPI102"] == "off"
    (plain_project / "pyproject.toml").write_text('[tool.fastapi-lint]\nignore = ["FAPI102"]\n')
    assert run(["--list-rules", "--format", "json"]) == 0
    rules = {r["code"]: r for r in json.loads(capsys.readouterr().out)}
    assert rules["FAPI101"]["enabled"] and not rules["FAPI102"]["enabled"]
    assert not rules["FAPI113"]["enabled"]  # preview


def test_json_findings_carry_the_rule_page_url(plain_project, capsys):
    import json

    _, out, _ = lint(capsys, "--format", "json", "--select", "FAPI101", "app")
    (finding,) = json.loads(out)["findings"]
    assert finding["url"] == "https://github.com/fastapi-lint/fastapi-lint/blob/main/rules/FAPI101.md"


# -- --add-noqa -----------------------------------------------------------------------------
NOQA_SOURCE = (
    "import time\n"
    "from fastapi import Depends, FastAPI\n"
    "\n"
    "app = FastAPI()\n"
    "\n"
    "\n"
    "def dep() -> int:\n"
    "    return 1\n"
    "\n"
    "\n"
    "@app.get('/')\n"
    "async def root(value: int = Depends(dep)) -> dict:  # keep: a comment\n"
    "    time.sleep(1)  # noqa: E501\n"
    "    time.sleep(2)\n"
    "    return {}\n"
)


def test_add_noqa_silences_every_current_finding(plain_project, capsys):
    path = plain_project / "app" / "a_main.py"
    path.write_bytes(NOQA_SOURCE.replace("\n", "\r\n").encode())
    # FAPI110 (preview) is selected so that one line gets two codes
    before = lint(capsys, "--format", "flake8", "--extend-select", "FAPI110", "app")[1].splitlines()
    assert len(before) >= 4
    code, _, err = lint(capsys, "--add-noqa", "--extend-select", "FAPI110", "app")
    assert code == 0 and f"added {len(before)} noqa comments to 1 file" in err, err
    text = path.read_bytes().decode()
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # line endings kept
    lines = text.splitlines()
    assert lines[11].endswith("# keep: a comment  # noqa: FAPI110, FAPI402")
    assert lines[12] == "    time.sleep(1)  # noqa: E501, FAPI101"
    assert lines[13] == "    time.sleep(2)  # noqa: FAPI101"
    assert lint(capsys, "--format", "flake8", "--extend-select", "FAPI110", "app")[:2] == (0, "")


def test_add_noqa_leaves_lines_inside_strings_alone(plain_project, capsys):
    from fastapi_lint.add_noqa import add_to_text
    from fastapi_lint.rule import Finding

    text = 'x = f"""\n{value}\n"""\ny = 1\n'

    def at(line):
        return Finding("a.py", line, 1, "FAPI999", line, 2, "n", "error", "m", "")

    new, added, skipped = add_to_text(text, [at(2), at(4)])
    assert (added, skipped) == (1, 1)
    assert new == 'x = f"""\n{value}\n"""\ny = 1  # noqa: FAPI999\n'


# -- FAPI003 unused-noqa (opt-in, like ruff's RUF100) ----------------------------------------
UNUSED_NOQA = (
    "import time\n"
    "\n"
    "\n"
    "async def handler() -> None:\n"
    "    time.sleep(1)  # noqa: FAPI101\n"          # used
    "    time.sleep(2)  # noqa: FAPI101, FAPI104\n"  # FAPI104 unused
    "    x = 1  # noqa: FAPI101\n"                   # unused
    "    y = 2  # noqa: FAPI1999, E501\n"            # unknown; E501 is another tool's
    "    z = 3  # noqa\n"                            # bare: left alone
    "    await handler()\n"
)


def test_unused_noqa_is_off_by_default(plain_project, capsys):
    (plain_project / "app" / "a_main.py").write_text(UNUSED_NOQA)
    _, out, _ = lint(capsys, "--format", "flake8", "app")
    assert "FAPI003" not in out


def test_unused_noqa_reports_unused_and_unknown_codes(plain_project, capsys):
    (plain_project / "app" / "a_main.py").write_text(UNUSED_NOQA)
    code, out, _ = lint(capsys, "--format", "flake8", "--select", "FAPI101,FAPI104,FAPI003", "app")
    assert code == 1
    assert out.splitlines() == [
        "app/a_main.py:6:20: FAPI003 Unused `noqa` directive (unused: `FAPI104`)",
        "app/a_main.py:7:12: FAPI003 Unused `noqa` directive (unused: `FAPI101`)",
        "app/a_main.py:8:12: FAPI003 Unused `noqa` directive (unknown: `FAPI1999`)",
    ]
    # the same through stdin (editors) and without the rule that a code names
    done = subprocess.run([sys.executable, "-m", "fastapi_lint", "--format", "flake8", "--select", "FAPI003",
                           "--stdin-filename", "app/a_main.py"], cwd=plain_project, input=UNUSED_NOQA,
                          capture_output=True, text=True)
    assert "app/a_main.py:5:20: FAPI003 Unused `noqa` directive (non-enabled: `FAPI101`)" in done.stdout


def test_unused_noqa_leaves_other_tools_codes_alone(plain_project, capsys):
    # `# noqa: S608` / `# nosec` are ruff's and bandit's: that they also hide FAPI302 does not
    # make them fastapi-lint directives that FAPI003 could call unused (ruff's RUF100 owns them)
    (plain_project / "app" / "a_main.py").write_text(
        "def f(db):\n"
        "    db.execute('SELECT 1')  # noqa: S608\n"
        "    db.execute('SELECT 2')  # nosec B608\n"
        "    db.execute('SELECT 3')  # noqa: S608, FAPI302\n"
    )
    _, out, _ = lint(capsys, "--format", "flake8", "--select", "FAPI302,FAPI003", "app")
    assert out == "app/a_main.py:4:29: FAPI003 Unused `noqa` directive (unused: `FAPI302`)\n"


def test_unused_file_level_noqa(plain_project, capsys):
    (plain_project / "app" / "a_main.py").write_text("# fastapi-lint: noqa: FAPI101\nx = 1\n")
    _, out, _ = lint(capsys, "--format", "flake8", "--select", "FAPI101,FAPI003", "app")
    assert out == "app/a_main.py:1:1: FAPI003 Unused file-level `noqa` directive (unused: `FAPI101`)\n"
