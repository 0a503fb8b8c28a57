"""The code review recipes of the README and docs/integrations.md, run as printed: the
action's workflow against action.yml, the reviewdog workflow's commands and the pre-commit
hook's arguments in real git repositories, and the console commands of the README."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from typing import List

import jsonschema
import pytest
import yaml

from fastapi_lint import HOMEPAGE, __version__
from tests.helpers import REPO

README = os.path.join(REPO, "README.md")
INTEGRATIONS = os.path.join(REPO, "docs", "integrations.md")
ACTION = os.path.join(REPO, "action.yml")
RDJSON_SCHEMA = os.path.join(REPO, "tests", "data", "reviewdog-rdjson-schema.json")
OLD = "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n"  # FAPI101, in main
NEW = "async def read() -> str:\n    with open('x') as handle:\n        return handle.read()\n"  # FAPI104, new
ACTION_NAME = HOMEPAGE.split("github.com/")[1]


def blocks(path: str, language: str) -> List[str]:
    with open(path, encoding="utf-8") as handle:
        return re.findall(rf"^```{language}\n(.*?)^```", handle.read(), re.M | re.S)


def workflows(path: str) -> List[dict]:
    return [doc for doc in map(yaml.safe_load, blocks(path, "yaml")) if isinstance(doc, dict) and "jobs" in doc]


def steps(workflow: dict) -> List[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def git(cwd, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_NOSYSTEM="1")
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def pull_request(tmp_path):
    """A clone on a feature branch that adds a FAPI104 to a project whose main has a FAPI101."""
    upstream = tmp_path / "upstream"
    (upstream / "app").mkdir(parents=True)
    (upstream / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (upstream / "app" / "old.py").write_text(OLD)
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "base")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(upstream), str(work))
    git(work, "checkout", "-q", "-b", "feature")
    (work / "app" / "new.py").write_text(NEW)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feature")
    return work


def fastapi_lint(cwd, args: List[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastapi_lint", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **env))


@pytest.mark.parametrize("document", [README, INTEGRATIONS])
def test_action_workflows_use_known_inputs_with_the_history_and_permission(document):
    with open(ACTION, encoding="utf-8") as handle:
        inputs = set(yaml.safe_load(handle)["inputs"])
    found = [(w, s) for w in workflows(document) for s in steps(w) if s.get("uses", "").startswith(ACTION_NAME + "@")]
    assert found, f"{document} shows no workflow with the action"
    for workflow, step in found:
        assert step["uses"] == f"{ACTION_NAME}@v{__version__}"
        assert set(step.get("with", {})) <= inputs
        (checkout,) = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
        assert checkout["with"]["fetch-depth"] == 0
        (job,) = workflow["jobs"].values()
        assert job["permissions"]["security-events"] == "write"
        on = workflow.get("on", workflow.get(True))
        assert "pull_request" in on


@pytest.mark.parametrize("document", [README, INTEGRATIONS])
def test_reviewdog_workflow_posts_only_the_new_finding(document, pull_request):
    (workflow,) = [w for w in workflows(document) if any("reviewdog" in s.get("run", "") for s in steps(w))]
    (lint,) = [s["run"] for s in steps(workflow) if s.get("run", "").startswith("fastapi-lint ")]
    (post,) = [s["run"] for s in steps(workflow) if s.get("run", "").startswith("reviewdog ")]
    args = shlex.split(os.path.expandvars(lint.replace("$GITHUB_BASE_REF", "main")))[1:]
    done = fastapi_lint(pull_request, args)
    assert done.returncode == 0, done.stderr
    output = args[args.index("--output") + 1]
    payload = json.loads((pull_request / output).read_text())
    with open(RDJSON_SCHEMA, encoding="utf-8") as handle:
        jsonschema.validate(payload, json.load(handle))
    assert [(d["location"]["path"], d["code"]["value"]) for d in payload["diagnostics"]] == [
        (os.path.join("app", "new.py"), "FAPI104")]
    assert "-f=rdjson" in post and post.endswith(f"< {output}")
    assert "pull-requests" in workflow["jobs"]["fastapi-lint"]["permissions"]


def test_precommit_hook_with_new_from_rev_reports_what_the_commit_adds(pull_request):
    configs = [doc for doc in map(yaml.safe_load, blocks(README, "yaml")) if isinstance(doc, dict) and "repos" in doc]
    (hook,) = [h for c in configs for r in c["repos"] for h in r["hooks"] if "--new-from-rev" in h.get("args", [])]
    hooks = yaml.safe_load(open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8"))
    (spec,) = [h for h in hooks if h["id"] == hook["id"]]
    assert spec["entry"] == "fastapi-lint"
    # a staged edit that adds a second blocking call: pre-commit passes the staged files
    (pull_request / "app" / "old.py").write_text(OLD + "\n\nasync def again() -> None:\n    time.sleep(2)\n")
    git(pull_request, "add", "app/old.py")
    done = fastapi_lint(pull_request, [*hook["args"], "app/old.py"])
    assert done.returncode == 1, done.stderr
    assert "app/old.py" in done.stdout and "9:5" in done.stdout and "5:5" not in done.stdout
    assert "Found 1 finding" in done.stdout


def test_readme_code_review_console_commands_run(pull_request):
    with open(README, encoding="utf-8") as handle:
        section = handle.read().split("## Code review", 1)[1].split("\n## ", 1)[0]
    (console,) = re.findall(r"^```console\n(.*?)^```", section, re.M | re.S)
    commands = [line[2:].split("  #")[0].strip() for line in console.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 5
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=pull_request, env=env, capture_output=True, text=True)
        assert done.returncode in (0, 1) and "error" not in done.stderr, (command, done.stderr)
    assert "FAPI104" in (pull_request / "comment.md").read_text()
    assert "FAPI101" not in (pull_request / "comment.md").read_text()


def test_integrations_several_reports_command_runs(pull_request):
    with open(INTEGRATIONS, encoding="utf-8") as handle:
        section = handle.read().split("### Several reports from one run", 1)[1].split("\n## ", 1)[0]
    (console,) = re.findall(r"^```console\n(.*?)^```", section, re.M | re.S)
    (command,) = [line[2:] for line in console.splitlines() if line.startswith("$ ")]
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               GITHUB_STEP_SUMMARY=str(pull_request / "summary.md"))
    done = subprocess.run(["bash", "-c", command], cwd=pull_request, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "Found 2 findings" in done.stdout, done.stderr
    assert len(json.loads((pull_request / "fastapi-lint.sarif").read_text())["runs"][0]["results"]) == 2
    assert (pull_request / "summary.md").read_text().startswith("### fastapi-lint\n\n**2 findings**")
