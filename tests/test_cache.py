"""The result cache: hits equal fresh results, and every input that changes results misses."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
from typing import List

import libcst as cst
import pytest

from fastapi_lint.project import index as project_module
from fastapi_lint import runner
from fastapi_lint.config import Config
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Rule, Severity
from tests.helpers import FIXTURES, rules_for

HELPERS = "test_helpers"


def _collect_helpers(path, text, summary, tree) -> None:
    """A test-only collector: the functions a module marked ``# helpers`` defines."""
    summary.extra[HELPERS] = {line[4:].split("(")[0] for line in text.splitlines() if line.startswith("def ")}


@pytest.fixture(autouse=True)
def helpers_collector():
    all_rules()  # the built-in rules register their collectors first
    entry = (HELPERS, ("# helpers",), _collect_helpers)
    project_module._COLLECTORS.append(entry)
    yield
    project_module._COLLECTORS.remove(entry)


class HelperCallRule(Rule):
    """A test-only rule reading project facts: a call of a helper defined in another module."""

    CODE = "FAPI993"
    NAME = "test-helper-call"
    SEVERITY = Severity.INFO
    TRIGGERS = ("(",)
    PROJECT_FACTS = (HELPERS,)

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Name):
            return
        for summary in self.ctx.project.modules.values():
            if node.func.value in summary.extra.get(HELPERS, ()) and summary.module != self.ctx.facts.module_name:
                self.report(node, f"calls helper {node.func.value}")


class CrashingRule(Rule):
    """A test-only rule that always fails: its files must never be cached."""

    CODE = "FAPI994"
    NAME = "test-crash"
    TRIGGERS = ("def ",)

    def visit_Module(self, node: cst.Module) -> None:
        raise RuntimeError("boom")


@pytest.fixture
def lint_calls(monkeypatch) -> List[str]:
    calls: List[str] = []
    real = runner.lint_file

    def counting(display, absolute, settings, data=None):
        calls.append(os.path.basename(absolute))
        return real(display, absolute, settings, data=data)

    monkeypatch.setattr(runner, "lint_file", counting)
    return calls


def _copy_fixtures(tmp_path) -> str:
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("FAPI001.py", "FAPI101.py", "FAPI102.py", "FAPI402.py"):
        if os.path.exists(os.path.join(FIXTURES, name)):
            shutil.copy(os.path.join(FIXTURES, name), root / name)
    return str(root)


def _run(root: str, rules=None, cache: bool = True, **config):
    cfg = Config(root=root, preview=True, **config)
    return runner.run_paths([root], cfg, rules if rules is not None else rules_for(("FAPI",)), cache=cache)


def _full(result) -> list:
    """Every field of every finding (Finding's == ignores message, fix...)."""
    return [dataclasses.asdict(f) for f in result.findings]


def _entries(root: str) -> List[str]:
    found = []
    for directory, _, names in os.walk(os.path.join(root, ".fastapi_lint_cache", "results")):
        found.extend(os.path.join(directory, n) for n in names if n.endswith(".json"))
    return sorted(found)


def test_cached_results_equal_fresh_results(tmp_path, lint_calls) -> None:
    root = _copy_fixtures(tmp_path)
    fresh = _run(root, cache=False)
    assert not os.path.exists(os.path.join(root, ".fastapi_lint_cache"))
    first = _run(root)
    lint_calls.clear()
    second = _run(root)
    assert lint_calls == []
    assert _full(fresh) == _full(first) == _full(second)
    assert any(f.fix is not None for f in second.findings)  # fixes survive the round trip
    assert {f.code for f in second.findings} >= {"FAPI001", "FAPI101"}


def test_cache_dir_is_tagged_and_ignored_by_git(tmp_path) -> None:
    root = _copy_fixtures(tmp_path)
    _run(root)
    cache = os.path.join(root, ".fastapi_lint_cache")
    with open(os.path.join(cache, "CACHEDIR.TAG")) as handle:
        assert handle.read().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    with open(os.path.join(cache, ".gitignore")) as handle:
        assert "*" in handle.read().split()


def test_cache_dir_setting_is_relative_to_the_root(tmp_path) -> None:
    root = _copy_fixtures(tmp_path)
    _run(root, cache_dir="elsewhere/cache")
    assert os.path.isfile(os.path.join(root, "elsewhere", "cache", "CACHEDIR.TAG"))


def test_changed_file_alone_is_linted_again(tmp_path, lint_calls) -> None:
    root = _copy_fixtures(tmp_path)
    _run(root)
    with open(os.path.join(root, "FAPI101.py"), "a") as handle:
        handle.write("\n# edited\n")
    lint_calls.clear()
    _run(root)
    assert lint_calls == ["FAPI101.py"]


def test_configuration_change_misses(tmp_path) -> None:
    root = _copy_fixtures(tmp_path)
    everything = _run(root)
    only_syntax = _run(root, rules=rules_for(("FAPI001",)), select=("FAPI001",))
    assert {f.code for f in only_syntax.findings} == {"FAPI001"}
    assert _full(_run(root)) == _full(everything)


@pytest.mark.parametrize("garbage", [
    b"", b"\x00\xff not json", b"[]", b'{"schema": 999}', b"null",
    b'{"schema": 1, "key": "x", "findings": []}',
])
def test_corrupt_or_foreign_entries_are_ignored(tmp_path, lint_calls, garbage) -> None:
    root = _copy_fixtures(tmp_path)
    fresh = _run(root)
    entries = _entries(root)
    assert entries
    for entry in entries:
        with open(entry, "wb") as handle:
            handle.write(garbage)
    lint_calls.clear()
    assert _full(_run(root)) == _full(fresh)
    assert len(lint_calls) == len(entries)


def test_entry_with_the_right_key_but_bad_fields_is_ignored(tmp_path, lint_calls) -> None:
    root = _copy_fixtures(tmp_path)
    fresh = _run(root)
    tampered = 0
    for entry in _entries(root):
        with open(entry) as handle:
            data = json.load(handle)
        if data["findings"]:
            data["findings"][0]["line"] = "one"
            data["findings"].append({"line": 1})
            with open(entry, "w") as handle:
                json.dump(data, handle)
            tampered += 1
    assert tampered
    lint_calls.clear()
    assert _full(_run(root)) == _full(fresh)
    assert len(lint_calls) == tampered


@pytest.mark.parametrize("project", ["few files: an entry each", "many files: one pack"])
def test_files_with_internal_errors_are_not_cached(tmp_path, lint_calls, project) -> None:
    root = _copy_fixtures(tmp_path) if project.startswith("few") else _many_files(tmp_path)
    rules = rules_for(("FAPI101",)) + [CrashingRule]
    first = _run(root, rules=rules)
    assert first.errors
    lint_calls.clear()
    second = _run(root, rules=rules)
    assert second.errors == first.errors
    assert lint_calls  # the crashing files were linted again


def _helper_project(tmp_path) -> str:
    root = tmp_path / "app"
    root.mkdir()
    (root / "helpers.py").write_text("# helpers\ndef slow():\n    return 1\n")
    (root / "main.py").write_text("from helpers import slow\n\nslow()\n")
    return str(root)


def test_changed_project_facts_invalidate_dependent_files(tmp_path, lint_calls) -> None:
    root = _helper_project(tmp_path)
    rules = [HelperCallRule]
    assert [(f.path.endswith("main.py"), f.message) for f in _run(root, rules=rules).findings] == [
        (True, "calls helper slow")]
    (tmp_path / "app" / "helpers.py").write_text("# helpers\ndef fast():\n    return 1\n")
    lint_calls.clear()
    assert _run(root, rules=rules).findings == []
    assert sorted(lint_calls) == ["helpers.py", "main.py"]


def test_edit_that_keeps_project_facts_relints_only_that_file(tmp_path, lint_calls) -> None:
    root = _helper_project(tmp_path)
    rules = [HelperCallRule]
    before = _run(root, rules=rules)
    with open(os.path.join(root, "helpers.py"), "a") as handle:
        handle.write("# a comment changes no fact\n")
    lint_calls.clear()
    assert _full(_run(root, rules=rules)) == _full(before)
    assert lint_calls == ["helpers.py"]


def test_transitive_blocking_call_follows_a_changed_helper(tmp_path) -> None:
    if "FAPI106" not in all_rules():
        pytest.skip("FAPI106 is not in the registry")
    root = tmp_path / "svc"
    root.mkdir()
    (root / "helpers.py").write_text("import time\n\n\ndef fetch():\n    time.sleep(1)\n")
    (root / "main.py").write_text("from helpers import fetch\n\n\nasync def handler():\n    fetch()\n")
    rules = rules_for(("FAPI106",))
    first = _run(str(root), rules=rules, select=("FAPI106",))
    assert [(os.path.basename(f.path), f.line, f.code) for f in first.findings] == [("main.py", 5, "FAPI106")]
    (root / "helpers.py").write_text("import time\n\n\ndef fetch():\n    return time.time()\n")
    assert _run(str(root), rules=rules, select=("FAPI106",)).findings == []


# -- the pack: a run that lints many files caches them all in one file ----------------------
def _many_files(tmp_path) -> str:
    root = tmp_path / "many"
    root.mkdir()
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".py"):
            shutil.copy(os.path.join(FIXTURES, name), root / name)
    assert len(os.listdir(root)) > runner._SNAPSHOT_SLACK
    return str(root)


def _pack(root: str) -> str:
    packs = [p for p in _entries(root) if os.path.basename(p) == "pack.json"]
    assert len(packs) == 1
    return packs[0]


def test_a_run_of_many_files_writes_one_pack(tmp_path, lint_calls) -> None:
    root = _many_files(tmp_path)
    fresh = _run(root, cache=False)
    first = _run(root)
    assert _entries(root) == [_pack(root)]  # no entry file per module
    lint_calls.clear()
    second = _run(root)
    assert lint_calls == []
    assert _full(fresh) == _full(first) == _full(second)
    assert any(f.fix is not None for f in second.findings)


def test_a_file_changed_after_the_pack_gets_its_own_entry(tmp_path, lint_calls) -> None:
    root = _many_files(tmp_path)
    _run(root)
    pack = _pack(root)
    with open(pack, "rb") as handle:
        packed = handle.read()
    with open(os.path.join(root, "FAPI101.py"), "a") as handle:
        handle.write("\n# edited\n")
    lint_calls.clear()
    changed = _run(root)
    assert lint_calls == ["FAPI101.py"]
    assert len(_entries(root)) == 2  # the pack, unchanged, and the changed file's entry
    with open(pack, "rb") as handle:
        assert handle.read() == packed
    lint_calls.clear()
    warm = _run(root)
    assert lint_calls == []
    assert _full(warm) == _full(changed) == _full(_run(root, cache=False))


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff not json", b"[]", b'{"schema": 999}', b"null"])
def test_a_corrupt_pack_is_ignored(tmp_path, lint_calls, garbage) -> None:
    root = _many_files(tmp_path)
    fresh = _run(root)
    with open(_pack(root), "wb") as handle:
        handle.write(garbage)
    lint_calls.clear()
    assert _full(_run(root)) == _full(fresh)
    assert len(lint_calls) == len(os.listdir(root)) - 1  # every module (the cache directory aside)


def test_a_pack_of_another_project_state_or_with_bad_entries_is_ignored(tmp_path, lint_calls) -> None:
    root = _many_files(tmp_path)
    fresh = _run(root)
    with open(_pack(root)) as handle:
        data = json.load(handle)
    tampered = [path for path, entry in data["entries"].items() if entry["findings"]][:3]
    for path in tampered:
        data["entries"][path]["findings"][0]["line"] = "one"
    with open(_pack(root), "w") as handle:
        json.dump(data, handle)
    lint_calls.clear()
    assert _full(_run(root)) == _full(fresh)
    assert sorted(lint_calls) == sorted(os.path.basename(p) for p in tampered)  # only those
    data["project"] = "another state"
    with open(_pack(root), "w") as handle:
        json.dump(data, handle)
    lint_calls.clear()
    assert _full(_run(root)) == _full(fresh)
    assert len(lint_calls) > len(tampered)


def test_a_file_changed_after_the_pack_does_not_read_it(tmp_path, monkeypatch) -> None:
    """A run of the one edited file: its entry cannot be in the pack, which is not parsed."""
    root = _many_files(tmp_path)
    _run(root)
    pack = _pack(root)
    target = os.path.join(root, "FAPI101.py")
    with open(target, "a") as handle:
        handle.write("\n# edited\n")
    later = os.stat(pack).st_mtime_ns + 1_000_000_000
    os.utime(target, ns=(later, later))
    parsed: List[bytes] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda data, *a, **k: parsed.append(data) or real(data, *a, **k))
    fresh = runner.run_paths([target], Config(root=root, preview=True), rules_for(("FAPI",)), cache=True)
    assert all(len(data) < os.path.getsize(pack) for data in parsed)
    assert {f.code for f in fresh.findings} >= {"FAPI101"}


def test_a_new_salt_prunes_the_oldest_ones(tmp_path) -> None:
    """Each version of the code (or configuration) writes under a salt of its own: a new one
    keeps the newest few others and removes the rest; nothing but salt-named directories,
    never through a link."""
    import os

    from fastapi_lint import cache as cache_module

    parent = tmp_path / "cache" / "summaries"
    parent.mkdir(parents=True)
    salts = [f"{n:040x}" for n in range(cache_module.KEPT_SALTS + 2)]
    for age, salt in enumerate(salts):  # salts[0] is the newest
        (parent / salt).mkdir()
        (parent / salt / "project.snapshot").write_bytes(b"x")
        os.utime(parent / salt, ns=(10**18 - age * 10**12, 10**18 - age * 10**12))
    (parent / "notes").mkdir()  # not a salt: the user's
    outside = tmp_path / "elsewhere" / ("f" * 40)
    outside.mkdir(parents=True)
    os.symlink(outside, parent / ("e" * 40))
    new = parent / ("a" * 40)
    cache_module.ensure_cache_directory(str(tmp_path / "cache"), str(new))
    left = sorted(os.listdir(parent))
    assert new.is_dir()
    assert left == sorted(salts[:cache_module.KEPT_SALTS] + ["notes", "e" * 40, "a" * 40])
    assert outside.is_dir()
    # an existing directory prunes nothing
    (parent / salts[-1]).mkdir()
    cache_module.ensure_cache_directory(str(tmp_path / "cache"), str(new))
    assert (parent / salts[-1]).is_dir()
