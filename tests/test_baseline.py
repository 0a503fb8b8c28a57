"""--write-baseline / --baseline: content-based identities that survive unrelated edits."""
from __future__ import annotations

import json
import os

import pytest

from fastapi_lint import baseline
from fastapi_lint.cli import run

SOURCE = """\
import time


async def a() -> None:
    time.sleep(1)


async def b() -> None:
    count = 1
    time.sleep(2)
    return count
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\nselect = [\"FAPI101\"]\n", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def lint(project, capsys, *args):
    code = run([str(project), "--no-cache", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else None)


def write_baseline(project, capsys) -> str:
    path = str(project / "baseline.json")
    assert run([str(project), "--no-cache", "--write-baseline", path]) == 0
    assert "wrote 2 findings" in capsys.readouterr().err
    return path


def test_baseline_hides_recorded_findings(project, capsys) -> None:
    path = write_baseline(project, capsys)
    data = json.load(open(path, encoding="utf-8"))
    assert data["version"] == baseline.VERSION
    assert {e["path"] for e in data["entries"]} == {"app/main.py"}
    code, report = lint(project, capsys, "--baseline", path)
    assert code == 0
    assert report["findings"] == []
    assert report["summary"]["baseline"] == {"hidden": 2, "stale": 0}


def test_lines_added_above_and_renames_elsewhere_keep_findings_hidden(project, capsys) -> None:
    path = write_baseline(project, capsys)
    main = project / "app" / "main.py"
    shifted = '"""New docstring."""\n\nimport os\n' + SOURCE.replace("count", "total")
    main.write_text(shifted, encoding="utf-8")
    code, report = lint(project, capsys, "--baseline", path)
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["baseline"] == {"hidden": 2, "stale": 0}


def test_a_second_identical_problem_is_new(project, capsys) -> None:
    path = write_baseline(project, capsys)
    main = project / "app" / "main.py"
    main.write_text(SOURCE + "\n\nasync def c() -> None:\n    time.sleep(1)\n", encoding="utf-8")
    code, report = lint(project, capsys, "--baseline", path)
    assert code == 1
    assert [(f["line"], f["code"]) for f in report["findings"]] == [(15, "FAPI101")]
    assert report["summary"]["baseline"]["hidden"] == 2


def test_changed_offending_line_is_new_and_the_old_entry_stale(project, capsys) -> None:
    path = write_baseline(project, capsys)
    main = project / "app" / "main.py"
    main.write_text(SOURCE.replace("time.sleep(2)", "time.sleep(3)"), encoding="utf-8")
    code, report = lint(project, capsys, "--baseline", path)
    assert code == 1
    assert [f["line"] for f in report["findings"]] == [10]
    assert report["summary"]["baseline"] == {"hidden": 1, "stale": 1}


def test_deleted_findings_are_counted_as_stale(project, capsys) -> None:
    path = write_baseline(project, capsys)
    (project / "app" / "main.py").write_text("import time\n", encoding="utf-8")
    code, report = lint(project, capsys, "--baseline", path)
    assert code == 0
    assert report["summary"]["baseline"] == {"hidden": 0, "stale": 2}
    run([str(project), "--no-cache", "--baseline", path])
    assert "2 baseline entries no longer match" in capsys.readouterr().out.splitlines()[-1]


def test_entries_of_files_outside_the_linted_paths_are_not_stale(project, capsys) -> None:
    path = write_baseline(project, capsys)
    other = project / "other.py"
    other.write_text("x = 1\n", encoding="utf-8")
    code = run([str(other), "--no-cache", "--format", "json", "--baseline", path])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["summary"]["baseline"] == {"hidden": 0, "stale": 0}


def test_windows_separators_in_a_baseline_match_on_posix(project, capsys) -> None:
    path = write_baseline(project, capsys)
    data = json.load(open(path, encoding="utf-8"))
    for entry in data["entries"]:
        entry["path"] = ".\\" + entry["path"].replace("/", "\\")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    code, report = lint(project, capsys, "--baseline", path)
    assert (code, report["summary"]["baseline"]) == (0, {"hidden": 2, "stale": 0})


def test_baseline_from_config_is_relative_to_the_project_root(project, capsys, monkeypatch) -> None:
    write_baseline(project, capsys)
    (project / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\nselect = [\"FAPI101\"]\nbaseline = \"baseline.json\"\n", encoding="utf-8")
    monkeypatch.chdir(project / "app")
    code, report = lint(project, capsys)
    assert (code, report["summary"]["baseline"]["hidden"]) == (0, 2)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 99, "entries": []}',
                                     '{"version": 1, "entries": [{"code": "FAPI101"}]}'])
def test_a_corrupt_baseline_is_a_one_line_error(project, capsys, content) -> None:
    path = project / "baseline.json"
    path.write_text(content, encoding="utf-8")
    code = run([str(project), "--no-cache", "--baseline", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "baseline" in err


def test_a_missing_baseline_is_a_one_line_error(project, capsys) -> None:
    code = run([str(project), "--no-cache", "--baseline", str(project / "absent.json")])
    assert code == 2
    assert "cannot read baseline" in capsys.readouterr().err


def test_identity_normalizes_whitespace_and_counts_occurrences() -> None:
    from fastapi_lint.rule import Finding

    def finding(line: int, text: str) -> Finding:
        return Finding(os.path.join("/p", "a.py"), line, 5, "FAPI101", line, 9, "n", "error", "m", text)

    keyed = baseline.keys([finding(9, "    time.sleep(1)"), finding(3, "time.sleep(1)   ")], "/p")
    assert [key for key, _ in keyed] == [("FAPI101", "a.py", "time.sleep(1)", 0),
                                         ("FAPI101", "a.py", "time.sleep(1)", 1)]
