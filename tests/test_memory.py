"""A linted file's syntax tree is freed by reference counting, as soon as the file is done.

A reference cycle that reaches a tree (a self-recursive closure, findings pointing back at
their rules) keeps the whole tree alive until a full collection: on a large project those
collections cost more than the rules. These tests fail if such a cycle comes back.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Iterator, List

import libcst as cst
import pytest

from fastapi_lint import parallel
from fastapi_lint.config import Config
from fastapi_lint.rule import Rule, Severity
from fastapi_lint.runner import run_source
from tests.helpers import FIXTURES, lint_text, rules_for


class CrashingRule(Rule):
    """Test-only: reports, then crashes, so the crash path is covered too."""

    CODE = "FAPI993"
    NAME = "test-crash-after-report"
    SEVERITY = Severity.INFO
    TRIGGERS = ("def ",)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.report(node, "seen")
        raise ValueError("boom")


@contextmanager
def collector_off() -> Iterator[List[object]]:
    """Run the body with the collector off; yield what a collection then finds in cycles."""
    garbage: List[object] = []
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield garbage
        gc.collect()
        garbage.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def cst_nodes(objects: List[object]) -> List[str]:
    return sorted({type(o).__name__ for o in objects if isinstance(o, cst.CSTNode)})


def test_a_tree_with_findings_is_not_kept_alive_by_a_cycle():
    with open(os.path.join(FIXTURES, "FAPI101.py"), encoding="utf-8") as handle:
        source = handle.read()
    with collector_off() as garbage:
        result = lint_text(source)
        assert result.findings  # the findings path, with positions, really ran
    assert cst_nodes(garbage) == []


def test_a_tree_is_not_kept_alive_when_a_rule_crashed():
    config = Config(root="/tmp/fapi-project", preview=True)
    source = b"async def handler():\n    return 1\n"
    with collector_off() as garbage:
        result = run_source("/tmp/fapi-project/app.py", source, config, (CrashingRule,))
        assert any("FAPI993" in error for error in result.errors)
    assert cst_nodes(garbage) == []


def test_no_rule_keeps_a_tree_alive():
    config = Config(root="/tmp/fapi-project", preview=True)
    rules = rules_for(("FAPI",))
    kept = {}
    for name in sorted(n for n in os.listdir(FIXTURES) if n.endswith(".py")):
        with open(os.path.join(FIXTURES, name), "rb") as handle:
            source = handle.read()
        with collector_off() as garbage:
            run_source(f"/tmp/fapi-project/app/{name}", source, config, rules)
        if cst_nodes(garbage):
            kept[name] = cst_nodes(garbage)[:5]
    assert kept == {}


def test_the_collector_is_paused_for_a_file_and_back_on_after():
    seen = []
    parallel._without_gc_pauses(lambda task: seen.append(gc.isenabled()), parallel.Task("a", "/a"))
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        parallel._without_gc_pauses(lambda task: None, parallel.Task("a", "/a"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_back_on_when_the_file_raises():
    def boom(task):
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        parallel._without_gc_pauses(boom, parallel.Task("a", "/a"))
    assert gc.isenabled()


def test_workers_leave_the_collector_as_they_found_it():
    from fastapi_lint.parallel import lint_tasks

    tasks = [parallel.Task(str(n), f"/{n}") for n in range(60)]
    before = gc.get_freeze_count()
    outcome = lint_tasks(tasks, [1] * len(tasks), _collector_state, jobs=2)
    assert outcome.errors == []
    # in the workers: off while a file is linted, and what they inherited frozen
    assert set(outcome.results.values()) == {(False, True)}
    assert gc.get_freeze_count() == before and gc.isenabled()


def _collector_state(task):
    return gc.isenabled(), gc.get_freeze_count() > 0
