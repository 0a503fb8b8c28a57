"""The project pass's summary cache: warm indexes equal fresh ones, and only signed entries load."""
from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import stat
from typing import Dict, List, Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fastapi_lint.project import index as project_module
from fastapi_lint import runner
from fastapi_lint.cache import digest
from fastapi_lint.config import Config
from fastapi_lint.discovery import discover
from fastapi_lint.project import ModuleSummary, ProjectIndex
from fastapi_lint.registry import all_rules
from fastapi_lint.project.summary_cache import SummaryCache, load_key
from tests.helpers import FIXTURES, rules_for


@pytest.fixture(autouse=True)
def private_key_home(tmp_path, monkeypatch) -> str:
    """Every test gets its own key directory: never the user's real key."""
    all_rules()  # every built-in collector is registered, as in a real run
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return str(home)


def _project(tmp_path) -> str:
    """Every fixture, in a package, so every collector has something to record."""
    root = tmp_path / "proj"
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .FAPI001 import *\n")
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".py"):
            shutil.copy(os.path.join(FIXTURES, name), package / name)
    return str(root)


def _index(root: str, cache: Optional[SummaryCache]) -> ProjectIndex:
    files = discover([root], Config(root=root)).files
    index, _, _, _ = runner._index_project(files, root, True, cache)
    return index


def _cache(root: str) -> SummaryCache:
    cache = SummaryCache.for_run(Config(root=root))
    assert cache is not None
    return cache


def _with_entries(root: str, monkeypatch) -> ProjectIndex:
    """The index of a run that stores each summary in an entry of its own: a cold run's new
    snapshot holds its summaries (no entries); after every file changed, a run that keeps
    that snapshot (fewer changes than the slack, here raised) writes one entry per file."""
    _index(root, _cache(root))
    monkeypatch.setattr(runner, "_SNAPSHOT_SLACK", 10 ** 6)
    for source in discover([root], Config(root=root)).files:
        with open(source.absolute, "a") as handle:
            handle.write("\n# changed\n")
    return _index(root, _cache(root))


def _entries(cache: SummaryCache) -> List[str]:
    if not os.path.isdir(cache.entries):
        return []
    return sorted(os.path.join(cache.entries, n) for n in os.listdir(cache.entries) if n.endswith(".pickle"))


@pytest.fixture
def summarize_calls(monkeypatch) -> List[str]:
    """The paths the project pass summarized afresh (a cache hit is not summarized)."""
    calls: List[str] = []
    original = ProjectIndex.summarize

    def counting(self, path, text):
        calls.append(path)
        return original(self, path, text)

    monkeypatch.setattr(ProjectIndex, "summarize", counting)
    return calls


def _summaries(index: ProjectIndex) -> Dict[str, ModuleSummary]:
    return dict(index.modules)


def test_warm_index_equals_fresh_index(tmp_path, summarize_calls) -> None:
    root = _project(tmp_path)
    fresh = _index(root, None)
    cold = _index(root, _cache(root))
    # the cold run's snapshot holds every summary: no entry per file
    assert _entries(_cache(root)) == [] and os.path.exists(_snapshot(root))
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert summarize_calls == []  # every summary came from the cache
    assert warm.fingerprint() == cold.fingerprint() == fresh.fingerprint()
    assert _summaries(warm) == _summaries(fresh)
    assert list(warm.modules) == list(fresh.modules)  # find_module's suffix search follows this order
    # the collectors' data have non-trivial content, so the comparison means something
    assert any(summary.extra for summary in fresh.modules.values())
    assert any(summary.apps for summary in fresh.modules.values())


def test_sites_from_the_snapshot_are_read_on_demand(tmp_path) -> None:
    """Positions (read only for a finding's note) stay pickled until a rule asks for them,
    and then read as they were made."""
    from fastapi_lint.project.summary_cache import LazyFacts

    root = _project(tmp_path)
    fresh = _index(root, None)
    _index(root, _cache(root))
    warm = _index(root, _cache(root))
    with_sites = [name for name, summary in fresh.modules.items() if summary.sites]
    assert with_sites
    for name in with_sites:
        assert isinstance(warm.modules[name].sites, LazyFacts)
        assert dict(warm.modules[name].sites) == fresh.modules[name].sites


def _snapshot(root: str) -> str:
    return os.path.join(_cache(root).entries, "project.snapshot")


def test_warm_index_from_entries_equals_fresh_index(tmp_path, summarize_calls, monkeypatch) -> None:
    root = _project(tmp_path)
    cold = _with_entries(root, monkeypatch)
    assert len(_entries(_cache(root))) == len(cold.modules)
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert summarize_calls == []  # every summary came from its entry
    assert warm.fingerprint() == cold.fingerprint() == _index(root, None).fingerprint()
    assert _summaries(warm) == _summaries(cold)


def test_touched_unchanged_files_keep_their_summaries(tmp_path, summarize_calls) -> None:
    """A checkout or a formatter that changed nothing: the stat differs, the content does
    not, and the snapshot's summary is reused without an entry per file."""
    root = _project(tmp_path)
    cold = _index(root, _cache(root))
    for source in discover([root], Config(root=root)).files:
        os.utime(source.absolute, ns=(1, 1))
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert summarize_calls == [] and _entries(_cache(root)) == []
    assert warm.fingerprint() == cold.fingerprint()


def test_run_results_equal_with_warm_summaries(tmp_path) -> None:
    root = _project(tmp_path)
    rules = rules_for(("FAPI",))
    fresh = runner.run_paths([root], Config(root=root, preview=True), rules, cache=False)
    runner.run_paths([root], Config(root=root, preview=True), rules, cache=True)
    shutil.rmtree(os.path.join(root, ".fastapi_lint_cache", "results"))  # results from warm summaries
    warm = runner.run_paths([root], Config(root=root, preview=True), rules, cache=True)
    assert [f.sort_key() for f in warm.findings] == [f.sort_key() for f in fresh.findings]
    assert [f.message for f in warm.findings] == [f.message for f in fresh.findings]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_linting_run_leaves_its_snapshot_for_the_next(tmp_path, summarize_calls, monkeypatch, jobs) -> None:
    """The snapshot is written while the workers lint (or after a lint without them): the
    run has written it when it returns, and the next run summarizes nothing."""
    root = _project(tmp_path)
    monkeypatch.setattr("fastapi_lint.parallel.MIN_FILES_PER_WORKER", 1, raising=False)
    rules = rules_for(("FAPI",))
    cold = runner.run_paths([root], Config(root=root), rules, cache=True, jobs=jobs)
    assert os.path.exists(_snapshot(root)) and _entries(_cache(root)) == []
    summarize_calls.clear()
    shutil.rmtree(os.path.join(root, ".fastapi_lint_cache", "results"))  # lint again, from the summaries
    warm = runner.run_paths([root], Config(root=root), rules, cache=True, jobs=jobs)
    assert summarize_calls == []
    assert [f.sort_key() for f in warm.findings] == [f.sort_key() for f in cold.findings]


def test_changed_file_gets_a_fresh_summary(tmp_path, summarize_calls) -> None:
    root = _project(tmp_path)
    _index(root, _cache(root))
    target = os.path.join(root, "app", "changed.py")
    with open(target, "w") as handle:
        handle.write("from fastapi import FastAPI\napp = FastAPI()\n")
    _index(root, _cache(root))
    with open(target, "w") as handle:
        handle.write("from fastapi import APIRouter\nrouter = APIRouter()\n")
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert summarize_calls == [target]
    assert warm.modules["app.changed"].apps == {"router"}
    assert warm.fingerprint() == _index(root, None).fingerprint()


def test_no_cache_run_writes_no_summaries(tmp_path) -> None:
    root = _project(tmp_path)
    runner.run_paths([root], Config(root=root), rules_for(("FAPI",)), cache=False)
    assert not os.path.exists(os.path.join(root, ".fastapi_lint_cache"))
    assert _entries(_cache(root)) == []


def test_another_collector_set_misses(tmp_path, summarize_calls) -> None:
    root = _project(tmp_path)
    cold = _index(root, _cache(root))
    entry = ("test_extra_collector", ("never-present",), _noop_collector)
    project_module._COLLECTORS.append(entry)
    try:
        summarize_calls.clear()
        _index(root, _cache(root))
        assert len(summarize_calls) == len(cold._by_path)  # every file that decodes
    finally:
        project_module._COLLECTORS.remove(entry)


def _noop_collector(path, text, summary, tree) -> None:
    return None


# -- tampering --------------------------------------------------------------------------------
class _Planted:
    """A pickle that, if it were ever loaded, would create ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plant(entry: str, payload: bytes, keep_header: bool) -> None:
    with open(entry, "rb") as handle:
        original = handle.read()
    header = original[:7 + 32] if keep_header else b""
    with open(entry, "wb") as handle:
        handle.write(header + payload)


@pytest.mark.parametrize("keep_header", [True, False], ids=["stale-signature", "no-signature"])
def test_planted_malicious_pickle_is_never_loaded(tmp_path, summarize_calls, monkeypatch, keep_header) -> None:
    root = _project(tmp_path)
    cold = _with_entries(root, monkeypatch)
    marker = str(tmp_path / "pwned")
    payload = pickle.dumps(_Planted(marker))
    for entry in _entries(_cache(root)):
        _plant(entry, payload, keep_header)
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert not os.path.exists(marker)
    assert len(summarize_calls) == len(cold.modules)  # every planted entry was a miss
    assert warm.fingerprint() == cold.fingerprint()


def test_entry_signed_with_another_key_is_ignored(tmp_path, summarize_calls, monkeypatch) -> None:
    root = _project(tmp_path)
    _with_entries(root, monkeypatch)
    marker = str(tmp_path / "pwned")
    attacker = SummaryCache(_cache(root).entries.rsplit(os.sep + "summaries", 1)[0], _cache(root).salt, b"k" * 32)
    for entry in _entries(_cache(root)):
        os.unlink(entry)
    # the attacker signs a malicious summary for every file with a key of their own
    for source in discover([root], Config(root=root)).files:
        with open(source.absolute, "rb") as handle:
            data = handle.read()
        bad = ModuleSummary("x", extra={"evil": _Planted(marker)})
        attacker.store(source.absolute, digest(data), bad)
    summarize_calls.clear()
    _index(root, _cache(root))
    assert not os.path.exists(marker)
    assert summarize_calls  # all missed


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_damaged_entries_are_misses(tmp_path, summarize_calls, monkeypatch, damage) -> None:
    root = _project(tmp_path)
    cold = _with_entries(root, monkeypatch)
    for entry in _entries(_cache(root)):
        with open(entry, "rb") as handle:
            data = bytearray(handle.read())
        if damage == "flip":
            data[len(data) // 2] ^= 0x01
        elif damage == "truncate":
            data = data[: len(data) - 3]
        elif damage == "empty":
            data = bytearray()
        else:
            data = bytearray(b"FLSUM1\n" + os.urandom(100))
        with open(entry, "wb") as handle:
            handle.write(bytes(data))
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert len(summarize_calls) == len(cold.modules)
    assert warm.fingerprint() == cold.fingerprint()


def test_entry_of_another_file_is_a_miss(tmp_path, summarize_calls, monkeypatch) -> None:
    """A genuine entry copied over another file's (same key, other path) does not load."""
    root = _project(tmp_path)
    cold = _with_entries(root, monkeypatch)
    first, second = _entries(_cache(root))[:2]
    shutil.copy(first, second)
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert len(summarize_calls) == 1
    assert _summaries(warm) == _summaries(cold)


# -- the key ----------------------------------------------------------------------------------
def test_key_is_private_and_stable(private_key_home) -> None:
    key = load_key()
    path = os.path.join(private_key_home, "fastapi-lint", "key")
    assert key is not None and len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key() == key
    assert os.listdir(os.path.dirname(path)) == ["key"]  # no temporary files left behind


def test_key_others_can_read_is_not_used(private_key_home, tmp_path) -> None:
    load_key()
    path = os.path.join(private_key_home, "fastapi-lint", "key")
    os.chmod(path, 0o644)
    assert load_key() is None
    root = _project(tmp_path)
    assert SummaryCache.for_run(Config(root=root)) is None
    # the run still works, merely without the summary cache
    runner.run_paths([root], Config(root=root), rules_for(("FAPI",)), cache=True)


def test_unusable_key_location_disables_the_summary_cache(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where a directory must go
    assert load_key() is None
    root = _project(tmp_path)
    result = runner.run_paths([root], Config(root=root), rules_for(("FAPI",)), cache=True)
    assert not result.errors


def test_index_summarized_in_workers_equals_in_process(tmp_path) -> None:
    """The project pass runs in worker processes on big trees: same index, same order rules
    (a later file of a module replaces an earlier one)."""
    root = _project(tmp_path)
    for copy in range(3):  # enough files for two workers
        shutil.copytree(os.path.join(root, "app"), os.path.join(root, f"app{copy}"))
    files = discover([root], Config(root=root)).files
    assert len(files) >= 2 * 48
    alone, sizes, _, errors = runner._index_project(files, root, True, None, jobs=1)
    pooled, pooled_sizes, _, pooled_errors = runner._index_project(files, root, True, None, jobs=2)
    assert not errors and not pooled_errors and sizes == pooled_sizes
    assert pooled.fingerprint() == alone.fingerprint()
    assert _summaries(pooled).keys() == _summaries(alone).keys()


def test_workers_write_the_summaries_they_make(tmp_path, monkeypatch) -> None:
    """A run that keeps the snapshot, with workers: each summary-cache entry is written by the
    worker that made it (a pickle, a signature and a file creation each), not one after the
    other by the main process; a second run reads them all."""
    root = _project(tmp_path)
    for copy in range(3):  # enough files for two workers
        shutil.copytree(os.path.join(root, "app"), os.path.join(root, f"app{copy}"))
    cache = _cache(root)
    _index(root, cache)  # the snapshot
    monkeypatch.setattr(runner, "_SNAPSHOT_SLACK", 10 ** 6)
    files = discover([root], Config(root=root)).files
    for source in files:
        with open(source.absolute, "a") as handle:
            handle.write("\n# changed\n")
    in_main: List[str] = []
    original = SummaryCache.store
    main = os.getpid()

    def store(self, absolute, content_digest, summary):
        if os.getpid() == main:
            in_main.append(absolute)
        return original(self, absolute, content_digest, summary)

    monkeypatch.setattr(SummaryCache, "store", store)
    changed, _, _, errors = runner._index_project(files, root, True, cache, jobs=2)
    assert not errors and in_main == []
    assert len(_entries(cache)) == len(changed._by_path) > 100  # every file that decodes
    calls: List[str] = []
    monkeypatch.setattr(ProjectIndex, "summarize", lambda self, path, text: calls.append(path))
    warm, _, _, _ = runner._index_project(files, root, True, cache, jobs=2)
    assert calls == [] and warm.fingerprint() == changed.fingerprint()


def test_fact_digests_kept_in_the_summary_cache_give_the_same_cache_key(tmp_path) -> None:
    """Warm runs read each module's fact digests from its cached summary instead of
    re-serializing every module's facts: the result cache's key must not change."""
    from fastapi_lint.cache import project_salt

    root = _project(tmp_path)
    rules = rules_for(("FAPI",))
    _index(root, _cache(root))
    warm = _index(root, _cache(root))
    assert all(s.fingerprints is not None for s in warm.modules.values())  # from the cache
    files = discover([root], Config(root=root)).files
    bare, _, _, _ = runner._index_project(files, root, False, None)
    assert all(s.fingerprints is None for s in bare.modules.values())  # --no-cache: none made
    assert project_salt(warm, rules) == project_salt(bare, rules)
    # and the digests follow the data: another dependency target changes the key
    module = next(s for s in bare.modules.values() if "depends_targets" in s.extra)
    changed = dataclasses.replace(module, extra={**module.extra, "depends_targets":
                                                 set(module.extra["depends_targets"]) | {"app.other.dep"}},
                                  fingerprints=None)
    bare.insert(changed, bare.path_of(module.module))  # the index's digests follow the change
    assert project_salt(bare, rules) != project_salt(warm, rules)


def _colliding_names() -> tuple:
    """Two names whose iteration order in a small set depends on which was added first
    (same home slot under this process's hash seed)."""
    names = [f"Kind{number}" for number in range(64)]
    for first in names:
        for second in names:
            if first != second and list({first, second}) != list({second, first}):
                return first, second
    pytest.skip("no two names share a slot under this hash seed")


def test_index_fingerprint_ignores_set_iteration_order() -> None:
    """A set unpickled from the summary cache or from a worker can iterate in another order
    than the one built in process; equal indexes must still digest the same (CI once failed
    three cache tests on this, under an unlucky hash seed)."""
    from fastapi_lint.project.signatures import SIGNATURES, ModuleSignatures

    first, second = _colliding_names()
    indexes = []
    for order in ((first, second), (second, first)):
        enums = set()
        for name in order:
            enums.add(name)
        summary = ModuleSummary(module="app.kinds", apps={"app"})
        summary.extra[SIGNATURES] = ModuleSignatures(enums=enums)
        index = ProjectIndex(root="/project")
        index.modules["app.kinds"] = summary
        indexes.append(index)
    orders = [list(i.modules["app.kinds"].extra[SIGNATURES].enums) for i in indexes]
    assert orders[0] != orders[1]  # the precondition: the same set, iterated differently
    assert indexes[0].fingerprint() == indexes[1].fingerprint()


# -- the snapshot: a warm run trusts an unchanged stat --------------------------------------
@pytest.fixture
def reads(monkeypatch) -> List[str]:
    """The files the project pass read from disk."""
    calls: List[str] = []
    original = runner.read_source

    def counting(path):
        calls.append(path)
        return original(path)

    monkeypatch.setattr(runner, "read_source", counting)
    return calls


def _age(root: str, seconds: int = 60) -> None:
    """Date every file back: stats older than the snapshot's racy margin are trusted."""
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            info = os.stat(path)
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 10**9))


def test_a_warm_run_reads_no_unchanged_file(tmp_path, reads, summarize_calls) -> None:
    root = _project(tmp_path)
    _age(root)
    fresh = _index(root, None)
    _index(root, _cache(root))  # writes the snapshot
    reads.clear()
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    # only the fixture that cannot be decoded (it has no summary to keep) is read again
    assert {os.path.basename(path) for path in reads} == {"FAPI002.py"}
    assert summarize_calls == []
    assert warm.fingerprint() == fresh.fingerprint()


def test_a_changed_file_is_read_again_and_the_rest_still_come_from_the_snapshot(tmp_path, reads) -> None:
    root = _project(tmp_path)
    target = os.path.join(root, "app", "changed.py")
    with open(target, "w") as handle:
        handle.write("from fastapi import FastAPI\napp = FastAPI()\n")
    _age(root)
    _index(root, _cache(root))
    with open(target, "w") as handle:
        handle.write("from fastapi import APIRouter\nrouter = APIRouter()\n")
    reads.clear()
    warm = _index(root, _cache(root))
    assert {os.path.basename(path) for path in reads} == {"FAPI002.py", "changed.py"}
    assert warm.modules["app.changed"].apps == {"router"}
    assert warm.fingerprint() == _index(root, None).fingerprint()


def test_a_file_changed_within_the_racy_margin_is_checked_by_content(tmp_path) -> None:
    """Same size, same mtime, other content: possible when the file changes again within its
    filesystem's timestamp granularity right after it was read. Recent stats are not trusted."""
    root = _project(tmp_path)
    target = os.path.join(root, "app", "changed.py")
    with open(target, "w") as handle:
        handle.write("from fastapi import FastAPI\napp = FastAPI()\n")
    _index(root, _cache(root))  # the file's mtime is within the margin of this snapshot
    info = os.stat(target)
    with open(target, "w") as handle:
        handle.write("from fastapi import FastAPI\nbpp = FastAPI()\n")  # same size
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    warm = _index(root, _cache(root))
    assert warm.modules["app.changed"].apps == {"bpp"}


def test_a_snapshot_not_signed_by_this_user_is_ignored(tmp_path, summarize_calls) -> None:
    from fastapi_lint.project.summary_cache import _snapshot_path

    root = _project(tmp_path)
    _age(root)
    cache = _cache(root)
    _index(root, cache)
    path = _snapshot_path(cache)
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[60] ^= 1  # any change to the head (past magic, MAC and length) breaks the signature
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    summarize_calls.clear()
    warm = _index(root, _cache(root))
    assert len(summarize_calls) > 10  # nothing came from the snapshot
    assert warm.fingerprint() == _index(root, None).fingerprint()


def _lint_with_damaged_facts(tmp_path, damage, rebuilt_at_once: bool):
    """A project linted without a cache, then with one (writing the snapshot); ``damage``
    changes the snapshot's facts section (its bytes, the head's length and the head's region
    table), a file is edited (linted again: the rules read facts), and the project is linted
    again: the damage is reported, and the snapshot replaced at once (``rebuilt_at_once``)
    or removed; the next run is clean. Returns the clean run and the damaged one."""
    import io
    import pickle
    import subprocess
    import sys

    from fastapi_lint.project.summary_cache import _snapshot_path

    root = _project(tmp_path)
    _age(root)
    lint = [sys.executable, "-m", "fastapi_lint", "--format", "flake8", "--exit-zero", "--jobs", "1"]
    clean = subprocess.run(lint + ["--no-cache", "."], cwd=root, capture_output=True, text=True)
    subprocess.run(lint + ["."], cwd=root, check=True, capture_output=True)  # writes the snapshot
    path = _snapshot_path(_cache(root))
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    head = int.from_bytes(data[40:48], "little")  # after the magic and the MAC
    damage(data, head, pickle.load(io.BytesIO(bytes(data[48:48 + head]))))
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    changed = tmp_path / "proj" / "app" / "FAPI101.py"
    changed.write_text(changed.read_text() + "# changed\n")
    damaged = subprocess.run(lint + ["."], cwd=root, capture_output=True, text=True)
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr, damaged.stderr
    assert "was changed after it was written" in damaged.stderr
    if rebuilt_at_once:
        with open(path, "rb") as handle:
            assert handle.read() != bytes(data)
    else:
        assert not os.path.exists(path)
    again = subprocess.run(lint + ["."], cwd=root, capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == "" and again.stdout == clean.stdout
    return clean, damaged


def test_facts_changed_in_the_snapshot_end_the_run_with_a_message_and_the_next_run_is_clean(tmp_path) -> None:
    """The head signs each region of facts by its SHA-256, checked when first read: facts
    changed on disk after the head was read are never unpickled. Found while indexing (the
    changed module's old summary), the index is made again without the snapshot: the run
    says so (exit 2, no traceback), its findings are whole, and a new snapshot replaces it."""

    def everything(data, head, table):
        data[48 + head:] = bytes(byte ^ 1 for byte in data[48 + head:])

    clean, damaged = _lint_with_damaged_facts(tmp_path, everything, rebuilt_at_once=True)
    assert damaged.stdout == clean.stdout


def test_facts_changed_in_the_snapshot_found_by_a_rule_end_its_work_with_a_message(tmp_path) -> None:
    """Damage in a collector's facts, left alone by the index (the summaries' region is
    whole), is found when a rule reads them: that rule's work ends with the message, the
    snapshot is removed, and the next run is clean."""
    from fastapi_lint.project.summary_cache import _SUMMARIES

    def collectors(data, head, table):
        for region, (offset, length, _) in table.items():
            if region != _SUMMARIES:
                start = 48 + head + offset
                data[start:start + length] = bytes(byte ^ 1 for byte in data[start:start + length])

    _lint_with_damaged_facts(tmp_path, collectors, rebuilt_at_once=False)


_KEYS = st.one_of(st.text(max_size=4), st.integers(-3, 3), st.tuples(st.text(max_size=2), st.integers(0, 2)))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4))
_FACTS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_KEYS, inner, max_size=4),
        st.frozensets(st.one_of(st.text(max_size=4), st.integers(-3, 3)), max_size=4),
    ),
    max_leaves=12,
)


def _reordered(value):
    """The same facts built in another order (dicts and sets filled back to front)."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, frozenset):
        return frozenset(reversed(list(value)))
    if isinstance(value, tuple):
        return tuple(_reordered(v) for v in value)
    return value


@given(_FACTS)
@settings(max_examples=200, deadline=None)
def test_canonical_form_follows_the_facts_not_their_order(facts) -> None:
    """Fact digests key the result cache: equal facts built in any order digest the same."""
    from fastapi_lint.project.fingerprint import canonical

    assert canonical(_reordered(facts)) == canonical(facts)


@given(_FACTS)
@settings(max_examples=200, deadline=None)
def test_fact_text_follows_the_facts_not_their_order(facts) -> None:
    """The text fact digests are made of: equal facts built in any order give the same text
    (dicts with sortable keys through the C encoder, the others through ``canonical``)."""
    from fastapi_lint.project.fingerprint import fact_text

    assert fact_text(_reordered(facts)) == fact_text(facts)


def test_fact_text_tells_apart_what_differs() -> None:
    from dataclasses import dataclass

    from fastapi_lint.project.fingerprint import fact_text

    @dataclass(frozen=True)
    class Uses:
        calls: tuple
        names: frozenset

    assert fact_text({"b": Uses(("x",), frozenset("pq")), "a": 1}) == fact_text({"a": 1, "b": Uses(("x",), frozenset("qp"))})
    assert fact_text({"a": 1, "b": 2}) != fact_text({"a": 2, "b": 1})
    assert fact_text(Uses(("x",), frozenset())) != fact_text(Uses(("y",), frozenset()))
    assert fact_text({(1, 2): "k"}) != fact_text({(1, 3): "k"})  # keys json cannot take


def test_canonical_form_orders_a_dict_by_its_keys_and_keeps_each_value_with_its_key() -> None:
    from fastapi_lint.project.fingerprint import canonical

    assert canonical({"b": {1}, "a": (2,), 3: None}) == [["a", [2]], ["b", [1]], [3, None]]
    assert canonical({"a": 1, "b": 2}) != canonical({"a": 2, "b": 1})


_SHARES = st.dictionaries(
    st.text(alphabet="ab.:0", min_size=1, max_size=4),  # module names, ':' and digits included
    st.dictionaries(st.sampled_from(["depends_targets", "signatures", "other"]),
                    st.sampled_from(["0", "1", "a1", 1, None, ("a", 1)]), max_size=3),
    max_size=4,
)


def _index_of(shares: Dict[str, Dict[str, object]]) -> ProjectIndex:
    index = ProjectIndex(root="/nowhere")
    for module, facts in shares.items():
        index.insert(ModuleSummary(module, extra=dict(facts)))
    return index


@given(_SHARES, _SHARES)
@example({"a": {"signatures": "a1"}}, {"aa": {"signatures": "1"}})  # the same bytes, if not delimited
@example({"a": {"signatures": "1"}, "b": {"signatures": "0"}},
         {"a": {"signatures": "0"}, "b": {"signatures": "1"}})  # the same facts, swapped
@settings(max_examples=300, deadline=None)
def test_the_project_key_is_equal_exactly_when_the_read_facts_are(first, second) -> None:
    """The key sums each module's fact digests: equal for projects whose modules hold the
    same facts the rules read, different otherwise (a module's facts moved to another module
    included)."""
    from fastapi_lint.cache import collector_fingerprints

    names = ("depends_targets", "signatures")

    def read(shares):
        return {(m, n, repr(v)) for m, facts in shares.items() for n, v in facts.items() if n in names}

    same = collector_fingerprints(_index_of(first), names) == collector_fingerprints(_index_of(second), names)
    assert same == (read(first) == read(second))


@given(_SHARES, st.lists(st.tuples(st.sampled_from(["a", "b", "a.b", "c"]),
                                   st.dictionaries(st.sampled_from(["signatures", "other"]),
                                                   st.sampled_from(["0", "1", 2]), max_size=2)),
                         max_size=6))
@example({"a.b": {"signatures": "0"}}, [("a", {}), ("a.b", {}), ("a.b", {}), ("a.b", {})])  # 3 files, 1 module
@settings(max_examples=200, deadline=None)
def test_the_sums_kept_through_changes_equal_the_sums_made_afresh(start, changes) -> None:
    """An index whose sums were made keeps them through inserts and removals (the language
    server's edits; an empty change removes a file): they equal those of an index built
    from its final modules."""
    from fastapi_lint.cache import collector_fingerprints

    index = ProjectIndex(root="/nowhere")
    for module, facts in start.items():
        index.insert(ModuleSummary(module, extra=dict(facts)), f"/nowhere/{module}.py")
    names = ("signatures", "other")
    collector_fingerprints(index, names)  # made: kept from here on
    for number, (module, facts) in enumerate(changes):
        if facts or number % 3:
            index.insert(ModuleSummary(module, extra=dict(facts)), f"/nowhere/{module}{number % 2}.py")
        else:
            index.remove(f"/nowhere/{module}{(number + 1) % 2}.py")
    fresh = ProjectIndex(root="/nowhere")
    for summary in index.modules.values():
        fresh.insert(ModuleSummary(summary.module, extra=dict(summary.extra)))
    assert collector_fingerprints(index, names) == collector_fingerprints(fresh, names)


# -- the snapshot's collector data, unpickled when read ----------------------------------------
_EXTRA = st.dictionaries(st.sampled_from(["call_graph", "signatures", "route_decls", "x"]),
                         st.one_of(st.none(), st.integers(), st.text(max_size=3),
                                   st.frozensets(st.integers(0, 5), max_size=3)), max_size=4)


@given(_EXTRA, st.lists(st.sampled_from(["call_graph", "signatures", "route_decls", "x", "y"]), max_size=4))
@settings(max_examples=200, deadline=None)
def test_lazy_facts_read_as_the_dict_they_were_made_from(extra, touched) -> None:
    """Whatever was read before a snapshot is re-stored, the next load reads the same data."""
    from fastapi_lint.project.summary_cache import LazyFacts

    loaded = pickle.loads(pickle.dumps(LazyFacts(extra)))
    for name in touched:  # read some, then store again (the rest stays as bytes)
        assert loaded.get(name) == extra.get(name) and (name in loaded) == (name in extra)
    again = pickle.loads(pickle.dumps(loaded))
    for facts in (loaded, again):
        assert len(facts) == len(extra) and sorted(facts) == sorted(extra)
        assert dict(facts) == extra and facts == extra and dict(facts.items()) == extra
    again["y"] = 1
    assert again.pop("y") == 1 and "y" not in again


def _indexed(entries) -> ProjectIndex:
    """The index a run builds from a snapshot's entries."""
    index = ProjectIndex(root="/p")
    for path, entry in entries.items():
        index.insert(entry.summary, path)
    return index


@given(st.lists(_EXTRA, min_size=1, max_size=3),
       st.lists(st.sampled_from(["call_graph", "signatures", "route_decls", "x", "y"]), max_size=4))
@settings(max_examples=60, deadline=None)
def test_facts_read_back_from_a_snapshot_file_are_those_stored(extras, touched) -> None:
    """Stored, loaded (facts left in the file), partly read, stored again from what was
    loaded and loaded again: every module reads the dict it was made from."""
    import tempfile

    from fastapi_lint.project.summary_cache import (SnapshotEntry, SummaryCache, load_snapshot,
                                                    store_snapshot)

    from fastapi_lint.project.routers import RouterFacts

    with tempfile.TemporaryDirectory() as directory:
        cache = SummaryCache(directory, "salt", b"k" * 32)
        summaries = {f"/p/m{i}.py": ModuleSummary(f"m{i}", apps={"app"} if i % 2 else set(),
                                                  is_package=i == 1, parses=bool(i % 2) or None,
                                                  routers=RouterFacts(names={"r": f"m{i}.APIRouter()"}) if i else None,
                                                  extra=dict(extra), sites={"s": i}, fingerprints={"x": i})
                     for i, extra in enumerate(extras)}
        entries = {path: SnapshotEntry(1, 2, "d", summary) for path, summary in summaries.items()}
        store_snapshot(cache, entries, 3, _indexed(entries))
        loaded = load_snapshot(cache)
        assert loaded is not None and loaded.taken_ns == 3
        for name in touched:
            for path, entry in loaded.entries.items():
                assert entry.summary.extra.get(name) == summaries[path].extra.get(name)
        store_snapshot(cache, loaded.entries, 4, _indexed(loaded.entries))
        again = load_snapshot(cache)
        assert again is not None
        import pickle

        unread = load_snapshot(cache)  # pickled (the per-file cache, a worker) before any read
        assert unread is not None
        for path, entry in unread.entries.items():
            copy = pickle.loads(pickle.dumps(entry.summary))
            assert "_stored" not in vars(copy) and copy == summaries[path]
        first = load_snapshot(cache)  # each field read first, before any other
        assert first is not None
        for path, entry in first.entries.items():
            assert entry.summary.routers == summaries[path].routers
        first = load_snapshot(cache)
        assert first is not None
        for path, entry in first.entries.items():
            assert entry.summary.fingerprints == summaries[path].fingerprints
        for snapshot in (loaded, again):
            for path, entry in snapshot.entries.items():
                summary, original = entry.summary, summaries[path]
                assert dict(summary.extra) == original.extra
                assert dict(summary.sites) == original.sites
                assert (summary.module, summary.apps, summary.is_package, summary.routers, summary.parses,
                        summary.fingerprints) == (original.module, original.apps, original.is_package,
                                                  original.routers, original.parses, original.fingerprints)


def test_without_pread_the_facts_are_read_at_load_and_the_file_is_closed(tmp_path, monkeypatch) -> None:
    """Where os.pread is missing (Windows), an open snapshot could not be replaced by the
    next one: its facts section is read when it loads, and the file closed."""
    from fastapi_lint.project.summary_cache import SnapshotEntry, load_snapshot, store_snapshot

    cache = SummaryCache(str(tmp_path / "cache"), "salt", b"k" * 32)
    summary = ModuleSummary("m", extra={"route_decls": {"a": 1}, "call_graph": [1, 2]}, sites={"s": 1})
    entries = {"/p/m.py": SnapshotEntry(1, 2, "d", summary)}
    store_snapshot(cache, entries, 3, _indexed(entries))
    monkeypatch.delattr(os, "pread")
    loaded = load_snapshot(cache)
    assert loaded is not None
    regions = loaded.entries["/p/m.py"].summary.extra._stored[0]
    assert isinstance(regions._handle, bytes)
    assert dict(loaded.entries["/p/m.py"].summary.extra) == summary.extra


def test_a_warm_index_unpickles_a_collectors_data_only_when_it_is_read(tmp_path) -> None:
    """Most of the snapshot's bytes are the call graph and the served code, which a one-file
    run rarely reads: a summary's fields stay in the file until one is used, and each
    collector's share of a module stays bytes until read."""
    from fastapi_lint.project.summary_cache import _SUMMARIES, LazyFacts

    root = _project(tmp_path)
    _age(root)
    fresh = _index(root, None)
    _index(root, _cache(root))  # writes the snapshot
    warm = _index(root, _cache(root))
    assert all("_stored" in vars(s) and "extra" not in vars(s) for s in warm.modules.values())
    summaries = [s for s in warm.modules.values() if "call_graph" in s.extra]
    assert summaries and all(isinstance(s.extra, LazyFacts) for s in summaries)
    regions = summaries[0].extra._stored[0]
    assert set(regions._read) == {_SUMMARIES}  # the summaries' fields, no collector's data yet
    first = summaries[0]
    assert first.extra.get("call_graph") == fresh.modules[first.module].extra["call_graph"]
    assert set(regions._read) == {_SUMMARIES, "call_graph"}  # that collector's region, no other
    for summary in summaries:
        assert summary.extra.get("call_graph") == fresh.modules[summary.module].extra["call_graph"]
        assert "call_graph" not in summary.extra._blobs
    assert warm.fingerprint() == fresh.fingerprint()


# -- the index's fact sums, from the snapshot's ------------------------------------------------
_CHANGES = st.lists(st.tuples(
    st.sampled_from(["edit", "comment", "add", "delete", "shadow", "package"]),
    st.sampled_from(["a", "b", "c", "d"])), min_size=1, max_size=5)
_SOURCES = {
    "a": "from fastapi import Depends\n\ndef get_db():\n    return 1\n",
    "b": "import time\n\nasync def work():\n    time.sleep(1)\n",
    "c": "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/x')\ndef x():\n    return 1\n",
    "d": "x = 1\n",
}


@given(_CHANGES)
@settings(max_examples=40, deadline=None)
def test_sums_moved_from_the_snapshot_equal_the_sums_made_afresh(changes) -> None:
    """A run that keeps the snapshot takes its fact sums and moves them by what changed
    since (edits, new files, deleted ones, a module another file now provides, a module
    turned package): they equal the sums of an index made without any cache."""
    import tempfile

    from fastapi_lint.cache import collector_fingerprints
    from fastapi_lint.project.fingerprint import LAYOUT

    with tempfile.TemporaryDirectory() as directory:
        root = os.path.join(directory, "proj")
        os.makedirs(os.path.join(root, "app"))
        open(os.path.join(root, "app", "__init__.py"), "w").close()
        for name, text in _SOURCES.items():
            with open(os.path.join(root, "app", f"{name}.py"), "w") as handle:
                handle.write(text)
        _age(root)
        _index(root, _cache(root))  # writes the snapshot
        for kind, name in changes:
            path = os.path.join(root, "app", f"{name}.py")
            if kind == "edit":
                with open(path, "a") as handle:
                    handle.write(f"\ndef added_{len(changes)}():\n    return Depends(get_db)\n")
            elif kind == "comment":
                with open(path, "a") as handle:
                    handle.write("# a comment\n")
            elif kind == "add":
                with open(os.path.join(root, "app", f"new_{name}.py"), "w") as handle:
                    handle.write(_SOURCES[name])
            elif kind == "delete" and os.path.exists(path):
                os.remove(path)
            elif kind == "shadow":  # another file names the same module: app/<name>/__init__.py
                os.makedirs(os.path.join(root, "app", name), exist_ok=True)
                with open(os.path.join(root, "app", name, "__init__.py"), "w") as handle:
                    handle.write("y = 2\n")
            elif kind == "package":
                os.makedirs(os.path.join(root, "app", f"pkg_{name}"), exist_ok=True)
                with open(os.path.join(root, "app", f"pkg_{name}", "__init__.py"), "w") as handle:
                    handle.write(_SOURCES[name])
        warm = _index(root, _cache(root))
        assert warm._fact_sums is not None  # taken from the snapshot, not made again
        fresh = _index(root, None)
        names = {name for sums in (warm.fact_sums(), fresh.fact_sums()) for name in sums} | {LAYOUT}
        assert collector_fingerprints(warm, names) == collector_fingerprints(fresh, names)
