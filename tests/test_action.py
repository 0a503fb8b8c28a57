"""The GitHub Action (action.yml): its YAML parses, and its shell steps run as the runner
would run them, with the inputs and the github context substituted, on real trees.

The install step really installs this checkout (``pip install "$GITHUB_ACTION_PATH"``, from
the configured package index) into a virtual environment, once for the module.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Dict, List, Optional

import pytest
import yaml

from tests.helpers import REPO

ACTION = os.path.join(REPO, "action.yml")
BLOCKING = "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n"  # FAPI101 (error) on line 5
FILE_IO = "async def read() -> str:\n    with open('x') as handle:\n        return handle.read()\n"  # FAPI104 (warning)
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
_CONDITION = re.compile(r"^inputs\.([\w-]+) == '([^']*)'$")

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None,
                                reason="needs git and bash")


def action() -> dict:
    with open(ACTION, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def defaults() -> Dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}


class Runner:
    """The runner's part: expressions, `if:`, GITHUB_ENV/GITHUB_OUTPUT, bash -eo pipefail."""

    def __init__(self, workspace, runner_temp, inputs: Dict[str, str], base_ref: str = "") -> None:
        self.workspace, self.temp = workspace, runner_temp
        self.inputs = dict(defaults(), **inputs)
        self.github = {"base_ref": base_ref}
        self.env: Dict[str, str] = {}
        self.outputs: Dict[str, Dict[str, str]] = {}
        self.summary = runner_temp / "summary.md"
        self.uploads: List[dict] = []

    def value(self, text: str) -> str:
        def one(match: re.Match) -> str:
            scope, _, name = match.group(1).partition(".")
            if scope == "inputs":
                return self.inputs[name]
            if scope == "github":
                return self.github[name]
            raise AssertionError(f"unexpected expression {match.group(0)}")
        return _EXPRESSION.sub(one, str(text))

    def enabled(self, step: dict) -> bool:
        condition = step.get("if")
        if condition is None:
            return True
        match = _CONDITION.match(condition.strip())
        assert match, f"the test does not understand `if: {condition}`"
        return self.inputs[match.group(1)] == match.group(2)

    def run_step(self, step: dict) -> int:
        env_file, output_file = self.temp / "env", self.temp / "output"
        env_file.write_text("")
        output_file.write_text("")
        env = dict(os.environ, **self.env, GITHUB_ACTION_PATH=REPO, RUNNER_TEMP=str(self.temp),
                   GITHUB_ENV=str(env_file), GITHUB_OUTPUT=str(output_file),
                   GITHUB_STEP_SUMMARY=str(self.summary), GIT_CONFIG_NOSYSTEM="1")
        env.update({key: self.value(value) for key, value in step.get("env", {}).items()})
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=self.workspace, env=env, capture_output=True, text=True)
        self.log = done.stdout + done.stderr
        self.env.update(dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line))
        if "id" in step:
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        return done.returncode

    def run(self, skip_install: Optional[str] = None) -> int:
        """All steps; returns the exit status of the first failing step (0 if none)."""
        for step in action()["runs"]["steps"]:
            if not self.enabled(step):
                continue
            if "uses" in step:
                self.uploads.append({key: self.value(value) for key, value in step["with"].items()})
                continue
            if step["name"].startswith("Install") and skip_install:
                self.env["FASTAPI_LINT"] = skip_install
                continue
            status = self.run_step(step)
            if status != 0:
                return status
        return 0


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> str:
    """The install step, run once: the path of the fastapi-lint it installs."""
    temp = tmp_path_factory.mktemp("runner")
    runner = Runner(temp, temp, {})
    (install,) = [s for s in action()["runs"]["steps"] if s["name"].startswith("Install")]
    assert runner.run_step(install) == 0, runner.log
    executable = runner.env["FASTAPI_LINT"]
    assert executable.startswith(str(temp)) and os.access(executable, os.X_OK)
    return executable


def git(cwd, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_NOSYSTEM="1")
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_action_is_a_composite_that_installs_from_its_own_checkout():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "new-on-pull-request", "config", "args", "upload-sarif"} <= set(spec["inputs"])
    steps = spec["runs"]["steps"]
    assert '"$GITHUB_ACTION_PATH"' in steps[0]["run"]
    (upload,) = [s for s in steps if "uses" in s]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@v")
    # inputs reach the scripts through env:, never spliced into the script text
    assert all("${{" not in s.get("run", "") for s in steps)


def test_on_a_push_it_uploads_every_finding_and_fails(installed, tmp_path):
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    (work / "app" / "main.py").write_text(BLOCKING)
    runner = Runner(work, tmp_path, {})
    assert runner.run(skip_install=installed) == 1, runner.log
    assert runner.outputs["gate"] == {"exit-code": "1"}
    (upload,) = runner.uploads
    log = json.loads((work / upload["sarif_file"]).read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["FAPI101"]
    assert upload["category"] == "fastapi-lint"
    assert "| [FAPI101] |" in runner.summary.read_text()
    assert "app/main.py" in runner.log  # the text report in the job's log


def test_fail_on_and_config_inputs(installed, tmp_path):
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    (work / "app" / "read.py").write_text(FILE_IO)
    (work / "lint.toml").write_text('ignore = ["FAPI101"]\n')
    (work / "app" / "main.py").write_text(BLOCKING)
    runner = Runner(work, tmp_path, {"fail-on": "error", "config": "lint.toml", "upload-sarif": "false"})
    assert runner.run(skip_install=installed) == 0, runner.log
    assert runner.uploads == [] and "FAPI104" in runner.log and "FAPI101" not in runner.log


def test_on_a_pull_request_only_what_it_introduces_counts(installed, tmp_path):
    upstream = tmp_path / "upstream"
    (upstream / "app").mkdir(parents=True)
    (upstream / "app" / "main.py").write_text(BLOCKING)
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "base")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(upstream), str(work))
    git(work, "checkout", "-q", "-b", "feature")
    (work / "app" / "read.py").write_text(FILE_IO)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feature")
    runner = Runner(work, tmp_path, {"sarif-file": "out.sarif"}, base_ref="main")
    assert runner.run(skip_install=installed) == 1, runner.log
    # code scanning gets everything; the gate and the summary only the new warning
    log = json.loads((work / "out.sarif").read_text())
    assert sorted(r["ruleId"] for r in log["runs"][0]["results"]) == ["FAPI101", "FAPI104"]
    summary = runner.summary.read_text()
    assert "| [FAPI104] |" in summary and "FAPI101" not in summary
    runner = Runner(work, tmp_path, {"fail-on": "error", "upload-sarif": "false"}, base_ref="main")
    assert runner.run(skip_install=installed) == 0, runner.log
