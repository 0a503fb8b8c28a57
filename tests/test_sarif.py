"""SARIF output: valid against the official schema and GitHub's rules, stable fingerprints."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from fastapi_lint import HOMEPAGE, docs
from fastapi_lint.cli import run
from fastapi_lint.config import load_config, tomllib
from fastapi_lint.registry import all_rules, select_rules
from fastapi_lint.reporters import FORMATS, Report, sarif
from fastapi_lint.rule import Finding, Rule
from tests.helpers import REPO, SHARED

SCHEMA = os.path.join(REPO, "tests", "data", "sarif-schema-2.1.0.json")
VALIDATOR = os.path.join(SHARED, "tools", "validate_sarif.py")
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


def schema_errors(log: dict) -> list:
    with open(SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def assert_valid(path: Path, repo_root: Path = None) -> dict:
    """Schema-valid in-process, and 0 errors / 0 warnings from the shared GitHub validator."""
    log = json.loads(path.read_text(encoding="utf-8"))
    assert schema_errors(log) == []
    if os.path.exists(VALIDATOR):
        args = [sys.executable, VALIDATOR, "--strict", str(path)]
        if repo_root is not None:
            args += ["--repo-root", str(repo_root)]
        done = subprocess.run(args, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "(0 errors, 0 warnings)" in done.stdout, done.stdout
    return log


def lint_sarif(tmp_path: Path, *args: str):
    out = tmp_path / "out.sarif"
    code = run(["--format", "sarif", "--no-cache", "-o", str(out), *args])
    return code, out


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git work tree (a ``.git`` directory is what marks the root) with one finding."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    # only FAPI101 fires on BAD; FAPI001/FAPI002 are enabled and do not
    (root / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = ["FAPI0", "FAPI101"]\n')
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(BAD)
    monkeypatch.chdir(root)
    return root


def test_sarif_is_a_format():
    assert "sarif" in FORMATS


def test_fixtures_are_valid_for_github(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out = lint_sarif(tmp_path, "fixtures")
    assert code == 1
    log = assert_valid(out, Path(REPO))
    (run_,) = log["runs"]
    results = run_["results"]
    assert results
    rules = run_["tool"]["driver"]["rules"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["artifactLocation"]["uri"].startswith("fixtures/")
        assert os.path.exists(os.path.join(REPO, unquote(location["artifactLocation"]["uri"])))
        # upload-sarif computes primaryLocationLineHash itself (and warns when a producer's differs)
        assert set(result["partialFingerprints"]) == {sarif.PARTIAL_FINGERPRINT_KEY}
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(REPO).as_uri() + "/"
    assert run_["columnKind"] == "unicodeCodePoints"


def test_clean_tree_has_empty_results_and_exits_0(tmp_path, monkeypatch):
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "ok.py").write_text("import asyncio\n\n\nasync def f() -> None:\n"
                                              "    await asyncio.sleep(1)\n")
    monkeypatch.chdir(tmp_path / "clean")
    code, out = lint_sarif(tmp_path, ".")
    assert code == 0
    log = assert_valid(out)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    assert log["runs"][0]["tool"]["driver"]["rules"]


def test_driver_lists_every_enabled_rule_not_only_those_that_fired(repo, tmp_path):
    code, out = lint_sarif(tmp_path, "app")
    log = json.loads(out.read_text())
    driver = log["runs"][0]["tool"]["driver"]
    config = load_config(None, str(repo))
    enabled = select_rules(all_rules(), config.select, config.extend_select, config.ignore, config.preview)
    assert [r["id"] for r in driver["rules"]] == [r.CODE for r in enabled]
    assert [r.CODE for r in enabled] == ["FAPI001", "FAPI002", "FAPI101"]
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"FAPI101"}
    assert driver["name"] == "fastapi-lint"
    assert driver["informationUri"] == HOMEPAGE
    assert driver["version"] == driver["semanticVersion"]


@pytest.mark.parametrize("rule", list(all_rules().values()), ids=list(all_rules()))
def test_rule_descriptor(rule):
    descriptor = sarif.rule_descriptor(rule)
    assert descriptor["id"] == rule.CODE and descriptor["name"] == rule.NAME
    assert 0 < len(descriptor["fullDescription"]["text"]) <= 1024
    assert 0 < len(descriptor["shortDescription"]["text"]) <= 1024
    assert "## What it does" in descriptor["help"]["markdown"]
    assert "```" not in descriptor["help"]["text"]
    assert descriptor["defaultConfiguration"]["level"] == rule.SEVERITY.sarif_level
    assert descriptor["helpUri"] == f"{HOMEPAGE}/blob/main/rules/{rule.CODE}.md"
    props = descriptor["properties"]
    assert props["precision"] in {"very-high", "high", "medium", "low"}
    assert docs.family(rule) in props["tags"]
    if rule.CWE:
        assert "security" in props["tags"] and f"external/cwe/cwe-{rule.CWE}" in props["tags"]
    if "FAPI301" <= rule.CODE <= "FAPI311":
        assert 0.0 < float(props["security-severity"]) <= 10.0
        assert props["security-severity"] == f"{float(props['security-severity']):.1f}"
    if "security-severity" in props:
        assert "security" in props["tags"]


def test_security_severity_comes_from_the_attribute_or_the_mapping():
    class Mapped(Rule):
        """## What it does\nRuns a shell.\n## Why is this bad?\nInjection.\n"""
        CODE, NAME, CWE = "FAPI301", "shell-injection", 78

    class Own(Mapped):
        """## What it does\nRuns a shell.\n"""
        CODE, SECURITY_SEVERITY = "FAPI399", 3.5

    class Plain(Rule):
        """## What it does\nStyle.\n"""
        CODE, NAME = "FAPI299", "style"

    assert sarif.rule_descriptor(Mapped)["properties"]["security-severity"] == "9.8"
    assert sarif.rule_descriptor(Own)["properties"]["security-severity"] == "3.5"
    assert "external/cwe/cwe-78" in sarif.rule_descriptor(Mapped)["properties"]["tags"]
    assert "security-severity" not in sarif.rule_descriptor(Plain)["properties"]
    assert "helpUri" not in sarif.rule_descriptor(Plain)  # not a built-in: no page of ours
    assert docs.severity_class(9.8) == "critical" and docs.severity_class(8.9) == "high"
    assert docs.severity_class(5.3) == "medium" and docs.severity_class(3.5) == "low"


def test_precision_comes_from_the_measured_table():
    rules = all_rules()
    for code, (level, basis) in docs.PRECISION.items():
        assert level in ("very-high", "high", "medium", "low") and basis
        assert sarif.rule_descriptor(rules[code])["properties"]["precision"] == level
    unmeasured = next(rule for code, rule in rules.items() if code not in docs.PRECISION)
    assert sarif.rule_descriptor(unmeasured)["properties"]["precision"] == docs.DEFAULT_PRECISION[0]


def test_result_location_region_and_level(repo, tmp_path):
    code, out = lint_sarif(tmp_path, "app")
    assert code == 1
    log = assert_valid(out, repo)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "FAPI101" and result["level"] == "error"
    assert "time.sleep" in result["message"]["text"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 9, "startColumn": 5, "endLine": 9, "endColumn": 18}


def test_uri_relative_to_git_root_from_a_subdirectory(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(repo / "app")
    code, out = lint_sarif(tmp_path, "main.py")
    log = assert_valid(out, repo)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app/main.py"
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"


def test_uri_is_percent_encoded(repo, tmp_path):
    folder = repo / "my app"
    folder.mkdir()
    (folder / "café.py").write_text(BAD, encoding="utf-8")
    code, out = lint_sarif(tmp_path, "my app")
    log = assert_valid(out, repo)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20app/caf%C3%A9.py"


def test_columns_are_code_points(repo, tmp_path):
    (repo / "app" / "main.py").write_text(BAD.replace("time.sleep(1)", "é = 'ü'; time.sleep(1)"), encoding="utf-8")
    code, out = lint_sarif(tmp_path, "app")
    region = json.loads(out.read_text())["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (14, 27)


def test_fingerprints_survive_inserted_lines_and_distinguish_repeats(repo, tmp_path):
    def results():
        lint_sarif(tmp_path, "app")
        return json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]

    (repo / "app" / "main.py").write_text(BAD.replace("    return {}", "    time.sleep(1)\n    return {}"))
    before = results()
    assert len(before) == 2
    fingerprints = [r["fingerprints"]["fastapi-lint/v1"] for r in before]
    assert len(set(fingerprints)) == 2  # same code, same text: the occurrence index tells them apart
    source = (repo / "app" / "main.py").read_text()
    (repo / "app" / "main.py").write_text("import os\n\n# a comment\n" + source)
    after = results()
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [12, 13]
    assert [r["fingerprints"]["fastapi-lint/v1"] for r in after] == fingerprints
    (repo / "app" / "main.py").write_text(source.replace("time.sleep(1)\n    return", "time.sleep(2)\n    return"))
    changed = [r["fingerprints"]["fastapi-lint/v1"] for r in results()]
    assert changed[0] == fingerprints[0] and changed[1] != fingerprints[1]


def test_fixes_become_sarif_fixes(repo, tmp_path):
    code, out = lint_sarif(tmp_path, "app")
    log = assert_valid(out, repo)
    (fix,) = log["runs"][0]["results"][0]["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"}
    inserted = [r["insertedContent"]["text"] for r in change["replacements"]]
    assert "await asyncio.sleep(1)" in inserted
    regions = [r["deletedRegion"] for r in change["replacements"]]
    assert {"startLine": 9, "startColumn": 5, "endLine": 9, "endColumn": 18} in regions
    assert fix["description"]["text"]


def test_category_sets_automation_details(repo, tmp_path):
    code, out = lint_sarif(tmp_path, "app", "--sarif-category", "backend")
    log = assert_valid(out, repo)
    assert log["runs"][0]["automationDetails"] == {"id": "backend/"}
    lint_sarif(tmp_path, "app")
    assert "automationDetails" not in json.loads(out.read_text())["runs"][0]


def test_internal_errors_are_tool_execution_notifications(tmp_path):
    rule = all_rules()["FAPI101"]
    finding = Finding("app/main.py", 3, 5, "FAPI101", 3, 18, rule.NAME, "error", "blocked", "    time.sleep(1)")
    report = Report((finding,), (rule,), 1, str(tmp_path), errors=("app/x.py: internal error in FAPI101: boom",))
    log = sarif.sarif_log(report, root=str(tmp_path))
    assert schema_errors(log) == []
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"].endswith("boom")


def test_file_outside_the_root_gets_an_absolute_uri(tmp_path):
    location = sarif.artifact_location(str(tmp_path / "elsewhere" / "x.py"), str(tmp_path / "repo"))
    assert location == {"uri": (tmp_path / "elsewhere" / "x.py").as_uri()}


def test_homepage_is_the_pyproject_url():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        urls = tomllib.load(handle)["project"]["urls"]
    assert urls["Homepage"] == HOMEPAGE


def test_cached_results_keep_their_fingerprints_and_fixes(repo, tmp_path):
    """Findings read back from the result cache must give the same SARIF as fresh ones."""
    fresh = tmp_path / "fresh.sarif"
    assert run(["--format", "sarif", "--no-cache", "-o", str(fresh), "app"]) == 1
    for name in ("first.sarif", "cached.sarif"):
        assert run(["--format", "sarif", "-o", str(tmp_path / name), "app"]) == 1
        results = json.loads((tmp_path / name).read_text())["runs"][0]["results"]
        assert results == json.loads(fresh.read_text())["runs"][0]["results"]


def test_partial_fingerprints_survive_line_shifts_and_differ_on_one_line(repo, tmp_path):
    """What GitHub matches alerts by on pull requests: two findings on one line (same rule
    or not) are two alerts, and an edit above them moves no alert."""
    def partials():
        lint_sarif(tmp_path, "--select", "FAPI101,FAPI111", "app")
        results = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]
        return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["partialFingerprints"][sarif.PARTIAL_FINGERPRINT_KEY]) for r in results]

    source = BAD.replace("import time\n", "import asyncio\nimport time\n\n\nasync def ping() -> None:\n"
                                          "    await asyncio.sleep(0)\n")
    source = source.replace("    time.sleep(1)\n", "    time.sleep(1); time.sleep(1); ping()\n")
    (repo / "app" / "main.py").write_text(source)
    before = partials()
    assert [(code, line) for code, line, _ in before] == [("FAPI101", 14), ("FAPI101", 14), ("FAPI111", 14)]
    assert len({partial for _, _, partial in before}) == 3
    (repo / "app" / "main.py").write_text("# an unrelated edit\n\n\n" + source.replace("app = FastAPI()", "app = FastAPI(title='x')"))
    after = partials()
    assert [line for _, line, _ in after] == [17, 17, 17]
    assert [partial for _, _, partial in after] == [partial for _, _, partial in before]
    assert_valid(tmp_path / "out.sarif", repo)
