"""Editors and CI: the flake8 plugin, the stdin round trip, and the documented snippets."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from typing import List

import pytest
import yaml

from fastapi_lint.cli import run
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Default
from tests.helpers import FIXTURES, REPO

DOC = os.path.join(REPO, "docs", "integrations.md")
README = os.path.join(REPO, "README.md")
BAD = textwrap.dedent(
    """\
    import time
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def root() -> dict:
        time.sleep(1)
        return {}
    """
)
# fixtures that parse (flake8 reports unparsable files itself, as E999)
SINGLE_FILE_FIXTURES = sorted(
    name for name in os.listdir(FIXTURES)
    if re.fullmatch(r"FAPI\d{3}(_[\w-]+)?\.py", name) and not name.startswith(("FAPI001", "FAPI002"))
)


def flake8(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", "--enable-extensions", "FAP", "--select", "FAPI",
                           *args], cwd=cwd, capture_output=True, text=True)


def cli_lines(capsys, *args: str) -> List[str]:
    run(["--format", "flake8", "--no-cache", *args])
    return capsys.readouterr().out.splitlines()


def test_flake8_plugin_is_registered():
    done = subprocess.run([sys.executable, "-m", "flake8", "--enable-extensions", "FAP", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "fastapi-lint" in done.stdout


def test_flake8_prints_what_fastapi_lint_prints_on_fapi101(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    done = flake8(REPO, "fixtures/FAPI101.py")
    expected = cli_lines(capsys, "fixtures/FAPI101.py")
    assert expected and done.stdout.splitlines() == expected, done.stderr


def test_flake8_matches_on_every_fixture(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    paths = [f"fixtures/{name}" for name in SINGLE_FILE_FIXTURES]
    done = flake8(REPO, *paths)
    expected = [line for path in paths for line in cli_lines(capsys, path)]
    assert expected and sorted(done.stdout.splitlines()) == sorted(expected), done.stderr


def test_flake8_respects_project_config_and_preview(tmp_path, capsys, monkeypatch):
    """preview, ignore and per-file-ignores from pyproject.toml reach the plugin."""
    with_fixture = [code for code in all_rules() if any(n.startswith(code) for n in SINGLE_FILE_FIXTURES)]
    ignored = next((code for code in with_fixture if code != "FAPI101"), "FAPI002")
    preview = [code for code in with_fixture if all_rules()[code].DEFAULT is Default.PREVIEW and code != ignored]
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(
        f"""\
        [tool.fastapi-lint]
        preview = true
        ignore = ["{ignored}"]
        per-file-ignores = {{ "app/quiet.py" = ["FAPI101"] }}
        """
    ))
    (tmp_path / "app").mkdir()
    names = []
    # the fixtures of the preview rules and of the ignored one (all fixtures: the test above)
    for name in [n for n in SINGLE_FILE_FIXTURES if n.startswith((ignored, *preview))]:
        shutil.copy(os.path.join(FIXTURES, name), tmp_path / "app" / name)
        names.append(f"app/{name}")
    (tmp_path / "app" / "loud.py").write_text(BAD)
    (tmp_path / "app" / "quiet.py").write_text(BAD)
    names += ["app/loud.py", "app/quiet.py"]
    monkeypatch.chdir(tmp_path)
    done = flake8(tmp_path, *names)
    expected = [line for path in names for line in cli_lines(capsys, path)]
    assert sorted(done.stdout.splitlines()) == sorted(expected), done.stderr
    assert any(line.startswith("app/loud.py:9:5: FAPI101") for line in expected)
    assert not any(line.startswith("app/quiet.py:9:5: FAPI101") for line in expected)
    assert not any(f" {ignored} " in line for line in expected)
    for code in preview:
        assert any(f" {code} " in line for line in expected), code


def test_flake8_columns_are_code_points(tmp_path):
    (tmp_path / "main.py").write_text(BAD.replace("time.sleep(1)", "é = 'ü'; time.sleep(1)"), encoding="utf-8")
    done = flake8(tmp_path, "--select", "FAPI101", "main.py")
    assert done.stdout.startswith("main.py:9:14: FAPI101 "), done.stdout + done.stderr


def test_flake8_plugin_honours_a_coding_cookie(tmp_path):
    source = "# -*- coding: latin-1 -*-\n" + BAD.replace("time.sleep(1)", "x = 'é'; time.sleep(1)")
    (tmp_path / "main.py").write_bytes(source.encode("latin-1"))
    done = flake8(tmp_path, "--select", "FAPI101", "main.py")
    assert done.stdout.startswith("main.py:10:14: FAPI101 "), done.stdout + done.stderr


def test_flake8_plugin_reports_a_bad_configuration_on_line_1(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = ["NOPE"]\n')
    (tmp_path / "main.py").write_text(BAD)
    done = flake8(tmp_path, "--select", "FAPI,E999", "main.py")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines() == [
        "main.py:1:1: FAPI000 fastapi-lint configuration error: "
        f"{tmp_path / 'pyproject.toml'}: unknown rule code or prefix 'NOPE' in select"
    ]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fastapi-lint]\nselect = ["FAPI101"]\nper-file-ignores = { "tests/**" = ["FAPI101"] }\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fastapi_lint(cwd, *args: str, stdin: str = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastapi_lint", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True)


def test_stdin_round_trip_prints_the_given_path(project):
    on_disk = fastapi_lint(project, "--format", "flake8", "--no-cache", "app/main.py")
    piped = fastapi_lint(project, "--format", "flake8", "--stdin-filename", "app/main.py", "-",
                         stdin=BAD.replace("return {}", "return {}  # unsaved edit"))
    assert piped.returncode == 1, piped.stderr
    assert piped.stdout == on_disk.stdout
    assert piped.stdout.startswith("app/main.py:9:5: FAPI101 ")


def test_stdin_filename_selects_the_configuration(project):
    """--stdin-filename decides per-file-ignores: the buffer is a test file here."""
    piped = fastapi_lint(project, "--format", "flake8", "--stdin-filename", "tests/test_main.py", "-", stdin=BAD)
    assert (piped.returncode, piped.stdout) == (0, ""), piped.stderr


def test_stdin_without_filename_and_flake8_stdin(project):
    piped = fastapi_lint(project, "--format", "flake8", "-", stdin=BAD)
    assert piped.stdout.startswith("-:9:5: FAPI101 ")
    done = subprocess.run([sys.executable, "-m", "flake8", "--enable-extensions", "FAP", "--select", "FAPI", "--stdin-display-name",
                           "app/main.py", "-"], cwd=project, input=BAD, capture_output=True, text=True)
    assert done.stdout.startswith("app/main.py:9:5: FAPI101 "), done.stdout + done.stderr


# -- the documented snippets ----------------------------------------------------------------
def doc_blocks(language: str, path: str = DOC) -> List[str]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def yaml_blocks() -> List[str]:
    """The YAML of docs/integrations.md and of the README (which the lead writes)."""
    return doc_blocks("yaml") + doc_blocks("yaml", README)


def workflows() -> List[dict]:
    return [doc for doc in map(yaml.safe_load, yaml_blocks()) if "jobs" in doc]


def steps(workflow: dict) -> List[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def lint_commands(workflow: dict) -> List[str]:
    return [step["run"] for step in steps(workflow) if step.get("run", "").startswith("fastapi-lint ")]


def test_every_yaml_block_parses():
    assert len(doc_blocks("yaml")) >= 3
    blocks = yaml_blocks()
    for block in blocks:
        assert isinstance(yaml.safe_load(block), dict)


@pytest.mark.parametrize("document", [DOC, README])
def test_code_scanning_workflow_uploads_sarif_with_permission(document):
    found = [doc for doc in map(yaml.safe_load, doc_blocks("yaml", document)) if "jobs" in doc]
    uploads = [w for w in found if any("upload-sarif" in s.get("uses", "") for s in steps(w))]
    if document == README and not uploads:
        pytest.skip("the README shows no code scanning workflow")
    (workflow,) = uploads
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in on
    (command,) = lint_commands(workflow)
    args = shlex.split(command)
    assert "--format" in args and args[args.index("--format") + 1] == "sarif"
    assert "--exit-zero" in args or "|| true" in command
    (upload,) = [s for s in steps(workflow) if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@v")
    assert upload["with"]["sarif_file"] == args[args.index("--output") + 1]
    assert steps(workflow).index(upload) > [s.get("run") for s in steps(workflow)].index(command)


def test_annotation_workflow_uses_github_format():
    found = [w for w in workflows() if any("--format github" in c for c in lint_commands(w))]
    assert found
    for workflow in found:
        assert all("upload-sarif" not in s.get("uses", "") for s in steps(workflow))


def test_precommit_snippet_names_the_hook():
    configs = [doc for doc in map(yaml.safe_load, yaml_blocks()) if "repos" in doc]
    assert configs
    hooks = yaml.safe_load(open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8"))
    for config in configs:
        assert config["repos"][0]["hooks"][0]["id"] in {hook["id"] for hook in hooks}


def test_documented_commands_run(project, tmp_path, capsys):
    """Each fastapi-lint command of the workflows works on a project with a finding."""
    # the --new-from-rev recipes need a git history: tests/test_review_docs.py runs them
    commands = [c for w in workflows() for c in lint_commands(w) if "--new-from-rev" not in c]
    assert commands
    for command in commands:
        args = shlex.split(command.split("||")[0])[1:]
        code = run(args)
        out = capsys.readouterr().out
        assert code == (0 if "--exit-zero" in args else 1), command
        if "--output" in args:
            log = json.loads((project / args[args.index("--output") + 1]).read_text())
            assert log["runs"][0]["results"]
        else:
            assert out.startswith("::error file=app/main.py,line=9,col=5")


def problem_matcher_read(pattern: List[dict], output: str) -> List[dict]:
    """VS Code's multi-line matcher: the first pattern, then the last one in a loop."""
    (first, loop) = pattern
    assert loop.get("loop") is True and "loop" not in first
    problems, lines, i = [], output.splitlines(), 0
    while i < len(lines):
        head = re.match(first["regexp"], lines[i])
        i += 1
        while head and i < len(lines):
            match = re.match(loop["regexp"], lines[i])
            if match is None:
                break
            problems.append({key: match.group(loop[key]) for key in ("line", "column", "code", "severity", "message")}
                            | {"file": head.group(first["file"])})
            i += 1
    return problems


def test_vscode_problem_matcher_reads_each_severity(project, capsys):
    (tasks, settings) = [json.loads(block) for block in doc_blocks("json")]
    (task,) = tasks["tasks"]
    args = shlex.split(task["command"])[1:]
    (project / "app" / "info.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/')\nasync def root() -> dict:\n    return {}\n"
    )
    (project / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = ["FAPI101", "FAPI110"]\n')
    assert run(args) == 0
    problems = problem_matcher_read(task["problemMatcher"]["pattern"], capsys.readouterr().out)
    assert [(p["file"], p["line"], p["column"], p["code"], p["severity"]) for p in problems] == [
        ("app/main.py", "9", "5", "FAPI101", "error"),  # errors and warnings come before infos
        ("app/info.py", "7", "11", "FAPI110", "info"), ("app/main.py", "8", "11", "FAPI110", "info"),
    ]
    assert problems[0]["message"].startswith("`time.sleep()`")


def test_vscode_flake8_extension_settings_enable_the_plugin_with_severities():
    (_tasks, settings) = [json.loads(block) for block in doc_blocks("json")]
    assert settings["flake8.importStrategy"] == "fromEnvironment"
    assert settings["flake8.args"] == ["--enable-extensions=FAP"]
    names = {"error": "Error", "warning": "Warning", "info": "Information"}
    assert settings["flake8.severity"] == {code: names[rule.SEVERITY.value] for code, rule in all_rules().items()}


def test_flake8_plugin_is_off_until_enabled(tmp_path):
    """Installing fastapi-lint must not change a plain flake8 run."""
    (tmp_path / "main.py").write_text(BAD)
    plain = subprocess.run([sys.executable, "-m", "flake8", "main.py"], cwd=tmp_path, capture_output=True, text=True)
    assert "FAPI" not in plain.stdout, plain.stdout
    (tmp_path / "setup.cfg").write_text("[flake8]\nenable-extensions = FAP\n")
    enabled = subprocess.run([sys.executable, "-m", "flake8", "main.py"], cwd=tmp_path, capture_output=True, text=True)
    assert "main.py:9:5: FAPI101 " in enabled.stdout, enabled.stdout + enabled.stderr


def test_vim_errorformat_matches_the_flake8_format():
    (vim, _ale) = doc_blocks("vim")
    assert "makeprg=fastapi-lint\\ --format\\ flake8" in vim
    assert "errorformat=%f:%l:%c:\\ %m" in vim


def emacs_command(block: str, buffer_file: str) -> List[str]:
    command = re.search(r'python-flymake-command\s+\(list (.*?)\)\)', block, re.S).group(1)
    command = command.replace('(or buffer-file-name "stdin.py")', f'"{buffer_file}"')
    command = command.replace('(or buffer-file-name "stdin")', f'"{buffer_file}"')
    return shlex.split(command)


def emacs_pattern(block: str) -> str:
    elisp_regexp = re.search(r'\(list "(.*?)" 1 2 nil 3\)', block).group(1)
    return elisp_regexp.replace("\\\\", "\\").replace(r"\(", "(").replace(r"\)", ")")


def test_emacs_pattern_reads_stdin_output(project):
    (direct, via_flake8) = doc_blocks("elisp")
    pattern = emacs_pattern(direct)
    buffer_file = str(project / "app" / "main.py")
    done = fastapi_lint(project, *emacs_command(direct, buffer_file)[1:], stdin=BAD)
    assert done.returncode == 0
    match = re.match(pattern, done.stdout.splitlines()[0])
    assert match and match.group(1, 2) == ("9", "5") and match.group(3).startswith("FAPI101 ")
    args = emacs_command(via_flake8, buffer_file)
    done = subprocess.run([sys.executable, "-m", *args], cwd=project, input=BAD, capture_output=True, text=True)
    match = re.match(pattern, done.stdout.splitlines()[0])
    assert match and match.group(1, 2) == ("9", "5") and match.group(3).startswith("FAPI101 ")


def test_emacs_recipes_pass_the_buffer_name_so_test_exemptions_apply(project):
    """A test file's buffer gets the test-code exemptions (per-file-ignores here)."""
    (direct, via_flake8) = doc_blocks("elisp")
    test_file = str(project / "tests" / "test_main.py")
    done = fastapi_lint(project, *emacs_command(direct, test_file)[1:], stdin=BAD)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", *emacs_command(via_flake8, test_file)], cwd=project,
                          input=BAD, capture_output=True, text=True)
    assert done.stdout == "", done.stdout + done.stderr
