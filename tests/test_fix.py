"""--fix, --unsafe-fixes and --diff: expected outputs, composition, idempotence, parse-after-fix."""
from __future__ import annotations

import ast
import os
import re
import shutil
from typing import List, Sequence, Tuple

import pytest

from fastapi_lint import fix as fixing
from fastapi_lint.cli import run
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Edit, Fix
from tests.helpers import FIXTURES, fixture_cases, lint_paths

FIX_DIR = os.path.join(FIXTURES, "fixes")
FIX_CASES = sorted(
    name for name in os.listdir(FIX_DIR) if name.endswith(".py") and not name.endswith(".fixed.py")
)


def fix_file(path: str, codes: Sequence[str], unsafe: bool = False) -> Tuple[str, fixing.FixSummary, List]:
    """Lint ``path`` with ``codes`` and fix it in memory: (fixed text, summary, remaining findings)."""
    result = lint_paths([path], codes=codes, root=os.path.dirname(path))
    summary = fixing.apply_to_run(result, unsafe)
    assert not result.errors, result.errors
    text = summary.files[0].fixed if summary.files else open(path, encoding="utf-8").read()
    return text, summary, result.findings


def _code(name: str) -> str:
    match = re.match(r"^(FAPI\d{3})", name)
    assert match, f"{name}: fix fixtures are named FAPIxxx[_case].py"
    return match.group(1)


# -- expected outputs ------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIX_CASES)
def test_fix_fixture(name: str) -> None:
    path = os.path.join(FIX_DIR, name)
    with open(path.replace(".py", ".fixed.py"), encoding="utf-8") as handle:
        expected = handle.read()
    fixed, summary, _ = fix_file(path, [_code(name)], unsafe=True)
    assert summary.applied > 0, "a fix fixture in which nothing is fixed cannot fail"
    assert fixed == expected


@pytest.mark.parametrize("name", FIX_CASES)
def test_fix_fixture_is_idempotent(name: str, tmp_path) -> None:
    target = tmp_path / name
    shutil.copy(os.path.join(FIX_DIR, name), target)
    first, _, _ = fix_file(str(target), [_code(name)], unsafe=True)
    target.write_text(first, encoding="utf-8")
    second, summary, _ = fix_file(str(target), [_code(name)], unsafe=True)
    assert second == first
    assert summary.applied == 0


def test_every_fixable_rule_has_a_fix_fixture() -> None:
    fixable = {code for code, rule in all_rules().items() if rule.FIX.value != "-"}
    covered = {_code(name) for name in FIX_CASES}
    assert sorted(fixable - covered) == []


def test_fix_fixtures_are_not_taken_for_detection_fixtures() -> None:
    assert all(os.path.dirname(path) == FIXTURES for _, path in fixture_cases())
    assert not any(os.path.basename(path) == "fixes" for _, path in fixture_cases())


# -- properties over every fixture -----------------------------------------------------------
@pytest.mark.parametrize("code,path", [c for c in fixture_cases() if os.path.isfile(c[1])],
                         ids=[os.path.basename(p) for _, p in fixture_cases() if os.path.isfile(p)])
def test_fixing_any_fixture_parses_and_is_stable(code: str, path: str, tmp_path) -> None:
    target = tmp_path / os.path.basename(path)
    shutil.copy(path, target)
    try:
        ast.parse(target.read_bytes())
    except SyntaxError:
        pytest.skip("the fixture is itself invalid Python")
    first, _, _ = fix_file(str(target), ["FAPI"], unsafe=True)
    ast.parse(first)
    target.write_text(first, encoding="utf-8")
    second, summary, _ = fix_file(str(target), ["FAPI"], unsafe=True)
    assert second == first
    assert summary.applied == 0


# -- composing edits -------------------------------------------------------------------------
def _fix(*edits: Tuple[int, int, int, int, str]) -> Fix:
    return Fix("safe", "test", tuple(Edit(*edit) for edit in edits))


def test_non_overlapping_fixes_compose_from_the_end() -> None:
    text = "a = 1\nb = 2\n"
    fixed, count = fixing.apply_fixes(text, [_fix((1, 5, 1, 6, "10")), _fix((2, 5, 2, 6, "20"))])
    assert (fixed, count) == ("a = 10\nb = 20\n", 2)


def test_identical_edits_are_shared_and_overlapping_ones_deferred() -> None:
    text = "import os\nx = f(1)\n"
    insert = (1, 1, 1, 1, "import asyncio\n")
    fixes = [_fix((2, 5, 2, 9, "g(1)"), insert), _fix((2, 7, 2, 8, "2"), insert), _fix((2, 1, 2, 2, "y"), insert)]
    fixed, count = fixing.apply_fixes(text, fixes)
    assert fixed == "import asyncio\nimport os\ny = g(1)\n"
    assert count == 2  # the second fix overlaps the first one: left for the next round


def test_two_different_insertions_at_one_point_do_not_compose() -> None:
    fixed, count = fixing.apply_fixes("x = 1\n", [_fix((1, 1, 1, 1, "import a\n")), _fix((1, 1, 1, 1, "import b\n"))])
    assert (fixed, count) == ("import a\nx = 1\n", 1)


def test_columns_are_code_points_and_crlf_lines_are_kept() -> None:
    text = "s = 'é'; t = f(1)\r\nu = 2\r\n"
    fixed, _ = fixing.apply_fixes(text, [_fix((1, 14, 1, 18, "g(1)")), _fix((2, 5, 2, 6, "3"))])
    assert fixed == "s = 'é'; t = g(1)\r\nu = 3\r\n"


def test_several_fixes_in_one_file_and_the_rounds(tmp_path) -> None:
    target = tmp_path / "app.py"
    target.write_text(
        "import logging\nimport time\n\nlogger = logging.getLogger(__name__)\n\n\n"
        "async def a() -> None:\n    time.sleep(1)\n    time.sleep(2)\n\n\n"
        "def b() -> None:\n    try:\n        pass\n    except Exception:\n        logger.error('x')\n",
        encoding="utf-8",
    )
    fixed, summary, remaining = fix_file(str(target), ["FAPI101", "FAPI603"])
    assert summary.applied == 3 and remaining == []
    assert fixed.count("await asyncio.sleep") == 2 and fixed.count("import asyncio") == 1
    assert "logger.exception('x')" in fixed


def test_a_fix_that_breaks_the_file_is_not_applied(tmp_path, monkeypatch) -> None:
    target = tmp_path / "app.py"
    source = "import time\n\n\nasync def a() -> None:\n    time.sleep(1)\n"
    target.write_text(source, encoding="utf-8")
    monkeypatch.setattr(fixing, "parses", lambda text: False)
    result = lint_paths([str(target)], codes=["FAPI101"])
    summary = fixing.apply_to_run(result, unsafe=False)
    assert summary.changed == [] and summary.applied == 0
    assert [f.code for f in result.findings] == ["FAPI101"]
    assert any("invalid Python" in error for error in result.errors)


def test_unsafe_fixes_only_with_the_flag() -> None:
    fix = Fix("unsafe", "x", (Edit(1, 1, 1, 2, "y"),))
    assert not fixing.applicable(fix, unsafe=False)
    assert fixing.applicable(fix, unsafe=True)
    assert not fixing.applicable(None, unsafe=True)
    path = os.path.join(FIX_DIR, "FAPI602.py")
    assert all_rules()["FAPI602"].FIX.value == "unsafe"
    assert fix_file(path, ["FAPI602"], unsafe=False)[1].applied == 0
    assert fix_file(path, ["FAPI602"], unsafe=True)[1].applied > 0


# -- command line ----------------------------------------------------------------------------
SLEEPY = "import time\n\n\nasync def a() -> None:\n    time.sleep(1)\n"


def test_diff_prints_and_writes_nothing(tmp_path, capsys) -> None:
    target = tmp_path / "app.py"
    target.write_text(SLEEPY, encoding="utf-8")
    code = run([str(target), "--select", "FAPI101", "--diff", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1
    assert "+import asyncio" in out and "-    time.sleep(1)" in out and "+    await asyncio.sleep(1)" in out
    assert target.read_text(encoding="utf-8") == SLEEPY


def test_diff_with_nothing_to_fix_exits_zero(tmp_path, capsys) -> None:
    target = tmp_path / "app.py"
    target.write_text("x = 1\n", encoding="utf-8")
    assert run([str(target), "--select", "FAPI101", "--diff", "--no-cache"]) == 0
    assert capsys.readouterr().out == ""


def test_fix_writes_and_the_exit_code_reflects_what_remains(tmp_path, capsys) -> None:
    target = tmp_path / "app.py"
    target.write_text(SLEEPY, encoding="utf-8")
    assert run([str(target), "--select", "FAPI101", "--fix", "--no-cache"]) == 0
    assert "await asyncio.sleep(1)" in target.read_text(encoding="utf-8")
    assert "Fixed 1 finding" in capsys.readouterr().out
    unfixable = tmp_path / "deps.py"
    unfixable.write_text("from fastapi import Depends\n\n\ndef f(db=Depends(g)):\n    pass\n", encoding="utf-8")
    assert run([str(unfixable), "--select", "FAPI402", "--fix", "--no-cache", "--format", "json"]) == 1


def test_fix_keeps_encoding_bom_and_line_endings(tmp_path) -> None:
    target = tmp_path / "app.py"
    target.write_bytes(b"\xef\xbb\xbf" + SLEEPY.replace("\n", "\r\n").encode("utf-8"))
    assert run([str(target), "--select", "FAPI101", "--fix", "--no-cache"]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"import asyncio\r\nimport time\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n" + SLEEPY.encode() + b"    s = '\xe9'\n")
    assert run([str(latin), "--select", "FAPI101", "--fix", "--no-cache"]) == 0
    assert latin.read_bytes().endswith(b"s = '\xe9'\n")


def test_stdin_fix_prints_the_fixed_source(monkeypatch, capsysbinary) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SLEEPY.encode())))
    code = run(["-", "--select", "FAPI101", "--fix", "--no-cache", "--stdin-filename", "app.py"])
    captured = capsysbinary.readouterr()
    assert code == 0
    assert captured.out.decode() == "import asyncio\n" + SLEEPY.replace("time.sleep", "await asyncio.sleep")
    assert b"Fixed 1 finding" in captured.err
