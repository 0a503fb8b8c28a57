"""Derived tables kept across runs: reused while what they read is unchanged, never else."""
from __future__ import annotations

from typing import List

import pytest

from fastapi_lint.config import Config
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.index import collector_identities
from fastapi_lint.project import table_cache
from fastapi_lint.project.summary_cache import SummaryCache
from fastapi_lint.project.table_cache import TableStore
from fastapi_lint.registry import all_rules


@pytest.fixture(autouse=True)
def private_key_home(tmp_path, monkeypatch) -> None:
    all_rules()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(table_cache, "MIN_SECONDS", 0.0)  # every table counts as slow here
    monkeypatch.setattr(table_cache, "SECONDS_PER_BYTE", 0.0)  # and as quick to read back


def _index(tmp_path) -> ProjectIndex:
    index = ProjectIndex(root=str(tmp_path))
    files = {
        "app/__init__.py": "",
        "app/main.py": "from fastapi import FastAPI\nfrom app.routes import router\napp = FastAPI()\n"
                       "app.include_router(router, prefix='/v1')\n",
        "app/routes.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                         "@router.get('/items')\nasync def items():\n    return []\n",
        "app/util.py": "def helper():\n    return 1\n",
    }
    for name, text in files.items():
        index.add(str(tmp_path / name), text)
    return index


def _store(tmp_path, settings: str = "s") -> TableStore:
    cache = SummaryCache.for_run(Config(root=str(tmp_path)))
    assert cache is not None
    return TableStore.load(cache, settings)


class Counting:
    """A table's code (a built-in's, as far as the store can tell), counting its calls."""

    __module__ = "fastapi_lint.tests"

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, index: ProjectIndex):
        self.calls += 1
        return sorted(index.modules)


def _run(tmp_path, compute, reads=("route_decls",), settings="s", index=None):
    """One run: an index, the store loaded and attached, the table asked for, the store saved."""
    index = index if index is not None else _index(tmp_path)
    store = _store(tmp_path, settings)
    store.attach(index)
    table = index.derived("names", compute, reads)
    store.save()
    return table


def test_a_table_is_derived_once_across_runs_while_its_facts_stand(tmp_path) -> None:
    compute = Counting()
    first = _run(tmp_path, compute)
    assert _run(tmp_path, compute) == first and compute.calls == 1


@pytest.mark.parametrize("change", ["a fact it reads", "the module layout", "the settings", "any fact (reads none)"])
def test_a_table_is_derived_again_when_what_it_read_changed(tmp_path, change) -> None:
    compute = Counting()
    reads = None if change == "any fact (reads none)" else ("route_decls",)
    _run(tmp_path, compute, reads)
    index = _index(tmp_path)
    settings = "s"
    if change in ("a fact it reads", "any fact (reads none)"):
        index.add(str(tmp_path / "app/routes.py"), "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                                                   "@router.post('/items')\nasync def items():\n    return []\n")
    elif change == "the module layout":
        index.add(str(tmp_path / "app/extra.py"), "x = 1\n")
    else:
        settings = "t"
    _run(tmp_path, compute, reads, settings, index)
    assert compute.calls == 2


def test_a_change_to_a_fact_it_does_not_read_keeps_the_table(tmp_path) -> None:
    compute = Counting()
    _run(tmp_path, compute, ("route_decls",))
    index = _index(tmp_path)
    index.add(str(tmp_path / "app/util.py"), "import time\n\ndef helper():\n    time.sleep(1)\n    return 1\n")
    from fastapi_lint.cache import collector_fingerprints

    names = {name for name, *_ in collector_identities()}
    before, after = collector_fingerprints(_index(tmp_path), names), collector_fingerprints(index, names)
    assert before != after and before["route_decls"] == after["route_decls"]  # another fact changed
    _run(tmp_path, compute, ("route_decls",), index=index)
    assert compute.calls == 1


def test_tables_of_plugins_and_of_the_runs_own_objects_are_not_kept(tmp_path) -> None:
    class Plugin(Counting):
        __module__ = "their_plugin.rules"

    plugin = Plugin()
    _run(tmp_path, plugin)
    _run(tmp_path, plugin)
    assert plugin.calls == 2  # the cache's salt does not know a plugin's code

    class Summaries(Counting):
        def __call__(self, index):
            self.calls += 1
            return list(index.modules.values())  # the run's summaries: not a table to keep

    summaries = Summaries()
    _run(tmp_path, summaries)
    _run(tmp_path, summaries)
    assert summaries.calls == 2


def test_a_table_too_big_to_be_worth_keeping_is_not_kept(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(table_cache, "MAX_BYTES", 100)

    class Big(Counting):
        def __call__(self, index):
            self.calls += 1
            return "x" * 1000

    big = Big()
    _run(tmp_path, big)
    _run(tmp_path, big)
    assert big.calls == 2


def test_a_table_about_as_slow_to_read_back_as_to_derive_is_not_kept_nor_pickled_again(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(table_cache, "SECONDS_PER_BYTE", 1.0)  # a second a byte: never worth it
    pickled: List[object] = []
    dump = table_cache._TablePickler.dump
    monkeypatch.setattr(table_cache._TablePickler, "dump", lambda self, obj: (pickled.append(obj), dump(self, obj)))

    compute = Counting()
    _run(tmp_path, compute)
    _run(tmp_path, compute)
    assert compute.calls == 2  # derived each run
    assert len(pickled) == 1  # and pickled once: the store remembers it is not worth it
    _run(tmp_path, compute, settings="t")
    assert compute.calls == 3 and len(pickled) == 2  # other inputs: tried again


def test_a_store_not_signed_by_this_user_is_ignored(tmp_path) -> None:
    compute = Counting()
    _run(tmp_path, compute)
    store = _store(tmp_path)
    with open(store._path, "rb") as handle:
        data = bytearray(handle.read())
    data[-1] ^= 1
    with open(store._path, "wb") as handle:
        handle.write(bytes(data))
    _run(tmp_path, compute)
    assert compute.calls == 2


def test_a_changed_index_leaves_its_store(tmp_path) -> None:
    """The store's digests are the attached index's: an index changed after (an editor's
    buffer) derives its own tables."""
    compute = Counting()
    _run(tmp_path, compute)
    index = _index(tmp_path)
    _store(tmp_path).attach(index)
    index.add(str(tmp_path / "app/extra.py"), "x = 1\n")
    assert index.tables is None
    assert index.derived("names", compute, ("route_decls",)) == sorted(index.modules) and compute.calls == 2


def test_one_file_runs_with_kept_tables_find_what_a_fresh_run_finds(tmp_path, monkeypatch, capsys) -> None:
    """A route changed in another module than the one linted: the tables that read routes
    are derived again, and the linted file's findings are a fresh run's."""
    from fastapi_lint.cli import run

    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI\nfrom app import a, b\napp = FastAPI()\n"
        "app.include_router(b.router)\napp.include_router(a.router)\n")
    (root / "app" / "a.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/items/latest')\n"
        "async def latest():\n    return 1\n")
    b = root / "app" / "b.py"
    monkeypatch.chdir(root)

    def lint(*args: str) -> str:
        capsys.readouterr()
        run(["--format", "flake8", "--exit-zero", "--preview", *args, "app/a.py"])
        return capsys.readouterr().out

    outputs: List[str] = []
    for path in ("/items/{item_id}", "/elsewhere/{item_id}", "/items/{item_id}"):
        b.write_text(f"from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('{path}')\n"
                     "async def one(item_id: int):\n    return item_id\n")
        warm = lint()
        assert warm == lint("--no-cache")
        outputs.append(warm)
    assert "FAPI209" in outputs[0] and "FAPI209" not in outputs[1] and outputs[2] == outputs[0]
    kept = _store(root)._tables
    assert any(key.startswith("shadowed-routes") for key in kept)  # the store was used


@pytest.mark.parametrize("jobs,writable", [(1, True), (2, False)])
def test_only_a_run_linting_in_this_process_keeps_tables(tmp_path, monkeypatch, jobs, writable) -> None:
    """With workers, the main process derives only the call graph and the served code (too
    big to keep): it does not try to."""
    from fastapi_lint import runner

    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    for number in range(60):
        (root / "app" / f"m{number}.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    seen: List[bool] = []
    attach = TableStore.attach
    monkeypatch.setattr(TableStore, "attach", lambda self, index, writable=True: (seen.append(writable),
                                                                                   attach(self, index, writable)))
    result = runner.run_paths([str(root)], Config(root=str(root)), list(all_rules().values()), jobs=jobs,
                             cache=True)
    assert len(result.findings) >= 60 and seen == [writable]
