"""The pre-commit hook as users configure it: the README's snippets, run by pre-commit.

The README points `repo:` at this project's home and `rev:` at the release tag
`v<__version__>`. The test builds a throwaway clone of this checkout, creates that tag in
it, and has git fetch the home URL from the clone (`url.<clone>.insteadOf`), so the snippet
runs exactly as printed, with no network access to GitHub. pre-commit installs the hook
into its own environment with pip (from the configured package index); the tests are
skipped when pre-commit or git is missing.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest
import yaml

from fastapi_lint import HOMEPAGE, __version__
from tests.helpers import REPO

BAD = "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def handler() -> None:\n    await asyncio.sleep(1)\n"
README = os.path.join(REPO, "README.md")
INTEGRATIONS = os.path.join(REPO, "docs", "integrations.md")


def _git(cwd, *args, env=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def precommit_configs(path: str) -> List[dict]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)
    return [doc for doc in map(yaml.safe_load, blocks) if isinstance(doc, dict) and "repos" in doc]


def readme_config(kind: str) -> dict:
    """The README's pre-commit configuration pinned to a release (`remote`) or `local`."""
    for config in precommit_configs(README):
        is_local = config["repos"][0]["repo"] == "local"
        if is_local == (kind == "local"):
            return config
    raise AssertionError(f"README.md has no {kind} pre-commit snippet")


@pytest.mark.parametrize("document", [README, INTEGRATIONS])
def test_snippet_pins_the_release_tag_of_this_version(document):
    remote = [c for c in precommit_configs(document) if c["repos"][0]["repo"] != "local"]
    assert remote
    for config in remote:
        (repo,) = config["repos"]
        assert repo["repo"] == HOMEPAGE
        assert repo["rev"] == f"v{__version__}"


def test_readme_pip_install_from_git_names_the_release_tag():
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    urls = re.findall(r"pip install (git\+\S+)", text)
    assert urls and all(url == f"git+{HOMEPAGE}@v{__version__}" for url in urls), urls
    assert "pip install fastapi-lint" not in text or "published" in text


@pytest.fixture(scope="module")
def release_clone(tmp_path_factory):
    """A git clone of this checkout (working tree as it is) with the release tag created."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    src = tmp_path_factory.mktemp("hook-src")
    ignore = shutil.ignore_patterns(".git", ".venv*", "*.egg-info", "__pycache__", ".fastapi_lint_cache",
                                    ".pytest_cache", ".hypothesis", "fixtures", "bench")
    shutil.copytree(REPO, src / "repo", ignore=ignore)
    repo = src / "repo"
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot")
    _git(repo, "tag", f"v{__version__}")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One hook environment for the module: pre-commit installs it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def redirected_env(clone, home) -> Dict[str, str]:
    """git fetches HOMEPAGE from the local clone (pre-commit passes GIT_CONFIG_* through)."""
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), GIT_CONFIG_COUNT="1",
               GIT_CONFIG_KEY_0=f"url.{clone.as_uri()}.insteadOf", GIT_CONFIG_VALUE_0=HOMEPAGE)
    bin_dir = os.path.dirname(sys.executable)  # `language: system` finds this fastapi-lint
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _run_pre_commit(config: dict, env: Dict[str, str], tmp_path, files: Dict[str, str]):
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed")
    work = tmp_path / "user-repo"
    work.mkdir()
    _git(work, "init", "-q")
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    for name, text in files.items():
        (work / name).write_text(text)
    _git(work, "add", "-A")
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"],
                          cwd=work, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("kind", ["remote", "local"])
def test_readme_hook_fails_on_bad_code(kind, release_clone, pre_commit_home, tmp_path):
    env = redirected_env(release_clone, pre_commit_home)
    proc = _run_pre_commit(readme_config(kind), env, tmp_path, {"bad.py": BAD, "good.py": GOOD})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAPI101" in proc.stdout and "bad.py" in proc.stdout


@pytest.mark.parametrize("kind", ["remote", "local"])
def test_readme_hook_passes_on_good_code(kind, release_clone, pre_commit_home, tmp_path):
    env = redirected_env(release_clone, pre_commit_home)
    proc = _run_pre_commit(readme_config(kind), env, tmp_path, {"good.py": GOOD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fastapi-lint" in proc.stdout and "Passed" in proc.stdout


def test_readme_pip_install_from_git_builds_the_release(release_clone, tmp_path):
    """`pip install git+HOMEPAGE@vX.Y.Z` resolves the tag and builds (dependencies left out)."""
    env = redirected_env(release_clone, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                           str(tmp_path / "target"), f"git+{HOMEPAGE}@v{__version__}"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "target" / "fastapi_lint" / "cli.py").exists()
