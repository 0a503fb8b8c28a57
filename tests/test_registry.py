"""Rule discovery, third-party plugins through entry points, and selection."""
from __future__ import annotations

import importlib.metadata
import sys
import textwrap

import libcst as cst
import pytest

from fastapi_lint import registry
from fastapi_lint.rule import Default, Rule, Severity
from tests.helpers import lint_text


class NoPrintRule(Rule):
    """
    ## What it does
    Test plugin: reports print calls.

    ## Why is this bad?
    It is a test.

    ## Example
    ```python
    print(1)
    ```

    ## Use instead
    ```python
    pass
    ```
    """

    CODE = "XPL001"
    NAME = "no-print"
    SEVERITY = Severity.INFO
    TRIGGERS = ("print",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.resolve(node.func) == "builtins.print":
            self.report(node, "print call")


class FakeEntryPoint:
    name = "xpl"

    def __init__(self, target):
        self._target = target

    def load(self):
        return self._target


@pytest.fixture
def plugin(monkeypatch):
    monkeypatch.setattr(registry, "_entry_points", lambda: [FakeEntryPoint(NoPrintRule)])
    registry.reset_cache()
    yield
    registry.reset_cache()


def test_builtin_rules_are_discovered():
    rules = registry.all_rules()
    assert {"FAPI001", "FAPI002", "FAPI101"} <= set(rules)
    assert list(rules) == sorted(rules)


def test_plugin_rule_runs(plugin):
    assert "XPL001" in registry.all_rules()
    result = lint_text("print('hi')\n", codes=["XPL"])
    assert [(f.code, f.line, f.column) for f in result.findings] == [("XPL001", 1, 1)]


def test_broken_plugin_is_reported_not_fatal(monkeypatch, capsys):
    class Broken:
        name = "broken"

        def load(self):
            raise ImportError("nope")

    monkeypatch.setattr(registry, "_entry_points", lambda: [Broken()])
    registry.reset_cache()
    try:
        assert "FAPI101" in registry.all_rules()
        assert "could not load plugin 'broken'" in capsys.readouterr().err
    finally:
        registry.reset_cache()


def test_selection_semantics():
    rules = registry.all_rules()
    preview = [c for c, r in rules.items() if r.DEFAULT is Default.PREVIEW]
    chosen = {r.CODE for r in registry.select_rules(rules, ("FAPI",), (), (), False)}
    assert not (set(preview) & chosen)
    with_preview = {r.CODE for r in registry.select_rules(rules, ("FAPI",), (), (), True)}
    assert set(preview) <= with_preview
    if preview:
        exact = {r.CODE for r in registry.select_rules(rules, (preview[0],), (), (), False)}
        assert exact == {preview[0]}
    assert {r.CODE for r in registry.select_rules(rules, ("FAPI1",), (), ("FAPI101",), False)} & {"FAPI101"} == set()


def _assert_crash_is_isolated(monkeypatch, rule) -> None:
    """Linted with ``rule`` as a plugin, next to FAPI101: FAPI101's finding stays, and the
    plugin's crash is one internal error naming it."""
    monkeypatch.setattr(registry, "_entry_points", lambda: [FakeEntryPoint(rule)])
    registry.reset_cache()
    try:
        src = "import time\n\nasync def f():\n    time.sleep(1)\n"
        result = lint_text(src, codes=[rule.CODE, "FAPI101"])
        assert [f.code for f in result.findings] == ["FAPI101"]
        assert len(result.errors) == 1 and rule.CODE in result.errors[0] and "ValueError: boom" in result.errors[0]
    finally:
        registry.reset_cache()


def test_crashing_rule_is_isolated(monkeypatch):
    class Crashing(Rule):
        """## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx"""

        CODE = "XPL002"
        NAME = "crashing"

        def visit_Call(self, node: cst.Call) -> None:
            raise ValueError("boom")

    _assert_crash_is_isolated(monkeypatch, Crashing)


@pytest.mark.parametrize("stage", ["applies_in_project", "applies_to"])
def test_a_crashing_prefilter_is_isolated(monkeypatch, stage):
    """A rule's prefilter is the rule's code too: its crash is that rule's internal error."""
    def boom(*args, **kwargs):
        raise ValueError("boom")

    class CrashingPrefilter(Rule):
        """## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx"""

        CODE = "XPL003"
        NAME = "crashing-prefilter"

    setattr(CrashingPrefilter, stage, classmethod(boom))
    _assert_crash_is_isolated(monkeypatch, CrashingPrefilter)


def _distribution(site, entry_points: str) -> None:
    info = site / "plug-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_a_plugin_on_sys_path_is_found_by_its_entry_point(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _distribution(site, "[fastapi_lint.rules]\nplug = plugmod:PlugRule\n")
    (site / "plugmod.py").write_text(textwrap.dedent('''
        from fastapi_lint.rule import Rule

        class PlugRule(Rule):
            """## What it does\\nx\\n## Why is this bad?\\nx\\n## Example\\nx\\n## Use instead\\nx"""

            CODE = "XPL009"
            NAME = "plugged"
    '''))
    monkeypatch.syspath_prepend(str(site))
    registry.reset_cache()
    try:
        assert registry._may_have_plugins()
        assert "XPL009" in registry.all_rules()
    finally:
        registry.reset_cache()
        sys.modules.pop("plugmod", None)


def test_without_a_plugin_the_entry_points_are_not_parsed(tmp_path, monkeypatch):
    """The metadata of every distribution is parsed only when one may name our group."""
    _distribution(tmp_path / "site", "[console_scripts]\nplug = plugmod:main\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))

    def parse_all(*args, **kwargs):
        raise AssertionError("importlib.metadata.entry_points was called")

    monkeypatch.setattr(importlib.metadata, "entry_points", parse_all)
    assert registry._entry_points() == []
    (tmp_path / "lib.zip").write_bytes(b"")  # a zip on sys.path: only importlib.metadata reads it
    monkeypatch.syspath_prepend(str(tmp_path / "lib.zip"))
    assert registry._may_have_plugins()
