"""bench/review.py, the real-code review harness, on tiny projects written into tmp_path."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_review():
    spec = importlib.util.spec_from_file_location("bench_review", os.path.join(REPO, "bench", "review.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


review = _load_review()

# A stand-in linter: prints the findings of the project's findings.json (the run's extra
# arguments recorded in the summary), fails where a BROKEN file exists.
FAKE_LINT = textwrap.dedent(
    """\
    import json, os, sys
    if os.path.exists("BROKEN"):
        sys.stderr.write("boom: cannot lint this one\\n")
        sys.exit(3)
    findings = json.load(open("findings.json")) if os.path.exists("findings.json") else []
    json.dump({"version": "0", "findings": findings, "summary": {"argv": sys.argv[1:], "errors": []}}, sys.stdout)
    """
)


def finding(path, line, code="FAPI305", column=1, message="a message"):
    return {"path": path, "line": line, "column": column, "end_line": line, "end_column": column + 1,
            "code": code, "name": "x", "severity": "warning", "message": message, "fix": None}


def call(*argv):
    out = io.StringIO()
    status = review.main([str(a) for a in argv], out=out)
    return status, out.getvalue()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def write_run(directory, reports, counts=None):
    """A run directory: {folder: [finding, ...]}, as `run` or lintcorpus.sh leave it."""
    os.makedirs(directory, exist_ok=True)
    for folder, findings in reports.items():
        write(os.path.join(directory, folder + ".json"), json.dumps({"version": "0", "findings": findings}))
    if counts is not None:
        write(os.path.join(directory, "counts.json"), json.dumps(counts))
    return str(directory)


@pytest.fixture
def corpus(tmp_path):
    """Three projects (one not in the list, one whose lint fails) and a list file."""
    projects = tmp_path / "projects"
    write(str(projects / "acme__shop" / "app" / "main.py"), "".join(f"line_{n} = {n}\n" for n in range(1, 31)))
    write(str(projects / "acme__shop" / "findings.json"),
          json.dumps([finding("app/main.py", 3), finding("app/main.py", 20), finding("app/main.py", 5, "FAPI601")]))
    write(str(projects / "solo" / "findings.json"), json.dumps([finding("x.py", 1)]))
    write(str(projects / "acme__broken" / "BROKEN"), "")
    listing = tmp_path / "list.txt"
    listing.write_text("# comment\nacme/shop 1234567abc app\nacme/broken 89abcde\n")
    lint = tmp_path / "fake_lint.py"
    lint.write_text(FAKE_LINT)
    return {"projects": projects, "list": listing, "lint": f"{sys.executable} {lint}", "tmp": tmp_path}


def test_run_lints_each_project_writes_reports_and_counts_and_survives_a_failure(corpus):
    out = corpus["tmp"] / "run"
    status, text = call("run", "--projects", corpus["projects"], "--out", out, "--list", corpus["list"],
                        "--lint", corpus["lint"], "--", "--select", "FAPI305,FAPI601", "--preview")
    assert status == 1  # the others are linted, but the failure shows in the exit status
    assert sorted(os.listdir(out)) == ["acme__broken.err", "acme__shop.json", "counts.json", "solo.json"]
    report = json.loads((out / "acme__shop.json").read_text())
    assert report["summary"]["argv"] == [".", "--format", "json", "--no-cache", "--exit-zero", "--jobs", "1",
                                         "--select", "FAPI305,FAPI601", "--preview"]
    counts = json.loads((out / "counts.json").read_text())
    assert counts["by_code"] == {"FAPI305": 3, "FAPI601": 1}
    assert counts["projects"]["acme__shop"]["anchor"] == "acme/shop@1234567abc"
    assert counts["projects"]["solo"]["anchor"] == "solo@unknown"
    assert counts["projects"]["acme__broken"]["status"] == "failed"
    assert "exit status 3, boom: cannot lint this one" in counts["projects"]["acme__broken"]["error"]
    assert "| FAPI305 |     3 |    2 |    1 |" in text  # rows rules: total, then each project
    assert "| FAPI601 |     1 |    1 |    0 |" in text
    assert "lint FAILED for 1 project(s): acme__broken" in text
    assert re.search(r"\| acme/shop@1234567abc +\| +ok \| +3 \|", text)  # the time table
    assert re.search(r"\| acme/broken@89abcde +\| failed \| +- \|", text)


def test_run_reports_a_lint_command_that_cannot_start(corpus):
    out = corpus["tmp"] / "run"
    status, text = call("run", "--projects", corpus["projects"], "--out", out, "--only", "acme__shop,solo",
                        "--lint", corpus["tmp"] / "no-such-linter")
    assert status == 1
    assert "lint FAILED for 2 project(s): acme__shop, solo" in text
    assert "No such file or directory" in json.loads((out / "counts.json").read_text())["projects"]["solo"]["error"]


def test_run_refuses_a_used_run_directory(corpus, capsys):
    out = corpus["tmp"] / "run"
    write(str(out / "old.json"), "{}")
    status, _ = call("run", "--projects", corpus["projects"], "--out", out, "--lint", corpus["lint"])
    assert status == 2
    assert "not empty" in capsys.readouterr().err


def test_run_with_the_real_linter_from_each_project_root(tmp_path):
    projects = tmp_path / "projects"
    write(str(projects / "acme__api" / "app" / "main.py"), textwrap.dedent(
        """\
        import time
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/")
        async def root() -> dict:
            time.sleep(1)
            return {"slept": await app.state.clock()}
        """))
    # the project's own configuration is read, as it is for a user linting from its root
    write(str(projects / "acme__api" / "pyproject.toml"), '[tool.fastapi-lint]\nextend-exclude = ["skipped"]\n')
    write(str(projects / "acme__api" / "skipped" / "other.py"), "import time\n\nasync def f():\n    time.sleep(1)\n")
    out = tmp_path / "run"
    status, text = call("run", "--projects", projects, "--out", out, "--list", tmp_path / "none.txt",
                        "--lint", f"{sys.executable} -m fastapi_lint", "--", "--select", "FAPI101")
    assert status == 2  # an explicit --list must exist
    write(str(tmp_path / "list.txt"), "acme/api 0a1b2c3\n")
    status, text = call("run", "--projects", projects, "--out", out, "--list", tmp_path / "list.txt",
                        "--lint", f"{sys.executable} -m fastapi_lint", "--", "--select", "FAPI101")
    assert status == 0, text
    findings = json.loads((out / "acme__api.json").read_text())["findings"]
    assert [(f["path"], f["line"], f["code"]) for f in findings] == [(os.path.join("app", "main.py"), 9, "FAPI101")]
    assert not (projects / "acme__api" / ".fastapi_lint_cache").exists()


def test_default_lint_command_is_the_one_beside_this_python():
    command = review.default_lint_command()
    assert command[0].startswith(os.path.dirname(sys.executable))


def many_findings_run(tmp_path, order=1):
    findings = [finding("app/main.py", n) for n in range(1, 31)][::order]
    return write_run(tmp_path / f"run{order}", {"acme__shop": findings},
                     counts={"projects": {"acme__shop": {"anchor": "acme/shop@1234567"}}})


def test_sample_is_seeded_and_independent_of_report_order(tmp_path):
    forward = review.load_run(many_findings_run(tmp_path, 1), str(tmp_path / "none.txt"))
    backward = review.load_run(many_findings_run(tmp_path, -1), str(tmp_path / "none.txt"))
    one = review.sample(forward.findings, "FAPI305", 5, seed=1)
    assert one == review.sample(backward.findings, "FAPI305", 5, seed=1)
    assert [f.line for f in one] != [f.line for f in review.sample(forward.findings, "FAPI305", 5, seed=2)]
    assert len({f.key for f in one}) == 5
    everything = review.sample(forward.findings, "FAPI305", 100, seed=1)
    assert sorted(f.line for f in everything) == list(range(1, 31))


def test_sample_counts_a_line_once_and_skips_judged_findings(tmp_path):
    run = review.load_run(write_run(tmp_path / "run", {"p": [finding("a.py", 1, column=1), finding("a.py", 1, column=9),
                                                             finding("a.py", 2)]}), str(tmp_path / "none.txt"))
    assert [f.line for f in sorted(review.sample(run.findings, "FAPI305", 10, 0), key=lambda f: f.line)] == [1, 2]
    assert [f.line for f in review.sample(run.findings, "FAPI305", 10, 0, skip={("p", "a.py", 1, "FAPI305")})] == [2]


def test_sheet_shows_anchor_message_code_and_a_verdict_line_to_fill(corpus):
    run = write_run(corpus["tmp"] / "run", {"acme__shop": [finding("app/main.py", 20, message="secret in a log")]})
    status, text = call("sheet", run, "--code", "FAPI305", "--projects", corpus["projects"], "--list", corpus["list"])
    assert status == 0
    assert "## 1. `acme/shop@1234567abc app/main.py:20 FAPI305`" in text
    assert "warning: secret in a log" in text
    assert ">    20  line_20 = 20" in text
    assert "   12  line_12 = 12" in text and "   28  line_28 = 28" in text  # ±8 lines
    assert "line_11 =" not in text and "line_29 =" not in text
    to_fill = next(line for line in text.splitlines() if line.endswith(review.PLACEHOLDER))
    filled = to_fill.replace(review.PLACEHOLDER, "FALSE the value is a name, not a secret")
    verdict = review.parse_verdict(filled, "x:1")
    assert (verdict.repo, verdict.commit, verdict.path, verdict.line, verdict.verdict) == (
        "acme/shop", "1234567abc", "app/main.py", 20, "FALSE")
    with pytest.raises(review.Problem, match="VERDICT"):
        review.parse_verdict(to_fill, "x:1")  # an unfilled line is not a verdict


def test_sheet_excludes_judged_findings_and_is_never_written_into_the_repo(corpus, capsys):
    run = write_run(corpus["tmp"] / "run", {"acme__shop": [finding("app/main.py", 3), finding("app/main.py", 20)]})
    verdicts = corpus["tmp"] / "verdicts"
    write(str(verdicts / "FAPI305.txt"), "acme/shop@1234567 app/main.py:3 FAPI305 TRUE a real leak\n"
                                         "acme/shop@1234567 app/main.py:3 FAPI601 TRUE another rule\n")
    args = ("sheet", run, "--code", "FAPI305", "--projects", corpus["projects"], "--list", corpus["list"],
            "--verdicts", verdicts)
    assert "app/main.py:3 FAPI305" in call(*args)[1]
    status, text = call(*args, "--exclude-judged")
    assert "app/main.py:3 FAPI305" not in text and "app/main.py:20 FAPI305" in text
    assert "1 already judged excluded" in text
    status, _ = call(*args, "-o", os.path.join(REPO, "bench", "sheet.md"))
    assert status == 2 and "inside the repository" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(REPO, "bench", "sheet.md"))
    status, text = call(*args, "-o", corpus["tmp"] / "sheet.md")
    assert status == 0 and "line_20 = 20" in (corpus["tmp"] / "sheet.md").read_text()


def test_sheet_fences_code_that_holds_backticks(tmp_path):
    write(str(tmp_path / "p" / "p" / "a.py"), 'doc = """```python\nx```"""\n')
    run = write_run(tmp_path / "run", {"p": [finding("a.py", 1)]})
    text = call("sheet", run, "--code", "FAPI305", "--projects", tmp_path / "p", "--list", tmp_path / "none")[1]
    assert "````python\n" in text


def test_compare_counts_and_locates_removed_and_added_findings(tmp_path):
    old = write_run(tmp_path / "old", {"a__x": [finding("m.py", 1), finding("m.py", 2), finding("m.py", 3, "FAPI601")],
                                       "gone": [finding("g.py", 1)]})
    new = write_run(tmp_path / "new", {"a__x": [finding("m.py", 2), finding("m.py", 7, message="new one"),
                                                finding("m.py", 3, "FAPI601")],
                                       "fresh": [finding("f.py", 1)]})
    write(str(tmp_path / "list.txt"), "a/x abc1234\n")
    status, text = call("compare", old, new, "--list", tmp_path / "list.txt")
    assert status == 0
    assert "| FAPI305 |   2 |   2 |       1 |     1 |" in text
    assert "| FAPI601 |   1 |   1 |       0 |     0 |" in text
    assert "- a/x@abc1234 m.py:1 FAPI305" in text
    assert "+ a/x@abc1234 m.py:7 FAPI305  new one" in text
    assert "only in the old run, not compared: gone" in text
    assert "only in the new run, not compared: fresh" in text
    text = call("compare", old, new, "--list", tmp_path / "list.txt", "--code", "FAPI601")[1]
    assert "FAPI305" not in text


def test_compare_notes_a_rule_the_new_run_does_not_report_at_all(tmp_path):
    old = write_run(tmp_path / "old", {"p": [finding("m.py", 1), finding("m.py", 2, "FAPI601")]})
    new = write_run(tmp_path / "new", {"p": [finding("m.py", 1)]})
    text = call("compare", old, new, "--list", tmp_path / "none")[1]
    assert "no finding at all of FAPI601 in the new run: were they selected?" in text
    text = call("compare", old, new, "--list", tmp_path / "none", "--code", "FAPI305,FAPI999")[1]
    assert "FAPI601" not in text and "| FAPI305 |   1 |   1 |       0 |     0 |" in text


VERDICTS = textwrap.dedent(
    """\
    # FAPI305 verdicts: what this file is

    acme/shop@1234567 app/main.py:3 FAPI305 TRUE the token is logged
    acme/shop@1234567 app/main.py:9 FAPI305 FALSE an env-var name, fixed since
    acme/shop@1234567 app/main.py:20 FAPI305 DEBATABLE test helper
    acme/shop@1234567 app/main.py:5 FAPI601 TRUE user input in the message
    other/repo@feedbee x.py:1 FAPI305 FALSE not linted in this run
    """
)


@pytest.fixture
def judged(tmp_path):
    verdicts = tmp_path / "verdicts"
    write(str(verdicts / "FAPI305.txt"), VERDICTS)
    write(str(tmp_path / "list.txt"), "acme/shop 1234567abc\n")
    return {"verdicts": verdicts, "list": tmp_path / "list.txt", "tmp": tmp_path}


def check(judged, findings, *extra):
    run = write_run(judged["tmp"] / f"run{len(os.listdir(judged['tmp']))}", {"acme__shop": findings})
    return call("check", run, "--verdicts", judged["verdicts"], "--list", judged["list"], *extra)


def test_check_passes_when_falses_are_gone_and_trues_found(judged):
    status, text = check(judged, [finding("app/main.py", 3), finding("app/main.py", 20), finding("app/main.py", 30),
                                  finding("app/main.py", 5, "FAPI601")])
    assert status == 0, text
    assert "no violations" in text
    assert "note: 1 verdicts skipped: other/repo: not in this run" in text
    # findings, judged (present), TRUE, FALSE, DEBATABLE, precision, judged but gone
    assert "| FAPI305 |        3 |      2 |    1 |     0 |         1 |      50 % |            1 |" in text
    assert "| FAPI601 |        1 |      1 |    1 |     0 |         0 |     100 % |            0 |" in text


def test_check_fails_on_a_false_still_found_and_a_true_lost(judged):
    status, text = check(judged, [finding("app/main.py", 9), finding("app/main.py", 5, "FAPI601")])
    assert status == 1
    assert "FALSE still found: acme/shop@1234567 app/main.py:9 FAPI305 (an env-var name, fixed since)" in text
    assert "TRUE no longer found: acme/shop@1234567 app/main.py:3 FAPI305" in text
    assert "FAPI305.txt:4]" in text  # where the verdict is recorded


def test_check_can_be_restricted_to_the_rules_of_a_selective_run(judged):
    status, text = check(judged, [finding("app/main.py", 5, "FAPI601")])
    assert status == 1 and "no finding at all of FAPI305 in this run: was it selected?" in text
    status, text = check(judged, [finding("app/main.py", 5, "FAPI601")], "--code", "FAPI601")
    assert status == 0 and "FAPI305" not in text


def test_check_skips_verdicts_on_another_commit(judged):
    write(str(judged["list"]), "acme/shop 7654321\n")
    status, text = check(judged, [])
    assert status == 0
    assert "4 verdicts skipped: acme/shop: this run has it at 7654321, not 1234567" in text


@pytest.mark.parametrize("line, error", [
    ("acme/shop@1234567 app/main.py:3 FAPI305 true lowercase", "verdict 'true' is not TRUE, FALSE or DEBATABLE"),
    ("acme/shop@1234567 app/main.py:3 FAPI305 TRUE", "the reason is missing"),
    ("acme/shop app/main.py:3 FAPI305 TRUE why", "'acme/shop' is not owner/name@commit"),
    ("acme/shop@1234567 app/main.py FAPI305 TRUE why", "'app/main.py' is not path:line"),
    ("acme/shop@1234567 app/main.py:3 fapi305 TRUE why", "'fapi305' is not a rule code"),
    ("acme/shop@1234567 app/main.py:3", "too few fields"),
    ("acme/shop@unknown app/main.py:3 FAPI305 TRUE why", "'acme/shop@unknown' has no commit"),
])
def test_check_reports_a_malformed_verdict_with_its_file_and_line(judged, capsys, line, error):
    write(str(judged["verdicts"] / "FAPI601.txt"), f"# header\n\n{line}\n")
    status, _ = check(judged, [])
    err = capsys.readouterr().err
    assert status == 2
    assert f"FAPI601.txt:3: {error}" in err


def test_check_reports_one_finding_judged_both_ways(judged, capsys):
    write(str(judged["verdicts"] / "more.txt"), "acme/shop@1234567 app/main.py:3 FAPI305 FALSE changed my mind\n")
    status, _ = check(judged, [])
    assert status == 2
    assert "more.txt:1: acme/shop@1234567 app/main.py:3 FAPI305 is FALSE here but TRUE at" in capsys.readouterr().err


def test_the_verdicts_folder_parses():
    """Every verdict file engineers add to bench/verdicts must stay well-formed."""
    review.read_verdicts(review.DEFAULT_VERDICTS)
