"""Rule pages users click (rules/*.md, SARIF helpUri) and read in the terminal (--explain)."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from fastapi_lint import docs
from fastapi_lint.cli import run
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Default, FixAvailability, Rule
from tests.helpers import REPO

RULES = list(all_rules().values())


class ShellRule(Rule):
    """
    ## What it does
    Reports `subprocess.run(..., shell=True)`, e.g. with an f-string. It also reports `SELECT ...` text.

    ## Why is this bad?
    Injection.

    ## Example
    ```python
    subprocess.run(f"ls {path}", shell=True)
    ```

    ## Use instead
    ```python
    subprocess.run(["ls", path])
    ```
    """

    CODE, NAME, CWE, SEEDS = "FAPI301", "shell-injection", 78, ("000",)
    DEFAULT, FIX = Default.PREVIEW, FixAvailability.UNSAFE


@pytest.mark.parametrize("rule", RULES, ids=[r.CODE for r in RULES])
def test_page_shows_metadata_sections_and_guidance(rule):
    page = docs.markdown(rule)
    assert page.startswith(f"# {rule.CODE}: {rule.NAME}\n")
    for key in ("Code", "Name", "Severity", "Default", "Fix", "CWE"):
        assert re.search(rf"^\| {key} \| .+ \|$", page, re.M), key
    assert re.search(r"^## Example\n\n```python\n", page, re.M)
    assert re.search(r"^## Use instead\n\n```python\n", page, re.M)
    if rule.SEEDS:
        assert "## Source guidance" in page
    score = docs.security_severity(rule)
    assert ("| Security severity |" in page) == (score is not None)


def test_security_rule_page_and_index():
    page = docs.markdown(ShellRule)
    assert "| Security severity | 9.8 (critical, GitHub code scanning) |" in page
    assert "| CWE | [CWE-78](https://cwe.mitre.org/data/definitions/78.html) |" in page
    assert "| Default | preview (enable with `--preview` or select it) |" in page
    assert "| Fix | unsafe (`--fix --unsafe-fixes`) |" in page
    assert "- seed 000 — FastAPI architecture and security guidance" in page
    index = docs.index_markdown([ShellRule])
    assert "## Security severity" in index
    assert "| [FAPI301](FAPI301.md) | shell-injection | CWE-78 | 9.8 (critical) | request data" in index
    assert "## Security severity" not in docs.index_markdown([all_rules()["FAPI101"]])


def test_summary_does_not_stop_at_an_abbreviation_or_ellipsis():
    assert docs.summary(ShellRule) == (
        "Reports `subprocess.run(..., shell=True)`, e.g. with an f-string."
    )


def test_every_scored_security_rule_is_in_the_index():
    index = open(os.path.join(REPO, "rules", "README.md"), encoding="utf-8").read()
    for rule in RULES:
        score = docs.security_severity(rule)
        if score is not None:
            assert f"| [{rule.CODE}]({rule.CODE}.md) | {rule.NAME} |" in index.split("## Security severity")[1]


def test_explain_prints_the_page(capsys):
    assert run(["--explain", "fapi101"]) == 0
    out = capsys.readouterr().out
    with open(os.path.join(REPO, "rules", "FAPI101.md"), encoding="utf-8") as handle:
        assert out == handle.read() == docs.markdown(all_rules()["FAPI101"])
    assert run(["--explain", "FAPI999"]) == 2
    assert capsys.readouterr().err == "fastapi-lint: error: unknown rule 'FAPI999' (see --list-rules)\n"


def test_explain_renders_markdown_in_a_terminal():
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="100", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "fastapi_lint", "--explain", "FAPI101"],
                            stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait() == 0
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode("utf-8"))
    assert "FAPI101: blocking-sleep-in-async" in text
    assert "# FAPI101" not in text and "```" not in text  # rendered, not raw markdown
    assert "await asyncio.sleep(1)" in text
