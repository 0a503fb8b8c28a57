"""Every rule's fixture: exact line:column sets of expected findings, nothing more, nothing less."""
from __future__ import annotations

import os

import pytest

from fastapi_lint.registry import all_rules
from tests.helpers import FIXTURES, expectations, fixture_cases, found, lint_paths

CASES = fixture_cases()


@pytest.mark.parametrize("code,path", CASES, ids=[os.path.basename(p) for _, p in CASES])
def test_fixture(code: str, path: str) -> None:
    if os.path.isdir(path):
        expected = set()
        for dirpath, _, files in os.walk(path):
            for name in files:
                if name.endswith(".py"):
                    file_path = os.path.join(dirpath, name)
                    rel = os.path.relpath(file_path, os.path.dirname(path))
                    expected |= {(rel.replace(os.sep, "/"), *e) for e in expectations(file_path, code)}
        result = lint_paths([path], codes=[code], root=path)
        got = {(os.path.relpath(os.path.abspath(f.path), os.path.dirname(path)).replace(os.sep, "/"),
                f.line, f.column, f.code) for f in result.findings if f.code == code}
    else:
        expected = expectations(path, code)
        result = lint_paths([path], codes=[code], root=FIXTURES)
        got = found(result, code)
    assert not result.errors, result.errors
    assert expected, f"{path} has no expectations for {code}: a fixture that cannot fail"
    missing = sorted(expected - got)
    unexpected = sorted(got - expected)
    assert not missing and not unexpected, f"missing={missing} unexpected={unexpected}"


def test_every_rule_has_a_fixture() -> None:
    have = {code for code, _ in CASES}
    missing = sorted(set(all_rules()) - have)
    assert not missing, f"rules without a fixture in fixtures/: {missing}"
