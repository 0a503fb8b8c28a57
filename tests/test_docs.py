"""Rule documentation: the required sections exist and rules/ is in sync with the classes."""
from __future__ import annotations

import os
import re

import pytest

from fastapi_lint import docs
from fastapi_lint.registry import all_rules
from tests.helpers import REPO

RULES = list(all_rules().values())


@pytest.mark.parametrize("rule", RULES, ids=[r.CODE for r in RULES])
def test_rule_has_documentation_sections(rule) -> None:
    found = docs.sections(rule)
    missing = [s for s in docs.REQUIRED_SECTIONS if not found.get(s)]
    assert not missing, f"{rule.CODE} docstring lacks sections {missing}"


@pytest.mark.parametrize("rule", RULES, ids=[r.CODE for r in RULES])
def test_rule_metadata(rule) -> None:
    assert re.fullmatch(r"FAPI\d{3}", rule.CODE)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.NAME), rule.NAME


def test_rule_pages_are_in_sync() -> None:
    directory = os.path.join(REPO, "rules")
    expected = docs.expected_pages(RULES)
    stale = []
    for name, text in expected.items():
        path = os.path.join(directory, name)
        if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
            stale.append(name)
    extra = sorted(set(n for n in os.listdir(directory) if n.endswith(".md")) - set(expected))
    assert not stale and not extra, (
        f"rules/ is out of date (stale: {stale}, extra: {extra}); run `python -m fastapi_lint.docs`"
    )


def test_readme_rule_table_is_in_sync() -> None:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert docs.with_readme_table(readme, RULES) == readme, (
        "README.md's rule table is out of date; run `python -m fastapi_lint.docs`"
    )


def test_rule_pages_state_precision_and_its_basis(monkeypatch):
    from fastapi_lint import docs
    from fastapi_lint.registry import all_rules

    rule = all_rules()["FAPI303"]
    monkeypatch.setitem(docs.PRECISION, "FAPI303", ("very-high", "measured: 12/12 true on 12 projects"))
    page = docs.markdown(rule)
    assert "| Precision | very-high (measured: 12/12 true on 12 projects) |" in page
    monkeypatch.delitem(docs.PRECISION, "FAPI303")
    assert f"| Precision | high ({docs.DEFAULT_PRECISION[1]}) |" in docs.markdown(rule)


def test_a_rules_own_precision_overrides_the_table(monkeypatch):
    from fastapi_lint import docs
    from fastapi_lint.registry import all_rules

    rule = all_rules()["FAPI303"]
    monkeypatch.setattr(rule, "PRECISION", "medium")
    assert docs.precision(rule) == "medium"
    assert "| Precision | medium (" in docs.markdown(rule)
