"""Code review mode, part 3: --new-from-rev and --new-from-patch on real git repositories."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import textwrap
from typing import List, Tuple

import pytest

from fastapi_lint.changes import added_lines
from fastapi_lint.cli import run

ROUTES = textwrap.dedent(
    """\
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/a")
    async def a() -> dict:
        time.sleep(1)
        return {}


    @app.get("/b")
    async def b() -> dict:
        time.sleep(2)
        return {}
    """
)  # FAPI101 on lines 10 and 16
NEW_ROUTE = textwrap.dedent(
    """\


    @app.get("/c")
    async def c() -> dict:
        time.sleep(3)
        return {}
    """
)
SERVICE = textwrap.dedent(
    """\
    from fastapi import FastAPI

    from app.helpers import price

    app = FastAPI()


    @app.get("/price")
    async def get_price() -> dict:
        return {"price": price()}
    """
)  # price() on line 10
HELPER = "def price() -> float:\n    return 1.0\n"
BLOCKING_HELPER = "import time\n\n\ndef price() -> float:\n    time.sleep(1)\n    return 1.0\n"


def git(cwd, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit(repo, files: dict, message: str = "change") -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {"pyproject.toml": "[tool.fastapi-lint]\n", "app/__init__.py": "", "app/routes.py": ROUTES})
    monkeypatch.chdir(root)
    return root


def lint(capsys, *args: str) -> Tuple[int, List[Tuple[str, int, str]], str]:
    status = run(["--format", "json", *args])
    out, err = capsys.readouterr()
    findings = json.loads(out)["findings"] if out else []
    return status, [(f["path"], f["line"], f["code"]) for f in findings], err


def test_one_new_finding_among_shifted_old_ones(repo, capsys):
    shifted = "\n".join(f"# line {i}" for i in range(50)) + "\n" + ROUTES + NEW_ROUTE
    commit(repo, {"app/routes.py": shifted})
    status, found, _ = lint(capsys, "--new-from-rev", "HEAD~1", ".")
    assert (status, found) == (1, [(os.path.join("app", "routes.py"), 72, "FAPI101")])
    # without the option, the shifted old findings are all there
    assert len(lint(capsys, ".")[1]) == 3


def test_from_a_branch_against_main(repo, capsys):
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"app/routes.py": ROUTES + NEW_ROUTE})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app/other.py": "import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n"})
    git(repo, "checkout", "-q", "feature")
    # main's own new finding (after the merge-base) is not the branch's
    assert lint(capsys, "--new-from-rev", "main", ".")[:2] == (1, [(os.path.join("app", "routes.py"), 22, "FAPI101")])


def test_a_helper_change_that_makes_an_unchanged_route_block(repo, capsys):
    commit(repo, {"app/service.py": SERVICE, "app/helpers.py": HELPER})
    commit(repo, {"app/helpers.py": BLOCKING_HELPER})
    status, found, _ = lint(capsys, "--new-from-rev", "HEAD~1", ".")
    assert (status, found) == (1, [(os.path.join("app", "service.py"), 10, "FAPI106")])


def test_a_commit_that_only_removes_findings_reports_nothing(repo, capsys):
    commit(repo, {"app/routes.py": ROUTES.replace("    time.sleep(2)\n", "")})
    assert lint(capsys, "--new-from-rev", "HEAD~1", ".")[:2] == (0, [])


def test_uncommitted_changes_count_and_the_repository_is_left_as_it_was(repo, capsys):
    (repo / "app" / "routes.py").write_text(ROUTES + NEW_ROUTE)
    (repo / "app" / "untracked.py").write_text("import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n")
    before = (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), temporary_trees())
    status, found, _ = lint(capsys, "--new-from-rev", "HEAD", ".")
    assert (status, sorted(found)) == (1, [(os.path.join("app", "routes.py"), 22, "FAPI101"),
                                           (os.path.join("app", "untracked.py"), 5, "FAPI101")])
    after = (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), temporary_trees())
    assert after == before


def test_linting_a_subdirectory_from_a_subdirectory(repo, capsys, monkeypatch):
    commit(repo, {"app/routes.py": ROUTES + NEW_ROUTE})
    monkeypatch.chdir(repo / "app")
    assert lint(capsys, "--new-from-rev", "HEAD~1", ".")[:2] == (1, [("routes.py", 22, "FAPI101")])


def test_a_new_directory_is_all_new(repo, capsys):
    commit(repo, {"svc/main.py": ROUTES})
    status, found, _ = lint(capsys, "--new-from-rev", "HEAD~1", "svc")
    assert (status, [line for _, line, _ in found]) == (1, [10, 16])


def temporary_trees() -> List[str]:
    return sorted(name for name in os.listdir(tempfile.gettempdir()) if name.startswith("fastapi-lint-base-"))


def one_line_error(capsys, *args: str) -> str:
    assert run(["--format", "json", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_missing_ref(repo, capsys):
    assert "unknown revision 'nope'" in one_line_error(capsys, "--new-from-rev", "nope", ".")


def test_not_a_git_repository(tmp_path, capsys, monkeypatch):
    (tmp_path / "main.py").write_text(ROUTES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert "not a git repository" in one_line_error(capsys, "--new-from-rev", "main", ".")


def test_a_shallow_clone_without_the_merge_base(repo, tmp_path, capsys, monkeypatch):
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"app/routes.py": ROUTES + NEW_ROUTE})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app/other.py": "x = 1\n"})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", "--branch", "feature",
        f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    err = one_line_error(capsys, "--new-from-rev", "origin/main", ".")
    assert "shallow" in err and "fetch-depth: 0" in err
    assert "fetch-depth: 0" in one_line_error(capsys, "--new-from-rev", "HEAD~1", ".")


def test_stdin_and_both_options_are_usage_errors(repo, capsys):
    assert "--new-from-rev" in one_line_error(capsys, "--new-from-rev", "HEAD", "-")
    (repo / "p.diff").write_text("")
    assert "not both" in one_line_error(capsys, "--new-from-rev", "HEAD", "--new-from-patch", "p.diff", ".")
    for rewrite in ("--fix", "--diff", "--add-noqa"):
        assert "not with --new-from-rev" in one_line_error(capsys, "--new-from-rev", "HEAD", rewrite, ".")


# -- --new-from-patch -----------------------------------------------------------------------
def test_new_from_patch_reports_the_findings_on_added_lines(repo, capsys):
    (repo / "app" / "routes.py").write_text(ROUTES.replace("time.sleep(2)", "time.sleep(20)") + NEW_ROUTE)
    (repo / "change.diff").write_text(git(repo, "diff") + "\n")
    status, found, _ = lint(capsys, "--new-from-patch", "change.diff", ".")
    assert (status, [line for _, line, _ in found]) == (1, [16, 22])


def test_new_from_patch_a_missing_file(repo, capsys):
    assert "cannot read nope.diff" in one_line_error(capsys, "--new-from-patch", "nope.diff", ".")


def test_added_lines_of_a_unified_diff():
    diff = textwrap.dedent(
        """\
        diff --git a/app/x.py b/app/x.py
        --- a/app/x.py
        +++ b/app/x.py
        @@ -1,3 +1,4 @@
         a
        -b
        +++b
        +c
         d
        @@ -10 +11,2 @@
        +e
        +f
        diff --git a/gone.py b/gone.py
        --- a/gone.py
        +++ /dev/null
        @@ -1 +0,0 @@
        -x
        --- plain.py\t2024-01-01
        +++ plain.py\t2024-01-02
        @@ -0,0 +1 @@
        +y
        """
    )
    assert added_lines(diff) == {"app/x.py": {2, 3, 11, 12}, "plain.py": {1}}


def test_the_temporary_tree_is_removed_when_the_base_run_fails(repo, capsys, monkeypatch):
    from fastapi_lint import changes

    before = temporary_trees()
    seen = []

    def failing(findings, root):
        seen.append(os.path.isdir(root))
        raise RuntimeError("boom")

    monkeypatch.setattr(changes.baseline, "keys", failing)
    with pytest.raises(RuntimeError):
        run(["--format", "json", "--new-from-rev", "HEAD", "."])
    assert seen == [True] and temporary_trees() == before


def test_the_reports_say_what_they_left_out(repo, capsys):
    commit(repo, {"app/routes.py": ROUTES + NEW_ROUTE})
    (repo / "pyproject.toml").write_text("")  # no [tool.fastapi-lint]: a plain run would hint at a baseline
    assert run(["--new-from-rev", "HEAD~1", "--no-color", "."]) == 1
    out = capsys.readouterr().out
    assert "2 findings the merge-base with HEAD~1 already had are not shown." in out
    assert "Adopting fastapi-lint" not in out
    assert run(["--new-from-rev", "HEAD~1", "--format", "markdown", "."]) == 1
    text = capsys.readouterr().out
    assert "**1 finding** that the change since the merge-base with HEAD\\~1 introduced" in text
    assert "2 findings the merge-base with HEAD\\~1 already had are not shown." in text
    (repo / "change.diff").write_text(git(repo, "diff", "HEAD~1") + "\n")
    assert run(["--new-from-patch", "change.diff", "--no-color", "."]) == 1
    assert "2 findings on lines change.diff does not add are not shown." in capsys.readouterr().out


def test_paths_through_a_symbolic_link_to_the_repository(repo, tmp_path, capsys, monkeypatch):
    commit(repo, {"app/routes.py": ROUTES + NEW_ROUTE})
    link = tmp_path / "link"
    link.symlink_to(repo, target_is_directory=True)
    status, found, err = lint(capsys, "--new-from-rev", "HEAD~1", str(link / "app"))
    assert (status, [(line, code) for _, line, code in found]) == (1, [(22, "FAPI101")]), err


def test_markdown_without_new_findings_says_so(repo, capsys):
    commit(repo, {"app/routes.py": ROUTES.replace("    time.sleep(2)\n", "")})
    assert run(["--new-from-rev", "HEAD~1", "--format", "markdown", "."]) == 0
    assert capsys.readouterr().out.startswith(
        "### fastapi-lint\n\nNo findings that the change since the merge-base with HEAD\\~1 introduced in 2 files.\n\n"
        "1 finding the merge-base with HEAD\\~1 already had is not shown.\n")


def test_the_base_tree_holds_what_a_lint_reads(repo):
    from fastapi_lint import changes

    (repo / "data.bin").write_bytes(bytes(range(256)) * 4)
    (repo / "app" / ".gitignore").write_text("generated/\n")
    (repo / "app" / "types.pyi").write_text("x: int\n")
    (repo / "app" / "link.py").symlink_to("routes.py")
    (repo / "app" / "naïve.py").write_text("y = 1\n")
    commit(repo, {})
    commit_id = git(repo, "rev-parse", "HEAD")
    with changes.checkout(str(repo), commit_id) as tree:
        found = sorted(os.path.relpath(os.path.join(d, f), tree) for d, _, fs in os.walk(tree) for f in fs)
        assert (repo / "app" / "routes.py").read_text() == open(os.path.join(tree, "app", "routes.py")).read()
    assert found == [os.path.join("app", name) for name in (".gitignore", "__init__.py", "naïve.py", "routes.py", "types.pyi")]
    assert not os.path.exists(tree)
