"""The discovery cache replays the last walk of the root only while nothing it read changed.

Timestamps are set explicitly: a change is dated a second after the walk's stats (as a change
made after the walk would be), and everything else well before the racy margin, so each test
checks the stat comparison itself rather than the margin (which has a test of its own).
"""
from __future__ import annotations

import os
import time
from typing import List

import pytest

from fastapi_lint import discovery as discovery_module
from fastapi_lint.config import Config
from fastapi_lint.discovery import discover
from fastapi_lint.discovery_cache import DiscoveryCache

_PAST = time.time_ns() - 3_600_000_000_000  # an hour ago


@pytest.fixture(autouse=True)
def private_key_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def _date(path, offset_s: int = 0) -> None:
    stamp = _PAST + offset_s * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def _date_tree(root) -> None:
    for directory, subdirectories, names in os.walk(root):
        for name in names + subdirectories:
            _date(os.path.join(directory, name))
        _date(directory)


@pytest.fixture
def project(tmp_path) -> str:
    root = tmp_path / "proj"
    for path, text in {
        "app/__init__.py": "",
        "app/main.py": "x = 1\n",
        "app/api/routes.py": "y = 2\n",
        "app/features/build/__init__.py": "",
        "app/features/build/api.py": "z = 3\n",
        "build/lib/app/main.py": "",
        "scripts/tool.py": "",
        "generated/out.py": "",
        ".gitignore": "generated/\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    _date_tree(root)
    return str(root)


def _config(root: str, **options) -> Config:
    return Config(root=root, cache_dir=os.path.join(os.path.dirname(root), "cache"), **options)


def _files(root: str, config: Config, cache: bool = True) -> List[str]:
    walks = DiscoveryCache.for_run(config) if cache else None
    found = discover([root], config, walks)
    assert not found.errors
    return [os.path.relpath(f.absolute, root) for f in found.files]


@pytest.fixture
def listed(monkeypatch) -> List[str]:
    """The directories a walk lists."""
    calls: List[str] = []
    scandir = os.scandir

    def counting(path):
        calls.append(path)
        return scandir(path)

    monkeypatch.setattr(discovery_module.os, "scandir", counting)
    return calls


def _walked_twice(root: str, config: Config) -> List[str]:
    """Walk (filling the cache), then the files the cached discovery finds next."""
    _files(root, config)
    return _files(root, config)


def test_an_unchanged_tree_is_replayed_without_listing_a_directory(project, listed) -> None:
    config = _config(project)
    first = _files(project, config)
    assert listed and "app/features/build/api.py" in first and "generated/out.py" not in first
    listed.clear()
    assert _files(project, config) == first
    assert not listed
    assert first == _files(project, config, cache=False)


def test_a_created_file_is_found(project) -> None:
    config = _config(project)
    _files(project, config)
    os.mkdir(os.path.join(project, "app", "api", "v2"))  # a new directory below a listed one
    with open(os.path.join(project, "app", "api", "v2", "new.py"), "w"):
        pass
    _date(os.path.join(project, "app", "api", "v2"), 1)
    _date(os.path.join(project, "app", "api"), 1)
    assert "app/api/v2/new.py" in _files(project, config)
    assert _files(project, config) == _files(project, config, cache=False)


def test_a_deleted_file_is_gone(project) -> None:
    config = _config(project)
    _files(project, config)
    os.unlink(os.path.join(project, "app", "api", "routes.py"))
    _date(os.path.join(project, "app", "api"), 1)
    assert "app/api/routes.py" not in _files(project, config)


def test_a_renamed_file_is_found_under_its_new_name(project) -> None:
    config = _config(project)
    _files(project, config)
    os.rename(os.path.join(project, "app", "main.py"), os.path.join(project, "app", "server.py"))
    _date(os.path.join(project, "app"), 1)
    found = _files(project, config)
    assert "app/server.py" in found and "app/main.py" not in found


def test_an_edited_gitignore_is_read_again(project) -> None:
    """Edited in place, the .gitignore changes its own stat, not its directory's."""
    config = _config(project)
    _files(project, config)
    with open(os.path.join(project, ".gitignore"), "a") as handle:
        handle.write("scripts/\n")
    _date(os.path.join(project, ".gitignore"), 1)
    _date(project)  # the root's own stat as it was
    assert "scripts/tool.py" not in _files(project, config)


def test_a_build_directory_that_becomes_a_package_is_linted(project) -> None:
    """``build/`` is skipped as an output until it holds an ``__init__.py``; its own stat
    (not listed, it is excluded) decides."""
    config = _config(project)
    assert "build/lib/app/main.py" not in _files(project, config)
    with open(os.path.join(project, "build", "__init__.py"), "w"):
        pass
    _date(os.path.join(project, "build"), 1)
    assert "build/lib/app/main.py" in _files(project, config)


def test_another_configuration_walks_again(project) -> None:
    config = _config(project)
    _files(project, config)
    assert "scripts/tool.py" not in _files(project, _config(project, extend_exclude=("scripts",)))
    assert "generated/out.py" in _files(project, _config(project, respect_gitignore=False))


def test_a_directory_changed_within_the_racy_margin_is_listed_again(project) -> None:
    """A change within the timestamp's granularity may leave a directory's mtime where it
    was: a stat taken less than the margin before the walk is not trusted."""
    config = _config(project)
    api = os.path.join(project, "app", "api")
    now = time.time_ns()
    os.utime(api, ns=(now, now))
    _files(project, config)
    with open(os.path.join(api, "late.py"), "w"):
        pass
    os.utime(api, ns=(now, now))  # the same timestamp as when it was walked
    assert "app/api/late.py" in _files(project, config)


def test_a_walk_not_signed_by_this_user_is_ignored(project, tmp_path, monkeypatch) -> None:
    config = _config(project)
    _files(project, config)
    walks = os.path.join(os.path.dirname(project), "cache", "discovery")
    (entry,) = os.listdir(walks)
    with open(os.path.join(walks, entry), "r+b") as handle:  # the file list, no longer signed
        data = handle.read().replace(b'app/main.py"', b'app/mein.py"')
        assert b'app/mein.py' in data
        handle.seek(0)
        handle.write(data)
    assert "app/main.py" in _files(project, config)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    assert _files(project, config) == _files(project, config, cache=False)


def test_a_run_replays_the_walk_and_finds_the_same_files(project, listed) -> None:
    """Through the runner, as the CLI runs it: a file list of one file indexes the project."""
    from fastapi_lint import runner
    from fastapi_lint.registry import all_rules

    config = _config(project)
    target = os.path.join(project, "app", "main.py")
    first = runner.run_paths([target], config, list(all_rules().values()), cache=True)
    listed.clear()
    again = runner.run_paths([target], config, list(all_rules().values()), cache=True)
    assert not [path for path in listed if str(path).startswith(project)]
    assert again.findings == first.findings
