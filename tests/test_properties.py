"""Property tests: no input makes the engine raise or a rule crash, and results are stable.

Bounded for CI; `python bench/fuzz.py --examples 10000` is the long run.
"""
from __future__ import annotations

import os

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_lint.config import Config
from fastapi_lint.runner import run_paths
from tests.fastapi_programs import fastapi_programs
from tests.helpers import lint_text, rules_for

CI_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _assert_clean(result) -> None:
    assert not result.errors, result.errors


@CI_SETTINGS
@given(st.text())
def test_arbitrary_text_never_raises(text):
    _assert_clean(lint_text(text))


@CI_SETTINGS
@given(st.binary())
def test_arbitrary_bytes_never_raise(data):
    from fastapi_lint.engine import LintSettings, lint_file

    cfg = Config(root="/tmp/fapi-project", preview=True)
    outcome = lint_file("app/x.py", "/tmp/fapi-project/app/x.py", LintSettings(cfg, tuple(rules_for(["FAPI"]))), data=data)
    assert not outcome.errors


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_valid_python_never_raises(source):
    _assert_clean(lint_text(source))


@CI_SETTINGS
@given(fastapi_programs())
def test_fastapi_shaped_programs_never_raise_and_are_deterministic(source):
    first = lint_text(source)
    _assert_clean(first)
    assert lint_text(source).findings == first.findings


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(fastapi_programs(), min_size=2, max_size=4), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_path_order_or_workers(tmp_path_factory, sources, rnd):
    root = tmp_path_factory.mktemp("order")
    paths = []
    for i, source in enumerate(sources):
        path = root / f"mod_{i}.py"
        path.write_text(source)
        paths.append(str(path))
    cfg = Config(root=str(root), preview=True)
    rules = rules_for(["FAPI"])
    baseline = run_paths(paths, cfg, rules, jobs=1)
    _assert_clean(baseline)
    shuffled = list(paths)
    rnd.shuffle(shuffled)
    assert run_paths(shuffled, cfg, rules, jobs=1).findings == baseline.findings
    assert run_paths([str(root)], cfg, rules, jobs=2).findings == baseline.findings
