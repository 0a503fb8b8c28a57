"""Rules and fixes that depend on the project's declared dependency versions."""
from __future__ import annotations

import os
from typing import Optional

import pytest

from fastapi_lint.cli import run
from tests.helpers import FIXTURES, expectations, lint_paths

ROUTE = """\
from fastapi import APIRouter, Depends

router = APIRouter()


def get_db():
    return 1


@router.get("/items")
def items(db: int = Depends(get_db)):
    return db
"""

CLIENT = """\
import httpx


async def test_items(app):
    async with httpx.AsyncClient(app=app, base_url="http://test") as client:
        await client.get("/items")
"""

MODEL = """\
from pydantic import BaseModel, validator


class User(BaseModel):
    name: str

    @validator("name")
    def strip(cls, value):
        return value.strip()
"""


def _project(tmp_path, source: str, requirements: Optional[str] = None, pyproject: str = "[project]\nname = 'x'\n"):
    (tmp_path / "pyproject.toml").write_text(pyproject)
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements)
    (tmp_path / "app.py").write_text(source)
    return tmp_path


def _findings(root, code: str):
    return [f for f in lint_paths([str(root)], codes=[code], root=str(root)).findings if f.code == code]


# -- FAPI402: the Annotated fix needs FastAPI 0.95 -------------------------------------------
@pytest.mark.parametrize("requirements,applicability", [
    ("fastapi==0.115.0\n", "safe"),
    ("fastapi>=0.95\n", "safe"),
    (None, "unsafe"),
    ("fastapi>=0.90\n", "unsafe"),
    ("fastapi==0.79.1\n", None),
])
def test_annotated_fix_is_safe_only_from_fastapi_0_95(tmp_path, requirements, applicability) -> None:
    (finding,) = _findings(_project(tmp_path, ROUTE, requirements), "FAPI402")
    assert (finding.fix.applicability if finding.fix else None) == applicability
    if applicability is None:
        assert "once on FastAPI >= 0.95 (the project declares ==0.79.1 (requirements.txt))" in finding.message


def test_fix_leaves_an_old_fastapi_project_alone(tmp_path, monkeypatch) -> None:
    root = _project(tmp_path, ROUTE, "fastapi==0.79.1\n")
    monkeypatch.chdir(root)
    assert run(["--select", "FAPI402", "--fix", "--unsafe-fixes", "--no-cache", "app.py"]) == 1
    assert (root / "app.py").read_text() == ROUTE


def test_unknown_fastapi_fixes_only_with_unsafe_fixes(tmp_path, monkeypatch) -> None:
    root = _project(tmp_path, ROUTE)
    monkeypatch.chdir(root)
    run(["--select", "FAPI402", "--fix", "--no-cache", "app.py"])
    assert (root / "app.py").read_text() == ROUTE
    assert run(["--select", "FAPI402", "--fix", "--unsafe-fixes", "--no-cache", "app.py"]) == 0
    assert "db: Annotated[int, Depends(get_db)]" in (root / "app.py").read_text()


def test_target_versions_make_the_fix_safe(tmp_path, monkeypatch) -> None:
    root = _project(tmp_path, ROUTE, "fastapi==0.79.1\n",
                    pyproject='[tool.fastapi-lint.target-versions]\nfastapi = "0.100.0"\n')
    monkeypatch.chdir(root)
    assert run(["--select", "FAPI402", "--fix", "app.py"]) == 0
    assert "Annotated[int, Depends(get_db)]" in (root / "app.py").read_text()


def test_a_changed_version_is_a_cache_miss(tmp_path) -> None:
    from fastapi_lint import runner
    from fastapi_lint.config import Config
    from tests.helpers import rules_for

    root = _project(tmp_path, ROUTE, "fastapi==0.79.1\n")
    config = Config(root=str(root), select=("FAPI402",))

    def fix_of_the_finding():
        (finding,) = runner.run_paths([str(root)], config, rules_for(["FAPI402"]), cache=True).findings
        return finding.fix

    assert fix_of_the_finding() is None
    (root / "requirements.txt").write_text("fastapi==0.115.0\n")
    assert fix_of_the_finding().applicability == "safe"


# -- FAPI407: the shortcut is gone from httpx 0.28 -------------------------------------------
@pytest.mark.parametrize("requirements,reported", [
    ("httpx==0.27.2\n", False),
    ("httpx<0.28\n", False),
    ("httpx==0.28.1\n", True),
    ("httpx>=0.23\n", True),
    (None, True),
])
def test_httpx_shortcut_reported_where_httpx_may_be_0_28(tmp_path, requirements, reported) -> None:
    assert bool(_findings(_project(tmp_path, CLIENT, requirements), "FAPI407")) is reported


# -- FAPI502: pydantic v1 API only in a v2 project ------------------------------------------
V1_IMPORT = "from pydantic import BaseSettings\n"


@pytest.mark.parametrize("requirements,extra,reported", [
    ("pydantic==1.10.13\n", "", False),
    ("pydantic>=2,<3\n", "", True),
    ("pydantic>=2\n", V1_IMPORT, True),  # the declared version wins over the import heuristic
    (None, "", True),
    (None, V1_IMPORT, False),
    ("fastapi==0.95.2\n", "", False),  # FastAPI before 0.100 required pydantic v1
    ("fastapi==0.110.0\n", "", True),
])
def test_pydantic_v1_api_reported_only_on_v2(tmp_path, requirements, extra, reported) -> None:
    found = _findings(_project(tmp_path, extra + MODEL, requirements), "FAPI502")
    assert bool(found) is reported


# -- fixture projects: the same code under different declared versions ----------------------
VERSION_FIXTURES = os.path.join(FIXTURES, "versions")
PROJECTS = sorted(os.listdir(VERSION_FIXTURES))


@pytest.mark.parametrize("name", PROJECTS)
def test_version_fixture_project(name: str) -> None:
    """Exact line:column sets; a project where the version silences the rule expects none,
    and its twin under a version where the rule applies expects some."""
    code = name.split("_", 1)[0]
    root = os.path.join(VERSION_FIXTURES, name)
    expected = set()
    for directory, _, files in os.walk(root):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(directory, file)
                expected |= {(os.path.relpath(path, root), *e) for e in expectations(path, code)}
    result = lint_paths([root], codes=[code], root=root)
    assert not result.errors, result.errors
    got = {(os.path.relpath(os.path.abspath(f.path), root), f.line, f.column, f.code)
           for f in result.findings if f.code == code}
    assert got == expected
    twins = [p for p in PROJECTS if p.startswith(code + "_")]
    assert len(twins) >= 2 and any(
        expectations(os.path.join(d, f), code)
        for twin in twins for d, _, fs in os.walk(os.path.join(VERSION_FIXTURES, twin)) for f in fs if f.endswith(".py"))


def test_version_fixture_fixes() -> None:
    old = lint_paths([os.path.join(VERSION_FIXTURES, "FAPI402_fastapi_0_79")], codes=["FAPI402"])
    new = lint_paths([os.path.join(VERSION_FIXTURES, "FAPI402_fastapi_0_115")], codes=["FAPI402"])
    assert [f.fix for f in old.findings] == [None, None]
    assert [f.fix.applicability for f in new.findings if f.fix] == ["safe"]  # `db=` has no type to keep
