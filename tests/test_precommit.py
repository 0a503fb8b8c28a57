"""The pre-commit hook as users run it: `pre-commit try-repo` against a throwaway git repo.

pre-commit installs the hook from this checkout into its own environment (from PyPI), so
this test needs network access to the package index; it is skipped when pre-commit is
missing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import REPO

BAD = "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def handler() -> None:\n    await asyncio.sleep(1)\n"


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory):
    """A committed snapshot of this repository (try-repo needs a git repo with the hook file)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    src = tmp_path_factory.mktemp("hook-src")
    ignore = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", ".fastapi_lint_cache",
                                    ".pytest_cache", ".hypothesis", "fixtures", "bench")
    shutil.copytree(REPO, src / "repo", ignore=ignore)
    repo = src / "repo"
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One hook environment for the module: pre-commit installs it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(hook_source, home, tmp_path, files):
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed")
    work = tmp_path / "user-repo"
    work.mkdir()
    _git(work, "init", "-q")
    for name, text in files.items():
        (work / name).write_text(text)
    _git(work, "add", "-A")
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_source), "fastapi-lint", "--all-files"],
        cwd=work, capture_output=True, text=True, env=env, timeout=600,
    )


def test_hook_fails_on_bad_code(hook_source, pre_commit_home, tmp_path):
    proc = _try_repo(hook_source, pre_commit_home, tmp_path, {"bad.py": BAD, "good.py": GOOD})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAPI101" in proc.stdout and "bad.py" in proc.stdout


def test_hook_passes_on_good_code(hook_source, pre_commit_home, tmp_path):
    proc = _try_repo(hook_source, pre_commit_home, tmp_path, {"good.py": GOOD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
